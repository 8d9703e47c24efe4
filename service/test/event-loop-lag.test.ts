import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventLoopLag } from '../src/plugins/event-loop-lag.ts';

/** Blocks the event loop for `ms`, as a long synchronous turn does. */
function block(ms: number) {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('event-loop lag (load shedding signal)', () => {
  it('stays under the limit after one long turn, however long, and trips after consecutive ones', async () => {
    const limit = 50;
    const lag = new EventLoopLag({ capMs: 2 * limit });
    lag.start();
    try {
      await sleep(100);
      assert.ok(lag.lagMs < 10, `idle: ${lag.lagMs.toFixed(1)} ms`);
      block(400); // one very long turn (start-up compilation, a big GC)
      await sleep(15);
      assert.ok(lag.lagMs > 10 && lag.lagMs < limit, `after one 400 ms turn: ${lag.lagMs.toFixed(1)} ms`);
      await sleep(100);
      // Consecutive long turns, as when a queue builds up: every tick comes late.
      for (let i = 0; i < 4; i++) {
        block(120);
        await sleep(1); // one pass of the timers: the late tick runs, then the next turn is long again
      }
      assert.ok(lag.lagMs > limit, `after four 120 ms turns: ${lag.lagMs.toFixed(1)} ms`);
      await sleep(100); // short turns again
      assert.ok(lag.lagMs < limit / 2, `recovered: ${lag.lagMs.toFixed(1)} ms`);
    } finally {
      lag.stop();
    }
  });
});
