// bench/ids.ts runs both generators and reports each, and their ratio.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { it } from 'node:test';

it('times both id generators side by side and prints their ratio', () => {
  const out = execFileSync(process.execPath, ['bench/ids.ts'], { encoding: 'utf8', env: { ...process.env, BENCH_IDS_PAIRS: '20000', BENCH_IDS_ROUNDS: '3' } });
  const us = (name: string) => Number(new RegExp(`${name}: ([0-9.]+) µs per pair of ids \\(median of 3 rounds of 20000\\)`).exec(out)?.[1]);
  const sdk = us('sdk RandomIdGenerator');
  const kit = us('kit PooledIdGenerator');
  assert.ok(sdk > 0 && kit > 0, out);
  const ratio = Number(/pooled ids cost ([0-9.]+) of the SDK's/.exec(out)?.[1]);
  // The ratio comes from the unrounded medians; the printed ones have 3 decimals.
  assert.ok(Math.abs(ratio - kit / sdk) < 0.02, `ratio ${ratio} against ${kit} / ${sdk}`);
});
