// The requests' root spans in the service, sampled: with every trace sampled (always_on), a
// request without trace context gets its server span through RootSpans and the SDK, with the
// HTTP attributes, the pipeline's spans under it and its log lines in its trace. telemetry.test.ts
// covers the unsampled path (ratio 0) and requests that bring a traceparent.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { RootSpans, rootSpanStarter } from '../src/telemetry/root-spans.ts';
import { startTelemetryService, type TelemetryService } from './telemetry-service.ts';

const spans = new InMemorySpanExporter();
const logRecords = new InMemoryLogRecordExporter();
let service: TelemetryService;

before(async () => {
  service = await startTelemetryService(
    { OTEL_TRACES_SAMPLER: 'always_on', OTEL_SERVICE_NAME: 'ingestor-test' },
    { spanProcessors: () => [new SimpleSpanProcessor({ exporter: spans })], metricReaders: [], logProcessors: () => [new SimpleLogRecordProcessor({ exporter: logRecords })] },
  );
});
after(() => service.close());

it('a sampled request without trace context: a root server span with its attributes, the pipeline under it, its logs in its trace', async () => {
  assert.ok(rootSpanStarter() instanceof RootSpans, 'the hooks start root spans through the kit\'s starter');
  spans.reset();
  logRecords.reset();
  const { svc, helpers, telemetry } = service;
  const response = await svc.app.inject({ method: 'POST', url: '/v1/transactions', headers: helpers.json, payload: JSON.stringify(helpers.transaction({ amount: 12_345 })) });
  assert.equal(response.statusCode, 201);
  await telemetry.tracerProvider.forceFlush();
  const finished = spans.getFinishedSpans();
  const server = finished.find((s) => s.kind === SpanKind.SERVER);
  assert.ok(server, 'the server span was recorded and exported');
  assert.equal(server.parentSpanContext, undefined, 'a root');
  assert.match(server.spanContext().traceId, /^[0-9a-f]{32}$/);
  assert.equal(server.name, 'POST /v1/transactions');
  assert.equal(server.attributes['http.request.method'], 'POST');
  assert.equal(server.attributes['http.route'], '/v1/transactions');
  assert.equal(server.attributes['http.response.status_code'], 201);
  for (const name of ['validate', 'fraud.score', 'store.commit']) {
    const child = finished.find((s) => s.name === name);
    assert.ok(child, `${name} was recorded`);
    assert.equal(child.spanContext().traceId, server.spanContext().traceId);
    assert.equal(child.parentSpanContext?.spanId, server.spanContext().spanId, `${name} is a child of the server span`);
  }
  const flagged = logRecords.getFinishedLogRecords().find((r) => r.body === 'record flagged by fraud rules');
  assert.ok(flagged, 'the warn log was exported');
  assert.equal(flagged.spanContext?.traceId, server.spanContext().traceId, 'the log line is in the request\'s trace');
});
