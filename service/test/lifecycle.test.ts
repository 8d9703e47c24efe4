import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { onTelemetryShutdown, settledWithin, shutdownTelemetry } from '../src/telemetry/lifecycle.ts';

describe('settledWithin', () => {
  it('is true for work that succeeds in time, false for work that fails', async () => {
    assert.equal(await settledWithin(sleep(5), 1_000), true);
    assert.equal(await settledWithin(Promise.reject(new Error('export failed')), 1_000), false);
  });

  it('gives up at the time limit without waiting for the work', async () => {
    const started = performance.now();
    assert.equal(await settledWithin(sleep(5_000, undefined, { ref: false }), 50), false);
    assert.ok(performance.now() - started < 2_000, 'returned long before the work would have');
  });
});

describe('shutdownTelemetry', () => {
  it('runs the registered shutdown and reports whether it finished in time', async () => {
    let calls = 0;
    onTelemetryShutdown(async () => {
      calls++;
    });
    assert.equal(await shutdownTelemetry(1_000), true);
    onTelemetryShutdown(() => sleep(5_000, undefined, { ref: false }));
    assert.equal(await shutdownTelemetry(50), false);
    assert.equal(calls, 1);
  });
});
