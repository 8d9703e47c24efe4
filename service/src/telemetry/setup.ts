// Builds and registers the OpenTelemetry SDK: resource, sampler, the three OTLP exporters,
// runtime metrics and the pino log bridge. sdk.ts calls it with the environment; tests call it
// with in-memory exporters.
import { randomUUID } from 'node:crypto';
import { context, diag, DiagConsoleLogger, DiagLogLevel, logs, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { serviceVersion } from '../version.ts';
import { PooledIdGenerator } from './ids.ts';
import { settledWithin } from './lifecycle.ts';
import { RootSpans } from './root-spans.ts';
import { samplersFromEnv } from './sampler.ts';

type Env = Record<string, string | undefined>;

export const DEFAULT_SERVICE_NAME = 'ingestor';


export function buildResource(env: Env): Resource {
  const own = resourceFromAttributes({
    'service.name': env.OTEL_SERVICE_NAME || DEFAULT_SERVICE_NAME,
    'service.namespace': 'observability-kit',
    'service.version': serviceVersion(),
    'service.instance.id': randomUUID(),
    'deployment.environment.name': env.DEPLOYMENT_ENVIRONMENT || 'development',
  });
  // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME win over the defaults above.
  return defaultResource().merge(own).merge(detectResources({ detectors: [envDetector] }));
}

/**
 * What the telemetry exports to. The processors are made once the meter provider exists, so that
 * batching processors can count what they export, drop and fail (batchSpans, batchLogs).
 */
export interface TelemetryParts {
  spanProcessors(selfMetrics: MeterProvider): SpanProcessor[];
  metricReaders: IMetricReader[];
  logProcessors(selfMetrics: MeterProvider): LogRecordProcessor[];
}

export interface Telemetry {
  tracerProvider: TracerProvider;
  meterProvider: MeterProvider;
  loggerProvider: LoggerProvider;
  shutdown(): Promise<void>;
}

// Bounded queues: with no collector listening, or with more to export than the exporter keeps up
// with (every trace sampled at full load), spans and log records past them are dropped, not
// buffered. `selfMetrics` gets the processors' own metrics (otel.sdk.processor.*: processed,
// dropped with error.type=queue_full, failed exports, queue size and capacity), so a drop shows on
// the pipeline dashboard instead of only in a diag line nobody reads. They cost a counter add per
// exported batch and per dropped item, nothing per request.
//
// The sizes and delays are the specification's defaults, and its OTEL_BSP_* and OTEL_BLRP_*
// variables change them: OpenTelemetry JS 3's processors no longer read them themselves.
export function batchSpans(exporter: SpanExporter, selfMetrics: MeterProvider, env: Env = {}): SpanProcessor {
  return new BatchSpanProcessor({ exporter, ...spanBatchOptions(env), selfObsMeterProvider: selfMetrics });
}

export function batchLogs(exporter: LogRecordExporter, selfMetrics: MeterProvider, env: Env = {}): LogRecordProcessor {
  return new BatchLogRecordProcessor({ exporter, ...logBatchOptions(env), selfObsMeterProvider: selfMetrics });
}

export function spanBatchOptions(env: Env) {
  return batchOptions(
    positiveOr(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048),
    positiveOr(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512),
    positiveOr(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000),
    positiveOr(env, 'OTEL_BSP_EXPORT_TIMEOUT', 30_000),
  );
}

export function logBatchOptions(env: Env) {
  return batchOptions(
    positiveOr(env, 'OTEL_BLRP_MAX_QUEUE_SIZE', 2048),
    positiveOr(env, 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', 512),
    positiveOr(env, 'OTEL_BLRP_SCHEDULE_DELAY', 1000),
    positiveOr(env, 'OTEL_BLRP_EXPORT_TIMEOUT', 30_000),
  );
}

function batchOptions(maxQueueSize: number, maxExportBatchSize: number, scheduledDelayMillis: number, exportTimeoutMillis: number) {
  // The specification: a batch is never larger than the queue.
  return { maxQueueSize, maxExportBatchSize: Math.min(maxExportBatchSize, maxQueueSize), scheduledDelayMillis, exportTimeoutMillis };
}

/** A positive integer from the environment; anything else is warned about and left at the default, as the specification asks. */
function positiveOr(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (Number.isInteger(value) && value > 0) return value;
  diag.warn(`${name} must be a positive integer, got "${raw}"; using ${fallback}`);
  return fallback;
}

/** How long the span and log flush at shutdown may hold back the metrics' last export. */
const FLUSH_FIRST_MS = 2_000;

export function startTelemetry(env: Env, parts: TelemetryParts): Telemetry {
  if (env.OTEL_LOG_LEVEL) {
    const level = DiagLogLevel[env.OTEL_LOG_LEVEL.toUpperCase() as keyof typeof DiagLogLevel];
    if (level !== undefined) diag.setLogger(new DiagConsoleLogger(), level);
  }
  const resource = buildResource(env);

  context.setGlobalContextManager(new AsyncLocalStorageContextManager());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );

  // First, so that the span and log processors can count into it.
  const meterProvider = new MeterProvider({ resource, readers: parts.metricReaders });
  metrics.setGlobalMeterProvider(meterProvider);

  // The provider samples and makes ids through `roots`, which starts the requests' root spans.
  const samplers = samplersFromEnv(env);
  const roots = new RootSpans(samplers.sampler, new PooledIdGenerator(), samplers.root);
  const tracerProvider = new TracerProvider({
    resource,
    sampler: roots.sampler,
    idGenerator: roots.idGenerator,
    spanProcessors: parts.spanProcessors(meterProvider),
  });
  roots.attachTo(tracerProvider);
  trace.setGlobalTracerProvider(tracerProvider);

  const loggerProvider = new LoggerProvider({ resource, processors: parts.logProcessors(meterProvider) });
  logs.setGlobalLoggerProvider(loggerProvider);

  // Only these two: the HTTP span and histogram come from Fastify hooks (telemetry/http.ts),
  // measured far cheaper than instrumentation-http (docs/benchmarks.md).
  registerInstrumentations({
    instrumentations: [
      // Samples event-loop delay every 10 ms (the resolution, not an export interval).
      new RuntimeNodeInstrumentation({ monitoringPrecision: 10 }),
      // Correlation fields use the names Loki's derived field and Grafana expect.
      new PinoInstrumentation({ logKeys: { traceId: 'trace_id', spanId: 'span_id', traceFlags: 'trace_flags' } }),
    ],
  });

  return {
    tracerProvider,
    meterProvider,
    loggerProvider,
    async shutdown() {
      // The span and log processors' final flush counts into the meter provider, so its last
      // export goes after it; but no later than FLUSH_FIRST_MS, or a flush retrying against a
      // collector that is down would leave no time for the metrics' last export (main.ts gives
      // the whole shutdown 5 s).
      const flushed = Promise.allSettled([tracerProvider.shutdown(), loggerProvider.shutdown()]);
      await settledWithin(flushed, FLUSH_FIRST_MS);
      await Promise.allSettled([meterProvider.shutdown(), flushed]);
    },
  };
}
