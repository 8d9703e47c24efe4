// Instrumentation through the SDK's own in-memory exporters: spans and their parents, exception
// events, log correlation, and metric names, units, attributes and buckets as the catalog says.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { DataPointType, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { catalog, serviceInstruments } from '../src/telemetry/catalog.ts';
import { PooledIdGenerator } from '../src/telemetry/ids.ts';
import { RootSpans, rootSpanStarter } from '../src/telemetry/root-spans.ts';
import type { Telemetry } from '../src/telemetry/setup.ts';
import { TallyProducer } from '../src/telemetry/tally-producer.ts';
import { PullReader } from './pull-reader.ts';
import { startTelemetryService, type TelemetryService } from './telemetry-service.ts';

const spans = new InMemorySpanExporter();
const logRecords = new InMemoryLogRecordExporter();
// With the tally histograms, as exporters.ts gives the production reader.
const reader = new PullReader({ metricProducers: [new TallyProducer()] });
let telemetry: Telemetry;
let helpers: typeof import('./helpers.ts');
let svc: import('./helpers.ts').TestService;
const sentIds = new Set<string>();

const TRACE_ID = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const PARENT = '00ffffffffffffff';
const traceparent = `00-${TRACE_ID}-${PARENT}-01`;

let service: TelemetryService;
/** The meter provider startTelemetry gave the span and log processors, for their own metrics. */
const selfMetricsGiven: { spans?: unknown; logs?: unknown } = {};
before(async () => {
  service = await startTelemetryService(
    // Ratio 0: only requests that arrive with a sampled traceparent are traced, so the tests can
    // see both the sampled path and the one that keeps notable records of unsampled requests.
    { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0', OTEL_SERVICE_NAME: 'ingestor-test' },
    {
      spanProcessors: (selfMetrics) => ((selfMetricsGiven.spans = selfMetrics), [new SimpleSpanProcessor({ exporter: spans })]),
      metricReaders: [reader],
      logProcessors: (selfMetrics) => ((selfMetricsGiven.logs = selfMetrics), [new SimpleLogRecordProcessor({ exporter: logRecords })]),
    },
  );
  ({ telemetry, helpers, svc } = service);
});
after(() => service.close());

async function send(url: string, record: Record<string, unknown>, headers: Record<string, string> = {}) {
  for (const key of ['transaction_id', 'claim_id', 'customer_id', 'account_id', 'policy_number']) {
    if (typeof record[key] === 'string') sentIds.add(record[key] as string);
  }
  return svc.app.inject({ method: 'POST', url, headers: { ...helpers.json, ...headers }, payload: JSON.stringify(record) });
}

const byTrace = (traceId: string) => spans.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
const serverSpanOf = (list: ReadableSpan[]) => list.find((s) => s.kind === SpanKind.SERVER)!;

describe('setup', () => {
  it('gives the span and log processors its meter provider, the one the metric readers read', () => {
    assert.equal(selfMetricsGiven.spans, telemetry.meterProvider);
    assert.equal(selfMetricsGiven.logs, telemetry.meterProvider);
  });
});

describe('traces', () => {
  it('takes trace and span ids from the pooled generator, and root spans from the provider\'s starter', () => {
    // The SDK keeps its options in a private field; ids.test.ts checks the generator itself.
    const options = (telemetry.tracerProvider as unknown as { _tracerOptions: { idGenerator: unknown; sampler: unknown } })._tracerOptions;
    const roots = rootSpanStarter();
    assert.ok(roots instanceof RootSpans);
    assert.ok(roots.baseIds instanceof PooledIdGenerator);
    assert.equal(options.idGenerator, roots.idGenerator);
    assert.equal(options.sampler, roots.sampler);
  });

  it('continues an incoming traceparent: server span under the given parent, pipeline spans under it', async () => {
    spans.reset();
    const tx = helpers.transaction({ currency: 'USD', region: 'na' });
    assert.equal((await send('/v1/transactions', tx, { traceparent })).statusCode, 201);
    const trace = byTrace(TRACE_ID);
    const server = serverSpanOf(trace);
    assert.ok(server, 'a server span in the given trace');
    assert.equal(server.parentSpanContext?.spanId, PARENT);
    assert.equal(server.name, 'POST /v1/transactions');
    assert.equal(server.attributes['http.route'], '/v1/transactions');
    assert.equal(server.attributes['http.request.method'], 'POST');
    assert.equal(server.attributes['http.response.status_code'], 201);
    assert.equal(server.attributes['app.customer.id'], tx.customer_id);
    assert.equal(server.attributes['app.record.type'], 'transaction');
    assert.equal(server.attributes['app.amount'], tx.amount);
    assert.equal(server.attributes['app.currency'], 'USD');
    assert.equal(server.attributes['app.region'], 'na');
    for (const name of ['validate', 'fraud.score', 'store.commit']) {
      const child = trace.find((s) => s.name === name);
      assert.ok(child, `${name} span`);
      assert.equal(child.parentSpanContext?.spanId, server.spanContext().spanId, `${name} is a child of the server span`);
    }
  });

  it('records the exception and ERROR on the validate span of an invalid record', async () => {
    spans.reset();
    const tp = `00-${'b'.repeat(32)}-${PARENT}-01`;
    assert.equal((await send('/v1/transactions', helpers.transaction({ amount: -50 }), { traceparent: tp })).statusCode, 400);
    const validate = byTrace('b'.repeat(32)).find((s) => s.name === 'validate')!;
    assert.equal(validate.status.code, SpanStatusCode.ERROR);
    const exception = validate.events.find((e) => e.name === 'exception');
    assert.ok(exception, 'exception event');
    assert.equal(exception.attributes?.['exception.type'], 'ValidationError');
    assert.match(String(exception.attributes?.['exception.message']), /\/amount/);
  });

  it('marks a flagged record with a fraud.flagged span event', async () => {
    spans.reset();
    const tp = `00-${'c'.repeat(32)}-${PARENT}-01`;
    await send('/v1/transactions', helpers.transaction({ amount: 25_000 }), { traceparent: tp });
    const server = serverSpanOf(byTrace('c'.repeat(32)));
    const event = server.events.find((e) => e.name === 'fraud.flagged');
    assert.ok(event, 'fraud.flagged event on the server span');
    assert.equal(event.attributes?.['app.fraud.rules'], 'high_amount');
  });

  it('keeps a flagged record of an unsampled request in a sampled span linked to the request', async () => {
    spans.reset();
    const tx = helpers.transaction({ amount: 99_000 });
    await send('/v1/transactions', tx);
    const finished = spans.getFinishedSpans();
    assert.equal(finished.filter((s) => s.kind === SpanKind.SERVER).length, 0, 'the request itself is not sampled');
    const notable = finished.find((s) => s.name === 'fraud.flagged');
    assert.ok(notable, 'a fraud.flagged span');
    assert.equal(notable.attributes['app.record.id'], tx.transaction_id);
    assert.equal(notable.links.length, 1);
    assert.notEqual(notable.links[0].context.traceId, notable.spanContext().traceId);
  });

  it('marks the server span ERROR for a 5xx', async () => {
    spans.reset();
    const tp = `00-${'d'.repeat(32)}-${PARENT}-01`;
    const findMany = svc.store.findMany.bind(svc.store);
    svc.store.findMany = () => { throw new Error('disk on fire'); };
    try {
      const res = await send('/v1/transactions', helpers.transaction(), { traceparent: tp });
      assert.equal(res.statusCode, 500);
      assert.doesNotMatch(res.body, /disk on fire|at /, 'no internals in the response');
    } finally {
      svc.store.findMany = findMany;
    }
    const server = serverSpanOf(byTrace('d'.repeat(32)));
    assert.equal(server.status.code, SpanStatusCode.ERROR);
    assert.equal(server.attributes['error.type'], '500');
  });
});

describe('logs', () => {
  it('sends log records that carry the trace of their request', async () => {
    logRecords.reset();
    await send('/v1/transactions', helpers.transaction({ amount: 12_345 }), { traceparent: `00-${'e'.repeat(32)}-${PARENT}-01` });
    const flagged = logRecords.getFinishedLogRecords().find((r) => r.body === 'record flagged by fraud rules');
    assert.ok(flagged, 'the warn log was exported');
    assert.equal(flagged.severityText, 'warn');
    assert.equal(flagged.spanContext?.traceId, 'e'.repeat(32));
    assert.deepEqual(flagged.attributes.rules, ['high_amount']);
    assert.equal(flagged.resource.attributes['service.name'], 'ingestor-test');
  });

  it('never logs request bodies', async () => {
    logRecords.reset();
    await send('/v1/transactions', helpers.transaction({ amount: -1, category: 'secret-category' }));
    const text = JSON.stringify(logRecords.getFinishedLogRecords().map((r) => [r.body, r.attributes]));
    assert.match(text, /record rejected/);
    assert.doesNotMatch(text, /secret-category/);
  });
});

describe('metrics', () => {
  let collected: ResourceMetrics;
  before(async () => {
    await send('/v1/claims', helpers.claim({ claim_amount: 75_000 }));
    await svc.app.inject({ method: 'POST', url: '/v1/claims/batch', headers: helpers.json, payload: JSON.stringify({ records: [helpers.claim()] }) });
    ({ resourceMetrics: collected } = await reader.collect());
  });
  const find = (name: string) => collected.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);

  it('has the resource attributes', () => {
    for (const key of ['service.name', 'service.version', 'service.instance.id', 'deployment.environment.name']) {
      assert.ok(collected.resource.attributes[key], key);
    }
  });

  it('exports every service instrument with the catalog name, unit, description, attributes and buckets', () => {
    for (const def of serviceInstruments) {
      const metric = find(def.name);
      assert.ok(metric, `${def.name} exported`);
      assert.equal(metric.descriptor.unit, def.unit, `${def.name} unit`);
      assert.equal(metric.descriptor.description, def.description, `${def.name} description`);
      for (const point of metric.dataPoints) {
        for (const key of Object.keys(point.attributes)) assert.ok(def.attributes.includes(key), `${def.name} has unexpected attribute ${key}`);
        if (def.buckets) {
          assert.equal(metric.dataPointType, DataPointType.HISTOGRAM);
          assert.deepEqual((point.value as { buckets: { boundaries: number[] } }).buckets.boundaries, [...def.buckets], `${def.name} buckets`);
        }
      }
    }
  });

  it('records http.server.request.duration in seconds with the route', () => {
    const metric = find(catalog.httpServerRequestDuration.name)!;
    const post = metric.dataPoints.find((p) => p.attributes['http.route'] === '/v1/transactions' && p.attributes['http.response.status_code'] === 201);
    assert.ok(post);
    assert.equal(post.attributes['http.request.method'], 'POST');
    const value = post.value as { sum: number; count: number };
    assert.ok(value.count > 0 && value.sum / value.count < 5, 'seconds, not milliseconds');
  });

  it('counts ingest outcomes, fraud flags, rejections and stored records', () => {
    const claims = find(catalog.claimsIngested.name)!;
    assert.ok(claims.dataPoints.some((p) => p.attributes.outcome === 'accepted' && p.attributes['claim.type'] === 'auto'));
    const flagged = find(catalog.fraudFlagged.name)!;
    assert.ok(flagged.dataPoints.some((p) => p.attributes.rule === 'high_claim' && p.attributes['record.type'] === 'claim'));
    const rejected = find(catalog.recordsRejected.name)!;
    assert.ok(rejected.dataPoints.some((p) => p.attributes.reason === 'invalid_field'));
    const stored = find(catalog.storeRecords.name)!;
    assert.ok(stored.dataPoints.some((p) => p.attributes['record.type'] === 'claim' && (p.value as number) >= 2));
  });

  it('exports runtime metrics', async () => {
    assert.ok(find(catalog.heapUsed.name), 'heap used');
    // Event-loop delay is reported once its 10 ms sampler has a few samples: poll, bounded.
    let delay;
    for (let i = 0; i < 50 && !delay; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const { resourceMetrics } = await reader.collect();
      delay = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === catalog.eventLoopDelayP99.name);
    }
    assert.ok(delay, 'event loop delay');
    assert.equal(delay.descriptor.unit, 's');
  });

  it('never has a customer, account, policy or record id as an attribute', () => {
    assert.ok(sentIds.size > 10);
    for (const metric of collected.scopeMetrics.flatMap((s) => s.metrics)) {
      for (const point of metric.dataPoints) {
        for (const [key, value] of Object.entries(point.attributes)) {
          assert.doesNotMatch(key, /(^|[._])(id|customer|account|policy|transaction_id|claim_id)$/, `${metric.descriptor.name} has attribute ${key}`);
          assert.ok(!sentIds.has(String(value)), `${metric.descriptor.name} has an id as the value of ${key}`);
        }
      }
    }
  });
});
