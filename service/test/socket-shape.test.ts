// Sockets keep one V8 shape whether or not their requests were sampled. A sampled request reads
// the client address, which Node caches on the socket; when only some sockets had that property,
// and in a different order from the ones Node adds, Node's HTTP code turned megamorphic
// (docs/benchmarks.md). V8's own map comparison checks it.
import assert from 'node:assert/strict';
import { request, Agent } from 'node:http';
import type { Socket, AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import Fastify, { type FastifyInstance } from 'fastify';
import httpTelemetry from '../src/telemetry/http.ts';

setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

const spans = new InMemorySpanExporter();
const provider = new TracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }), spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
const sockets: Socket[] = [];
let app: FastifyInstance;
let port: number;

before(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  app = Fastify();
  await app.register(httpTelemetry);
  app.get('/ping', async () => ({ ok: true }));
  // Registered after the plugin's own listener, so it sees the socket as the routes will.
  app.server.on('connection', (socket: Socket) => sockets.push(socket));
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
});
after(async () => {
  await app.close();
  await provider.shutdown();
});

/** Two requests on one keep-alive connection, with or without a sampled parent. */
async function twoRequests(sampled: boolean): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const flags = sampled ? '01' : '00';
  for (let i = 0; i < 2; i++) {
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/ping', agent, headers: { traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-${flags}` } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  }
  agent.destroy();
}

it('gives a socket whose requests were sampled the same shape as one whose were not', async () => {
  await twoRequests(true);
  await twoRequests(false);
  assert.equal(sockets.length, 2, 'one server socket per client connection');
  assert.equal(spans.getFinishedSpans().length, 2, 'the first connection was traced, the second not');
  assert.ok(haveSameMap(sockets[0], sockets[1]), 'both sockets have one hidden class');
});
