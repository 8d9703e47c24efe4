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

export interface TelemetryParts {
  spanProcessors: SpanProcessor[];
  metricReaders: IMetricReader[];
  logProcessors: LogRecordProcessor[];
}

export interface Telemetry {
  tracerProvider: TracerProvider;
  meterProvider: MeterProvider;
  loggerProvider: LoggerProvider;
  shutdown(): Promise<void>;
}

export function batchSpans(exporter: SpanExporter): SpanProcessor {
  // Bounded queue: with no collector listening, spans past it are dropped, not buffered.
  return new BatchSpanProcessor({ exporter, maxQueueSize: 2048, maxExportBatchSize: 512 });
}

export function batchLogs(exporter: LogRecordExporter): LogRecordProcessor {
  return new BatchLogRecordProcessor({ exporter, maxQueueSize: 2048, maxExportBatchSize: 512 });
}

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

  // The provider samples and makes ids through `roots`, which starts the requests' root spans.
  const samplers = samplersFromEnv(env);
  const roots = new RootSpans(samplers.sampler, new PooledIdGenerator(), samplers.root);
  const tracerProvider = new TracerProvider({
    resource,
    sampler: roots.sampler,
    idGenerator: roots.idGenerator,
    spanProcessors: parts.spanProcessors,
  });
  roots.attachTo(tracerProvider);
  trace.setGlobalTracerProvider(tracerProvider);

  const meterProvider = new MeterProvider({ resource, readers: parts.metricReaders });
  metrics.setGlobalMeterProvider(meterProvider);

  const loggerProvider = new LoggerProvider({ resource, processors: parts.logProcessors });
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
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown(), loggerProvider.shutdown()]);
    },
  };
}
