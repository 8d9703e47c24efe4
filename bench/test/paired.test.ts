// The paired ratio cancels the start-order effect and keeps the telemetry effect.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { alternatingRatio, freshSplit, median, pairedRatio, type Pair } from '../paired.ts';

/** Pairs as a model with a known telemetry ratio and a known second-starter penalty would give them. */
function pairs(ratio: number, position: number, noise: number[]): Pair[] {
  return noise.map((n, i) => {
    const defaultFirst = i % 2 === 1;
    const base = 4000 * n;
    // The second-started service runs at `position` of its throughput.
    const def = base * ratio * (defaultFirst ? 1 / position : position);
    return { defaultFirst, def, base };
  });
}

it('takes the median of an even count as the mean of the two middle values', () => {
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([3, 1, 2]), 2);
});

it('recovers the ratio and the position effect from both start orders', () => {
  const result = pairedRatio(pairs(0.85, 0.97, [1, 1.1, 0.9, 1.05, 0.95, 1]));
  assert.ok(Math.abs(result.ratio - 0.85) < 1e-9, `ratio ${result.ratio}`);
  assert.ok(Math.abs(result.position - 0.97) < 1e-9, `position ${result.position}`);
});

it('differs from the plain median of all pairs, which the start order biases', () => {
  const sample = pairs(0.9, 0.94, [1, 1, 1, 1]);
  const plain = median(sample.map((p) => p.def / p.base));
  assert.notEqual(plain.toFixed(3), '0.900');
  assert.equal(pairedRatio(sample).ratio.toFixed(3), '0.900');
});

it('takes the median within each order, so one outlying pair does not move it', () => {
  const sample = pairs(0.8, 1, [1, 1, 1, 1, 1, 1]);
  sample[0] = { ...sample[0], def: sample[0].base * 0.3 }; // a stalled run
  assert.equal(pairedRatio(sample).ratio.toFixed(3), '0.800');
});

it('takes the alternating ratio round by round, so drift between rounds cancels', () => {
  // The machine's speed swings by 3x between rounds; within a round, telemetry costs 15%.
  const speeds = [1, 2, 0.6, 1.5, 0.8, 1.2];
  const result = alternatingRatio(speeds.map((s) => ({ base: 10_000 * s, def: 8_500 * s })));
  assert.equal(result.ratio.toFixed(3), '0.850');
  assert.equal(result.min.toFixed(3), '0.850');
  assert.equal(result.max.toFixed(3), '0.850');
});

it('reports the spread of the rounds and is not moved by one stalled round', () => {
  const rounds = [0.8, 0.82, 0.78, 0.8, 0.81, 0.8].map((r) => ({ base: 1000, def: 1000 * r }));
  rounds[2] = { base: 1000, def: 200 }; // a stalled run
  const result = alternatingRatio(rounds);
  assert.equal(result.ratio.toFixed(3), '0.800');
  assert.equal(result.min.toFixed(3), '0.200');
  assert.equal(result.max.toFixed(3), '0.820');
});

it('counts the fresh processes whose helper threads took more than twice the baseline median', () => {
  const fresh = [
    ...[5, 6, 7].map((helperCpuUs) => ({ mode: 'no-telemetry', rate: 15000, cpuUs: 55, helperCpuUs })),
    ...[7, 8, 25, 12.1].map((helperCpuUs) => ({ mode: 'default', rate: 14000, cpuUs: 60 + helperCpuUs, helperCpuUs })),
  ];
  const [def, base] = freshSplit(fresh, ['default', 'no-telemetry'], 'no-telemetry');
  assert.deepEqual(def, { mode: 'default', cpuUs: [67, 68, 85, 72.1], helperCpuUs: [7, 8, 25, 12.1], heavy: 2 });
  assert.equal(base.heavy, 0);
  assert.equal(base.cpuUs.length, 3);
});
