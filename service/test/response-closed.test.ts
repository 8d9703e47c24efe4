// The end of a request for every plugin that needs it, through one 'close' listener per response:
// each handler once per request, in the order added, told whether the request was answered.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import pressure from '../src/plugins/pressure.ts';
import { useResponseClosed } from '../src/plugins/response-closed.ts';
import httpTelemetry from '../src/telemetry/http.ts';
import { pause, postAndHangUp, retryUntil } from './hang-up.ts';

describe('response-closed', () => {
  let app: FastifyInstance;
  let port: number;
  const seen: Array<{ handler: string; url: string; answered: boolean }> = [];
  const listenersOnResponse: number[] = [];
  let release: () => void = () => {};

  before(async () => {
    app = Fastify();
    // As the service has them: the telemetry and the load shedding both end with the response.
    await app.register(httpTelemetry);
    await app.register(pressure, {
      maxInFlight: 10, maxInFlightBytes: 0, bodyLimitBytes: 1000, maxEventLoopDelayMs: 0, maxHeapUsedBytes: 0, retryAfterSeconds: 1,
    });
    await useResponseClosed(app); // already there: a second call adds nothing
    app.onResponseClosed((request, reply) => seen.push({ handler: 'first', url: request.url, answered: reply.raw.writableEnded }));
    app.onResponseClosed((request, reply) => seen.push({ handler: 'second', url: request.url, answered: reply.raw.writableEnded }));
    app.get('/ok', async (_request, reply) => {
      listenersOnResponse.push(reply.raw.listenerCount('close'));
      return { ok: true };
    });
    app.post('/held', async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return { ok: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  after(() => app.close());

  it('calls every handler once per answered request, in order, through one listener', async () => {
    seen.length = 0;
    const response = await fetch(`http://127.0.0.1:${port}/ok`);
    assert.equal(response.status, 200);
    await retryUntil(async () => seen.length, (n) => n >= 2);
    assert.deepEqual(seen, [
      { handler: 'first', url: '/ok', answered: true },
      { handler: 'second', url: '/ok', answered: true },
    ]);
    assert.deepEqual(listenersOnResponse, [1], 'the telemetry, the load shedding and the test share one listener');
  });

  it('tells the handlers of a client that hung up before the answer', async () => {
    seen.length = 0;
    await postAndHangUp(port, '/held', { ready: () => pause(50) });
    await retryUntil(async () => seen.length, (n) => n >= 2);
    release();
    await pause(20);
    assert.deepEqual(seen, [
      { handler: 'first', url: '/held', answered: false },
      { handler: 'second', url: '/held', answered: false },
    ], 'once each, not again when the handler answers into the closed connection');
  });
});
