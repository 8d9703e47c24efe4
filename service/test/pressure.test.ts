// Load shedding over real HTTP: the in-flight limits refuse with a problem and Retry-After, never
// refuse the probes, and every admitted request gives its place back, however it ends; a client
// that hangs up must not hold a place for ever (the benchmark's long runs were shed that way).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import pressure from '../src/plugins/pressure.ts';
import { pause, postAndHangUp, retryUntil } from './hang-up.ts';

/** A handler that waits until the test lets it answer, and says when it has started. */
class Gate {
  private waiting: Array<() => void> = [];
  private entered: Array<() => void> = [];
  /** Resolves once `n` requests wait in the handler. */
  reached(n: number): Promise<void> {
    return this.waiting.length >= n ? Promise.resolve() : new Promise((resolve) => this.entered.push(() => this.reached(n).then(resolve)));
  }
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      for (const notify of this.entered.splice(0)) notify();
    });
  }
  open(): void {
    for (const release of this.waiting.splice(0)) release();
  }
}

let app: FastifyInstance;
let base: string;
let port: number;
const gate = new Gate();

before(async () => {
  app = Fastify();
  await app.register(pressure, {
    maxInFlight: 2, maxInFlightBytes: 1000, bodyLimitBytes: 1000, maxEventLoopDelayMs: 0, maxHeapUsedBytes: 0, retryAfterSeconds: 3,
  });
  app.post('/slow', async () => {
    await gate.wait();
    return { ok: true };
  });
  app.get('/readyz', async () => ({ ready: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
  base = `http://127.0.0.1:${port}`;
});
after(() => app.close());
beforeEach(() => gate.open());

const post = (body = '{}') => fetch(`${base}/slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

/** Hangs up once the handler has the request (or, `partial`, mid-body), then lets the handler answer into the closed connection. */
async function hangUp(options: { partial?: boolean } = {}): Promise<void> {
  await postAndHangUp(port, '/slow', { partial: options.partial, ready: () => (options.partial ? pause(50) : gate.reached(1)) });
  await pause(20);
  gate.open();
}

/** Two requests at once: their statuses once both are answered. */
async function twoAtOnce(): Promise<number[]> {
  const answers = [post(), post()];
  // A refused request answers at once; admitted ones wait at the gate until both are in or one is refused.
  await Promise.race([gate.reached(2), ...answers]);
  gate.open();
  return (await Promise.all(answers)).map((r) => r.status);
}

/** Checks that both places come free. */
async function assertBothPlacesFree() {
  assert.deepEqual(await retryUntil(twoAtOnce, (statuses) => !statuses.includes(503)), [200, 200]);
}

describe('pressure', () => {
  it('refuses past the in-flight limit with 503, Retry-After and a problem, and still answers probes', async () => {
    const admitted = [post(), post()];
    await gate.reached(2);
    const refused = await post();
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '3');
    assert.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const problem = (await refused.json()) as { status: number; detail: string };
    assert.equal(problem.status, 503);
    assert.match(problem.detail, /too many requests in flight/);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    gate.open();
    assert.deepEqual((await Promise.all(admitted)).map((r) => r.status), [200, 200]);
  });

  it('refuses a body that would take the bytes in flight past their limit', async () => {
    const admitted = post(JSON.stringify({ pad: 'x'.repeat(600) }));
    await gate.reached(1);
    const refused = await post(JSON.stringify({ pad: 'y'.repeat(600) }));
    assert.equal(refused.status, 503);
    assert.match(((await refused.json()) as { detail: string }).detail, /too many request bytes in flight/);
    gate.open();
    assert.equal((await admitted).status, 200);
  });

  it('lets a burst of bodies use the whole byte budget, and admits half of it once refusals go on', async () => {
    const burstGate = new Gate();
    const burst = Fastify();
    await burst.register(pressure, {
      maxInFlight: 10, maxInFlightBytes: 1000, overloadAfterMs: 100, overloadPauseMs: 100,
      bodyLimitBytes: 1000, maxEventLoopDelayMs: 0, maxHeapUsedBytes: 0, retryAfterSeconds: 3,
    });
    burst.post('/slow', async () => {
      await burstGate.wait();
      return { ok: true };
    });
    await burst.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${(burst.server.address() as { port: number }).port}/slow`;
      const send = (padding: number) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(padding) }) });
      /** The status of a request the test expects refused; 'admitted' if it reaches the handler instead. */
      const refusedStatus = async (padding: number, waiting: number) => {
        const answer = send(padding);
        return Promise.race([answer.then((r) => r.status), burstGate.reached(waiting + 1).then(() => 'admitted')]);
      };
      const first = send(600);
      await burstGate.reached(1);
      const second = send(300); // ~920 bytes in flight: over half, within the whole
      await burstGate.reached(2);
      // Refusals for longer than 100 ms, never pausing for 100 ms: overload.
      for (let i = 0; i < 3; i++) {
        assert.equal(await refusedStatus(200, 2), 503, 'over the whole budget');
        await pause(60);
      }
      const third = send(10);
      const outcome = await Promise.race([third.then((r) => r.status), burstGate.reached(3).then(() => 'admitted')]);
      assert.equal(outcome, 503, 'in overload, ~930 bytes are over half the budget');
      assert.match(((await (await third).json()) as { detail: string }).detail, /too many request bytes in flight/);
      burstGate.open();
      assert.deepEqual([(await first).status, (await second).status], [200, 200]);
      await pause(120); // the refusals pause
      const again = [send(600), send(300)];
      await burstGate.reached(2);
      burstGate.open();
      assert.deepEqual((await Promise.all(again)).map((r) => r.status), [200, 200], 'after a pause, a burst has the whole budget again');
    } finally {
      burstGate.open();
      await burst.close();
    }
  });

  it('frees the place of a client that hangs up after sending its whole body', async () => {
    await hangUp();
    await hangUp();
    await assertBothPlacesFree();
  });

  it('frees the place of a client that hangs up in the middle of its body', async () => {
    await hangUp({ partial: true });
    await hangUp({ partial: true });
    await assertBothPlacesFree();
  });
});
