import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, claimKind, transactionKind } from '../src/ingest/kinds.ts';
import { claim, transaction } from './helpers.ts';

describe('canonicalJson', () => {
  it('gives the same string whatever the key order, keys in schema order', () => {
    const record = transaction({ currency: 'EUR' }) as Record<string, unknown>;
    const schemaOrder = Object.keys(transactionKind.schema.properties).filter((key) => key in record);
    const reversed = Object.fromEntries(Object.entries(record).reverse());
    const expected = JSON.stringify(Object.fromEntries(schemaOrder.map((key) => [key, record[key]])));
    assert.equal(canonicalJson(transactionKind, reversed), expected);
    assert.equal(canonicalJson(transactionKind, Object.fromEntries(schemaOrder.map((key) => [key, record[key]]))), expected);
    assert.equal(canonicalJson(transactionKind, record), expected);
  });

  it('leaves out optional keys whose value is undefined, in and out of order', () => {
    const record = transaction() as Record<string, unknown>;
    delete record.channel;
    const keys = Object.keys(transactionKind.schema.properties).filter((key) => key in record);
    const inOrder = Object.fromEntries(keys.map((key) => [key, record[key]]));
    const expected = JSON.stringify(inOrder);
    assert.equal(canonicalJson(transactionKind, { ...inOrder, channel: undefined }), expected);
    assert.equal(canonicalJson(transactionKind, { channel: undefined, ...inOrder }), expected);
    const aClaim = claim() as Record<string, unknown>;
    assert.equal(canonicalJson(claimKind, Object.fromEntries(Object.entries(aClaim).reverse())), canonicalJson(claimKind, aClaim));
  });
});
