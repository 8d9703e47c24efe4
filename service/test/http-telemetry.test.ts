// The HTTP hooks' duration histogram: one series per route template, method, scheme, protocol
// version and status, each request counted in its own, whatever the hooks cache per route.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { MeterProvider, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { catalog } from '../src/telemetry/catalog.ts';
import httpTelemetry from '../src/telemetry/http.ts';
import { TallyProducer } from '../src/telemetry/tally-producer.ts';
import { pause, postAndHangUp, retryUntil } from './hang-up.ts';
import { PullReader } from './pull-reader.ts';

const reader = new PullReader({ metricProducers: [new TallyProducer()] });
const provider = new MeterProvider({ readers: [reader] });
let app: FastifyInstance;
/** /slow's handler: `entered` is called when it starts, `release` lets it answer. */
let entered: (() => void) | undefined;
let release: (() => void) | undefined;

before(async () => {
  // trustProxy: the scheme comes from X-Forwarded-Proto, so one route sees both schemes.
  app = Fastify({ trustProxy: true });
  await app.register(httpTelemetry);
  app.get('/items/:id', async (request, reply) => ((request.params as { id: string }).id === 'missing' ? reply.code(404).send() : { ok: true }));
  app.post('/items', async (_request, reply) => reply.code(201).send({ ok: true }));
  app.post('/slow', async () => {
    await new Promise<void>((resolve) => {
      release = resolve;
      entered?.();
    });
    return { ok: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await app.close();
  await provider.shutdown();
});

async function points(): Promise<DataPoint<Histogram>[]> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === catalog.httpServerRequestDuration.name);
  return (metric?.dataPoints ?? []) as DataPoint<Histogram>[];
}

const count = (all: DataPoint<Histogram>[], attributes: Record<string, string | number | undefined>) =>
  all.filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v)).reduce((n, p) => n + p.value.count, 0);

it('counts each request under its own route, method, scheme and status', async () => {
  for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url: `/items/${i}` });
  await app.inject({ method: 'GET', url: '/items/missing' });
  await app.inject({ method: 'GET', url: '/items/7', headers: { 'x-forwarded-proto': 'https' } });
  await app.inject({ method: 'POST', url: '/items', payload: {} });
  await app.inject({ method: 'POST', url: '/items', payload: {}, headers: { 'x-forwarded-proto': 'https' } });
  await app.inject({ method: 'GET', url: '/nowhere' });

  const all = await points();
  assert.equal(count(all, { 'http.route': '/items/:id', 'http.request.method': 'GET', 'url.scheme': 'http', 'http.response.status_code': 200 }), 3);
  assert.equal(count(all, { 'http.route': '/items/:id', 'url.scheme': 'http', 'http.response.status_code': 404 }), 1);
  assert.equal(count(all, { 'http.route': '/items/:id', 'url.scheme': 'https', 'http.response.status_code': 200 }), 1);
  assert.equal(count(all, { 'http.route': '/items', 'http.request.method': 'POST', 'url.scheme': 'http', 'http.response.status_code': 201 }), 1);
  assert.equal(count(all, { 'http.route': '/items', 'http.request.method': 'POST', 'url.scheme': 'https', 'http.response.status_code': 201 }), 1);
  // An unmatched request has no route attribute, as the conventions say, and is still counted.
  const unmatched = all.filter((p) => p.attributes['http.route'] === undefined);
  assert.equal(unmatched.reduce((n, p) => n + p.value.count, 0), 1);
  assert.equal(unmatched[0].attributes['http.response.status_code'], 404);
  assert.equal(all.reduce((n, p) => n + p.value.count, 0), 8, 'every request once');
});

it('counts a request whose client hung up as aborted, after its whole body or in the middle of it', async () => {
  const { port } = app.server.address() as { port: number };
  for (const partial of [false, true]) {
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    await postAndHangUp(port, '/slow', { partial, ready: () => (partial ? pause(50) : inHandler) });
    await pause(50);
    release?.(); // the handler answers into the closed connection
  }
  const aborted = (all: DataPoint<Histogram>[]) => count(all, { 'http.route': '/slow', 'error.type': 'aborted' });
  const all = await retryUntil(points, (all) => aborted(all) >= 2);
  assert.equal(aborted(all), 2);
  assert.equal(count(all, { 'http.route': '/slow', 'http.response.status_code': 200 }), 0);
});
