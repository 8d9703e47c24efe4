// The batch processors the kit builds (batchSpans, batchLogs) count into the meter provider they
// are given: items exported, items dropped on a full queue (error.type=queue_full), failed exports,
// and their queue's size and capacity, under the names and units the catalog gives.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diag, DiagLogLevel, ROOT_CONTEXT, type DiagLogger } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { catalog, type CatalogEntry } from '../src/telemetry/catalog.ts';
import { batchLogs, batchSpans, logBatchOptions, spanBatchOptions, startTelemetry } from '../src/telemetry/setup.ts';
import { PullReader } from './pull-reader.ts';

const QUEUE = 2048;
const silentLogger: DiagLogger = { error() {}, warn() {}, info() {}, debug() {}, verbose() {} };
const BATCH = 512;

/**
 * An exporter whose exports wait until `release(result)`, so the processor's queue fills;
 * after `letGo()` every export succeeds at once (for the processor's shutdown).
 */
function heldExporter<T>() {
  const waiting: Array<(result: ExportResult) => void> = [];
  const exported: T[][] = [];
  let holding = true;
  return {
    exported,
    release(result: ExportResult) {
      for (const done of waiting.splice(0)) done(result);
    },
    letGo() {
      holding = false;
      this.release({ code: ExportResultCode.SUCCESS });
    },
    export(items: T[], done: (result: ExportResult) => void) {
      exported.push(items);
      if (holding) waiting.push(done);
      else done({ code: ExportResultCode.SUCCESS });
    },
    async shutdown() {},
    async forceFlush() {},
  };
}

async function points(reader: PullReader, entry: CatalogEntry) {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === entry.name);
  assert.ok(metric, `${entry.name} was not recorded`);
  assert.equal(metric.descriptor.unit, entry.unit);
  for (const point of metric.dataPoints) for (const key of Object.keys(point.attributes)) assert.ok(entry.attributes.includes(key), `${entry.name}: ${key}`);
  assert.equal(metric.dataPointType, entry.kind === 'histogram' ? DataPointType.HISTOGRAM : DataPointType.SUM);
  return metric.dataPoints as Array<{ attributes: Record<string, unknown>; value: number }>;
}
const sumWhere = (ps: Array<{ attributes: Record<string, unknown>; value: number }>, errorType: string | undefined) =>
  ps.filter((p) => p.attributes['error.type'] === errorType).reduce((sum, p) => sum + p.value, 0);

/** A processor's three counts once its queue is full: items dropped for it, queue size and capacity. */
async function fullQueue(reader: PullReader, processed: CatalogEntry, size: CatalogEntry, capacity: CatalogEntry) {
  return {
    dropped: sumWhere(await points(reader, processed), 'queue_full'),
    size: (await points(reader, size)).map((p) => p.value),
    capacity: (await points(reader, capacity)).map((p) => p.value),
  };
}

/** Lets the exporter answer the batch it holds, and the processor take the answer. */
async function answer(exporter: { release(result: ExportResult): void }, result: ExportResult) {
  exporter.release(result);
  await new Promise((resolve) => setImmediate(resolve));
}

describe('batchSpans', () => {
  it('counts exported spans, spans dropped on a full queue, and a failed export, into the given meter provider', async () => {
    const reader = new PullReader();
    const selfMetrics = new MeterProvider({ readers: [reader] });
    const exporter = heldExporter<ReadableSpan>();
    const provider = new TracerProvider({ spanProcessors: [batchSpans(exporter as SpanExporter, selfMetrics)] });
    const tracer = provider.getTracer('test');
    const end = (n: number) => { for (let i = 0; i < n; i++) tracer.startSpan('s', {}, ROOT_CONTEXT).end(); };

    // The first full batch goes to the exporter, which holds it; the queue then fills, and 100 more are dropped.
    end(BATCH + QUEUE + 100);
    assert.equal(exporter.exported.length, 1);
    assert.deepEqual(await fullQueue(reader, catalog.sdkSpansProcessed, catalog.sdkSpanQueueSize, catalog.sdkSpanQueueCapacity), { dropped: 100, size: [QUEUE], capacity: [QUEUE] });

    await answer(exporter, { code: ExportResultCode.SUCCESS });
    assert.equal(sumWhere(await points(reader, catalog.sdkSpansProcessed), undefined), BATCH);

    // The next batch fails: its spans count with the error's name.
    await answer(exporter, { code: ExportResultCode.FAILED, error: new TypeError('collector down') });
    const processed = await points(reader, catalog.sdkSpansProcessed);
    assert.equal(sumWhere(processed, 'TypeError'), BATCH);
    assert.equal(sumWhere(processed, undefined), BATCH);
    assert.equal(sumWhere(processed, 'queue_full'), 100);
    exporter.letGo();
    await provider.shutdown();
    await selfMetrics.shutdown();
  });
});

