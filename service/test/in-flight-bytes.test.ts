// The body budget: a burst may fill it; refusals that go on without a pause (overload) halve it
// until they pause.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InFlightBytes } from '../src/plugins/in-flight-bytes.ts';

/** A budget of 1000 bytes, halved after 100 ms of refusals without a 50 ms pause, on a clock the test moves. */
function budget() {
  const clock = { ms: 0 };
  return { clock, bodies: new InFlightBytes(1000, { overloadAfterMs: 100, pauseMs: 50, now: () => clock.ms }) };
}

/** Refuses a request every 40 ms (no pause of 50) until `untilMs`. */
function refuseUntil(clock: { ms: number }, bodies: InFlightBytes, untilMs: number) {
  for (; clock.ms <= untilMs; clock.ms += 40) assert.equal(bodies.fits(2000), false);
  clock.ms -= 40;
}

describe('in-flight bytes', () => {
  it('lets a burst use the whole budget, and no more', () => {
    const { bodies } = budget();
    bodies.add(600);
    assert.equal(bodies.fits(400), true);
    bodies.add(400);
    assert.equal(bodies.fits(1), false, 'the whole budget is the limit');
  });

  it('admits half the budget once refusals have gone on for the overload time, until they pause', () => {
    const { clock, bodies } = budget();
    bodies.add(600);
    refuseUntil(clock, bodies, 80); // refusals at 0, 40 and 80 ms
    assert.equal(bodies.fits(100), true, '80 ms of refusals is still a burst: 700 of 1000 fits');
    refuseUntil(clock, bodies, 120); // and at 120
    assert.equal(bodies.fits(100), false, 'after 100 ms of refusals, 700 is over half');
    bodies.remove(300);
    assert.equal(bodies.fits(200), true, '300 + 200 is half');
    assert.equal(bodies.fits(201), false);
    clock.ms += 49;
    assert.equal(bodies.fits(300), false, 'a 49 ms pause does not end the overload');
    clock.ms += 51;
    assert.equal(bodies.fits(300), true, 'a pause of more than 50 ms ends it: 300 + 300 of 1000 fits');
  });

  it('starts a new spell of refusals after a pause', () => {
    const { clock, bodies } = budget();
    bodies.add(600);
    refuseUntil(clock, bodies, 80);
    clock.ms += 60; // a pause: the next refusal starts a new spell
    refuseUntil(clock, bodies, clock.ms + 80);
    assert.equal(bodies.fits(100), true, 'two spells of 80 ms are not 100 ms of overload');
  });

  it('admits a body bigger than the budget when nothing else is in flight', () => {
    const { bodies } = budget();
    assert.equal(bodies.fits(5000), true);
    bodies.add(5000);
    assert.equal(bodies.fits(1), false);
    bodies.remove(5000);
    assert.equal(bodies.bytes, 0);
    assert.equal(bodies.fits(1000), true);
  });
});
