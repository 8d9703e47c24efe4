import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('config', () => {
  it('has documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.batchMaxRecords, 1000);
    assert.equal(config.fraud.highAmount, 10_000);
    assert.deepEqual(config.apiKeys, []);
  });

  it('reads API keys as a comma-separated list', () => {
    assert.deepEqual(loadConfig({ INGEST_API_KEYS: ' a, b ,,c' }).apiKeys, ['a', 'b', 'c']);
  });

  it('refuses values that are not numbers, naming the variable', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), (e: Error) => e instanceof ConfigError && /PORT/.test(e.message));
    assert.throws(() => loadConfig({ FRAUD_HIGH_AMOUNT: '-1' }), /FRAUD_HIGH_AMOUNT/);
  });

  it('is documented: every variable the service reads is in the README table', () => {
    const sources = ['config.ts', 'main.ts', 'telemetry/setup.ts', 'telemetry/sdk.ts', 'telemetry/exporters.ts', 'telemetry/sampler.ts']
      .map((f) => readFileSync(new URL(`../src/${f}`, import.meta.url), 'utf8'))
      .join('\n');
    const variables = new Set([...sources.matchAll(/(?:env\.|env, ')([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]));
    assert.ok(variables.size > 15, `found only ${variables.size} variables`);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const missing = [...variables].filter((v) => !readme.includes(`\`${v}\``));
    assert.deepEqual(missing, [], 'variables missing from the README configuration table');
  });
});
