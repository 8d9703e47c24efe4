// What differs between a transaction and a claim, in one place, so the ingest pipeline,
// the store and the routes handle both kinds with the same code.
import type { TSchema } from 'typebox';
import { Claim, Transaction } from '../schemas/records.ts';

export type RecordType = 'transaction' | 'claim';

export interface RecordKind<R extends object = Record<string, unknown>> {
  type: RecordType;
  /** Path segment of the routes: /v1/<plural>. */
  plural: string;
  schema: TSchema & { properties: Record<string, TSchema> };
  idField: string;
  id(record: R): string;
  customerId(record: R): string;
  amount(record: R): number;
}

export const transactionKind: RecordKind<Transaction> = {
  type: 'transaction',
  plural: 'transactions',
  schema: Transaction,
  idField: 'transaction_id',
  id: (r) => r.transaction_id,
  customerId: (r) => r.customer_id,
  amount: (r) => r.amount,
};

export const claimKind: RecordKind<Claim> = {
  type: 'claim',
  plural: 'claims',
  schema: Claim,
  idField: 'claim_id',
  id: (r) => r.claim_id,
  customerId: (r) => r.customer_id,
  amount: (r) => r.claim_amount,
};

/**
 * The record as stored and compared for idempotency: keys in schema order, absent optionals
 * left out, so the same content always gives the same string whatever the client's key order.
 */
export function canonicalJson(kind: RecordKind<any>, record: Record<string, unknown>): string {
  // Clients mostly send the keys in schema order already: then the record is its own canonical
  // form, and copying it into an ordered object first (a fifth of this function's time, measured
  // alone) is skipped.
  if (inSchemaOrder(kind, record)) return JSON.stringify(record);
  const ordered: Record<string, unknown> = {};
  for (const key of Object.keys(kind.schema.properties)) {
    if (record[key] !== undefined) ordered[key] = record[key];
  }
  return JSON.stringify(ordered);
}

const schemaPositions = new WeakMap<RecordKind<any>, Map<string, number>>();

/** Whether every key of `record` is a schema property with a value, in schema order. */
function inSchemaOrder(kind: RecordKind<any>, record: Record<string, unknown>): boolean {
  let positions = schemaPositions.get(kind);
  if (!positions) {
    positions = new Map(Object.keys(kind.schema.properties).map((key, i) => [key, i]));
    schemaPositions.set(kind, positions);
  }
  let last = -1;
  // for-in, not Object.keys: no array per record (the parsed record has no inherited keys).
  for (const key in record) {
    const at = positions.get(key);
    if (at === undefined || at <= last || record[key] === undefined) return false;
    last = at;
  }
  return true;
}
