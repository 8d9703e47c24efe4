// OTLP exporters chosen from OTEL_EXPORTER_OTLP_PROTOCOL (and the per-signal variables):
// http/protobuf (the default) or http/json. The exporters themselves read the endpoint,
// headers, timeout and compression variables; the default endpoint is http://localhost:4318.
import { OTLPLogExporter as LogsJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as MetricsJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as MetricsProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as TracesJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TracesProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { diag } from '@opentelemetry/api';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { InstrumentType, PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { TallyProducer } from './tally-producer.ts';

type Env = Record<string, string | undefined>;
type Signal = 'TRACES' | 'METRICS' | 'LOGS';

/** The kit exports every 10 s unless OTEL_METRIC_EXPORT_INTERVAL says otherwise (the spec's 60 s makes dashboards lag). */
export const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 10_000;

export function protocol(signal: Signal, env: Env): 'http/protobuf' | 'http/json' {
  const value = (env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim();
  if (value === 'http/json') return 'http/json';
  if (value !== 'http/protobuf') diag.warn(`OTLP protocol "${value}" is not supported by the ingestor; using http/protobuf`);
  return 'http/protobuf';
}

export function traceExporter(env: Env): SpanExporter {
  return protocol('TRACES', env) === 'http/json' ? new TracesJson() : new TracesProto();
}

export function logExporter(env: Env): LogRecordExporter {
  return protocol('LOGS', env) === 'http/json' ? new LogsJson() : new LogsProto();
}

export function metricReader(env: Env): IMetricReader {
  const exporter = protocol('METRICS', env) === 'http/json' ? new MetricsJson() : new MetricsProto();
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL) || DEFAULT_METRIC_EXPORT_INTERVAL_MS;
  const timeout = Math.min(Number(env.OTEL_METRIC_EXPORT_TIMEOUT) || 30_000, interval);
  // The tally histograms (tally-histogram.ts) in the temporality the exporter asks for
  // (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE), like the SDK's own histograms.
  const tallies = new TallyProducer(exporter.selectAggregationTemporality(InstrumentType.HISTOGRAM));
  return new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: interval, exportTimeoutMillis: timeout, metricProducers: [tallies] });
}