describe('batchLogs', () => {
  it('counts log records dropped on a full queue and exported, into the given meter provider', async () => {
    const reader = new PullReader();
    const selfMetrics = new MeterProvider({ readers: [reader] });
    const exporter = heldExporter<ReadableLogRecord>();
    const logs = new LoggerProvider({ processors: [batchLogs(exporter as LogRecordExporter, selfMetrics)] });
    const logger = logs.getLogger('test');

    for (let i = 0; i < BATCH + QUEUE + 7; i++) logger.emit({ body: 'x' });
    assert.deepEqual(await fullQueue(reader, catalog.sdkLogsProcessed, catalog.sdkLogQueueSize, catalog.sdkLogQueueCapacity), { dropped: 7, size: [QUEUE], capacity: [QUEUE] });

    await answer(exporter, { code: ExportResultCode.SUCCESS });
    assert.equal(sumWhere(await points(reader, catalog.sdkLogsProcessed), undefined), BATCH);
    exporter.letGo();
    await logs.shutdown();
    await selfMetrics.shutdown();
  });
});

describe('the batch processors and the OTEL_BSP_* / OTEL_BLRP_* variables', () => {
  it('takes the queue and batch sizes from the environment', async () => {
    const reader = new PullReader();
    const selfMetrics = new MeterProvider({ readers: [reader] });
    const exporter = heldExporter<ReadableSpan>();
    const env = { OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4' };
    const provider = new TracerProvider({ spanProcessors: [batchSpans(exporter as SpanExporter, selfMetrics, env)] });
    const tracer = provider.getTracer('test');
    for (let i = 0; i < 4 + 10 + 3; i++) tracer.startSpan('s', {}, ROOT_CONTEXT).end();
    assert.deepEqual(exporter.exported.map((batch) => batch.length), [4]);
    assert.deepEqual(await fullQueue(reader, catalog.sdkSpansProcessed, catalog.sdkSpanQueueSize, catalog.sdkSpanQueueCapacity), { dropped: 3, size: [10], capacity: [10] });
    exporter.letGo();
    await provider.shutdown();
    await selfMetrics.shutdown();
  });

  it("keeps the specification's defaults, warns about a value that is not a positive integer, and never batches more than the queue", () => {
    assert.deepEqual(spanBatchOptions({}), { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 5000, exportTimeoutMillis: 30_000 });
    assert.deepEqual(logBatchOptions({}), { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 1000, exportTimeoutMillis: 30_000 });
    const warnings: string[] = [];
    diag.setLogger({ ...silentLogger, warn: (message: string) => void warnings.push(message) }, DiagLogLevel.WARN);
    try {
      const options = logBatchOptions({ OTEL_BLRP_MAX_QUEUE_SIZE: '100', OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '500', OTEL_BLRP_SCHEDULE_DELAY: 'soon', OTEL_BLRP_EXPORT_TIMEOUT: '-1' });
      assert.deepEqual(options, { maxQueueSize: 100, maxExportBatchSize: 100, scheduledDelayMillis: 1000, exportTimeoutMillis: 30_000 });
      assert.equal(warnings.length, 2);
      assert.match(warnings[0], /OTEL_BLRP_SCHEDULE_DELAY must be a positive integer, got "soon"/);
      assert.match(warnings[1], /OTEL_BLRP_EXPORT_TIMEOUT/);
    } finally {
      diag.disable();
    }
  });
});

describe('startTelemetry', () => {
  it("exports the processors' counts of their final flush at shutdown", async () => {
    const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    // Not the SDK's InMemorySpanExporter: its shutdown forgets what it got. Its answer takes a
    // while, as a collector's does: the metrics' last export must wait for it.
    const exportedSpans: ReadableSpan[] = [];
    const spans: SpanExporter = {
      export: (batch, done) => void setTimeout(() => (exportedSpans.push(...batch), done({ code: ExportResultCode.SUCCESS })), 20),
      shutdown: async () => {},
    };
    const telemetry = startTelemetry({ OTEL_TRACES_SAMPLER: 'always_on' }, {
      spanProcessors: (selfMetrics) => [batchSpans(spans, selfMetrics)],
      // No export before the shutdown's: the one export must already hold the flushed spans.
      metricReaders: [new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 3_600_000 })],
      logProcessors: (selfMetrics) => [batchLogs({ export: (_records, done) => done({ code: ExportResultCode.SUCCESS }), shutdown: async () => {}, forceFlush: async () => {} }, selfMetrics)],
    });
    const tracer = telemetry.tracerProvider.getTracer('test');
    for (let i = 0; i < 3; i++) tracer.startSpan('s', {}, ROOT_CONTEXT).end();
    await telemetry.shutdown();

    assert.equal(exportedSpans.length, 3);
    const exported = metrics.getMetrics().flatMap((r) => r.scopeMetrics).flatMap((s) => s.metrics).filter((m) => m.descriptor.name === catalog.sdkSpansProcessed.name);
    assert.ok(exported.length > 0, 'no processed-spans metric was exported');
    const last = exported.at(-1)!.dataPoints as Array<{ attributes: Record<string, unknown>; value: number }>;
    assert.equal(sumWhere(last, undefined), 3);
  });
});
