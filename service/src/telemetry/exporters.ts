// OTLP exporters chosen from OTEL_EXPORTER_OTLP_PROTOCOL (and the per-signal variables):
// http/protobuf (the default) or http/json. The SDK's configuration reads the endpoint, headers,
// timeout and compression variables (default endpoint http://localhost:4318); serializing stays
// on the main thread and the POSTs go to the export thread (export-relay.ts).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { diag } from '@opentelemetry/api';
import { OTLPMetricExporterBase } from '@opentelemetry/exporter-metrics-otlp-http';
import { createOtlpNetworkExportDelegate, ExporterMetrics, OTLPExporterBase, type IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions } from '@opentelemetry/otlp-exporter-base/node-http';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  LogsExporterMetricsHelper,
  MetricsExporterMetricsHelper,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper,
  type IExporterMetricsHelper,
  type ISerializer,
} from '@opentelemetry/otlp-transformer';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { InstrumentType, PeriodicExportingMetricReader, type IMetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { RelayTls } from './export-relay-worker.ts';
import { exportTransport, type ExportSender } from './export-relay.ts';
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

interface SignalExport<Internal> {
  path: string;
  json: ISerializer<Internal, unknown>;
  protobuf: ISerializer<Internal, unknown>;
  helper: IExporterMetricsHelper<Internal>;
  /** The semantic conventions' `otel.component.type` of an OTLP/HTTP exporter of this signal. */
  componentType: string;
}

const TRACES: SignalExport<ReadableSpan[]> = { path: 'v1/traces', json: JsonTraceSerializer, protobuf: ProtobufTraceSerializer, helper: TraceExporterMetricsHelper, componentType: 'otlp_http_span_exporter' };
const METRICS: SignalExport<ResourceMetrics> = { path: 'v1/metrics', json: JsonMetricsSerializer, protobuf: ProtobufMetricsSerializer, helper: MetricsExporterMetricsHelper, componentType: 'otlp_http_metric_exporter' };
const LOGS: SignalExport<ReadableLogRecord[]> = { path: 'v1/logs', json: JsonLogsSerializer, protobuf: ProtobufLogsSerializer, helper: LogsExporterMetricsHelper, componentType: 'otlp_http_log_exporter' };

/**
 * The TLS files the standard variables name (signal-specific first), read as the SDK's exporters
 * read them: a custom CA, and a client certificate and key for mutual TLS.
 */
export function tlsFromEnv(signal: Signal, env: Env): RelayTls {
  const pem = (name: string): string | undefined => {
    const path = env[`OTEL_EXPORTER_OTLP_${signal}_${name}`] ?? env[`OTEL_EXPORTER_OTLP_${name}`];
    if (!path) return undefined;
    try {
      return readFileSync(resolve(path), 'utf8');
    } catch {
      diag.warn(`OTLP ${signal}: cannot read ${name.toLowerCase().replace('_', ' ')} file ${path}`);
      return undefined;
    }
  };
  return { ca: pem('CERTIFICATE'), cert: pem('CLIENT_CERTIFICATE'), key: pem('CLIENT_KEY') };
}

/** What the SDK's OTLP/HTTP exporters build, with the export sender as the transport. */
function otlpDelegate<Internal>(signal: Signal, spec: SignalExport<Internal>, env: Env, sender: ExportSender): IOtlpExportDelegate<Internal> {
  const json = protocol(signal, env) === 'http/json';
  const config = convertLegacyHttpOptions({}, signal, spec.path, { 'Content-Type': json ? 'application/json' : 'application/x-protobuf' });
  // The exporter's own otel.sdk.exporter.* metrics stay off, as they are in the SDK's exporters
  // unless a meter provider is given.
  const metrics = new ExporterMetrics({ componentType: spec.componentType, metricsHelper: spec.helper, url: config.url, meterProvider: undefined, responseAttributesFromError: () => ({}) });
  return createOtlpNetworkExportDelegate(config, json ? spec.json : spec.protobuf, metrics, exportTransport(sender, { ...config, tls: tlsFromEnv(signal, env) }));
}

export function traceExporter(env: Env, sender: ExportSender): SpanExporter {
  return new OTLPExporterBase(otlpDelegate('TRACES', TRACES, env, sender));
}

export function logExporter(env: Env, sender: ExportSender): LogRecordExporter {
  return new OTLPExporterBase(otlpDelegate('LOGS', LOGS, env, sender));
}

export function metricExporter(env: Env, sender: ExportSender): PushMetricExporter {
  // The base reads OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, as the SDK's exporter does.
  return new OTLPMetricExporterBase(otlpDelegate('METRICS', METRICS, env, sender));
}

export function metricReader(env: Env, sender: ExportSender): IMetricReader {
  const exporter = metricExporter(env, sender);
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL) || DEFAULT_METRIC_EXPORT_INTERVAL_MS;
  const timeout = Math.min(Number(env.OTEL_METRIC_EXPORT_TIMEOUT) || 30_000, interval);
  // The tally histograms (tally-histogram.ts) in the temporality the exporter asks for
  // (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE), like the SDK's own histograms.
  const tallies = new TallyProducer(exporter.selectAggregationTemporality!(InstrumentType.HISTOGRAM));
  return new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: interval, exportTimeoutMillis: timeout, metricProducers: [tallies] });
}
