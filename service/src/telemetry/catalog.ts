// The metric catalog: every instrument the service creates, and every metric from elsewhere that a
// dashboard or alert reads, defined once. Instruments are created from these entries
// (metrics.ts, http.ts); dashboards and rule files import them, so a renamed metric breaks the
// build instead of leaving a blank panel.
//
// `prometheus` gives the series names the OTLP receiver of Prometheus makes of each entry with
// `translation_strategy: UnderscoreEscapingWithSuffixes` (stack/prometheus/prometheus.yml):
// dots become underscores, the unit adds a suffix (s -> _seconds, By -> _bytes, 1 -> _ratio on
// gauges, {annotations} add nothing) and counters end in _total.

export type InstrumentKind = 'counter' | 'histogram' | 'gauge' | 'updowncounter';

/** Who produces the metric: this service's code, or another component of the kit. */
export type MetricSource =
  | 'ingestor'
  | 'ingestor-runtime' // @opentelemetry/instrumentation-runtime-node
  | 'ingestor-sdk' // the SDK's batch processors (telemetry/setup.ts gives them the meter provider)
  | 'alloy-spanmetrics' // otelcol.connector.spanmetrics in alloy/config.alloy
  | 'alloy-servicegraph'
  | 'alloy-self'
  | 'prometheus-self'
  | 'k6';

export interface MetricDefinition {
  name: string;
  kind: InstrumentKind;
  unit: string;
  description: string;
  /** The only attribute keys it may carry: bounded values, never ids. */
  attributes: readonly string[];
  buckets?: readonly number[];
  source: MetricSource;
  /**
   * The Prometheus metric family name, for metrics that do not reach Prometheus through its OTLP
   * receiver and so are not named by its translation: k6 remote write writes `k6_<metric>_p95`
   * for a trend in seconds, with no unit suffix. The kind suffix (`_total`, `_bucket`) is still added.
   */
  promName?: string;
}

export interface PrometheusNames {
  /** The series to select: `<base>_total` for counters, the gauge itself, or `<base>_bucket`. */
  series: string;
  base: string;
  bucket?: string;
  sum?: string;
  count?: string;
  /** Attribute keys as Prometheus labels. */
  labels: Record<string, string>;
}

export type CatalogEntry = MetricDefinition & { prometheus: PrometheusNames };

const UNIT_SUFFIX: Record<string, string> = { s: 'seconds', ms: 'milliseconds', By: 'bytes' };

export function prometheusLabel(attribute: string): string {
  return attribute.replace(/[^A-Za-z0-9_]/g, '_');
}

export function prometheusNames(def: MetricDefinition): PrometheusNames {
  let base = def.promName ?? def.name.replace(/[^A-Za-z0-9_:]/g, '_');
  const suffix = def.unit === '1' ? (def.kind === 'gauge' ? 'ratio' : '') : (UNIT_SUFFIX[def.unit] ?? '');
  if (!def.promName && suffix && !base.endsWith(`_${suffix}`)) base += `_${suffix}`;
  const labels = Object.fromEntries(def.attributes.map((a) => [a, prometheusLabel(a)]));
  if (def.kind === 'counter') return { base, series: `${base}_total`, labels };
  if (def.kind === 'histogram') {
    return { base, series: `${base}_bucket`, bucket: `${base}_bucket`, sum: `${base}_sum`, count: `${base}_count`, labels };
  }
  return { base, series: base, labels };
}

/** Throws unless every key is an attribute the catalog lists for the metric (ids never are). */
export function assertCatalogAttributes(def: MetricDefinition, keys: readonly string[]): void {
  const unknown = keys.filter((key) => !def.attributes.includes(key));
  if (unknown.length) throw new Error(`${def.name} has no attribute ${unknown.join(', ')} in the catalog`);
}

function entry(def: MetricDefinition): CatalogEntry {
  return { ...def, prometheus: prometheusNames(def) };
}

type OtelcolSignal = 'spans' | 'metric_points' | 'log_records';
/** The units the collector gives its per-signal item counters. */
const OTELCOL_UNIT: Record<OtelcolSignal, string> = { spans: '{spans}', metric_points: '{datapoints}', log_records: '{records}' };

/** Alloy's otelcol receiver counters (go.opentelemetry.io/collector/receiver/receiverhelper). */
function alloyReceiver(outcome: 'accepted' | 'refused', signal: OtelcolSignal): CatalogEntry {
  return entry({
    name: `otelcol_receiver_${outcome}_${signal}`,
    kind: 'counter',
    unit: OTELCOL_UNIT[signal],
    description: `Items (${signal}) ${outcome === 'accepted' ? 'pushed into' : 'refused by'} the Alloy pipeline at its OTLP receiver.`,
    attributes: ['receiver', 'transport'],
    source: 'alloy-self',
  });
}

/** Alloy's otelcol exporter counters (go.opentelemetry.io/collector/exporter/exporterhelper). */
function alloyExporter(outcome: 'sent' | 'send_failed', signal: OtelcolSignal): CatalogEntry {
  return entry({
    name: `otelcol_exporter_${outcome}_${signal}`,
    kind: 'counter',
    unit: OTELCOL_UNIT[signal],
    description: `Items (${signal}) an Alloy exporter ${outcome === 'sent' ? 'delivered' : 'failed to deliver'}.`,
    attributes: ['exporter'],
    source: 'alloy-self',
  });
}

type SdkSignal = 'span' | 'log';
const SDK_UNIT: Record<SdkSignal, string> = { span: '{span}', log: '{log_record}' };
const SDK_ITEMS: Record<SdkSignal, string> = { span: 'spans', log: 'log records' };
const SDK_COMPONENT = ['otel.component.type', 'otel.component.name'] as const;

/** The SDK's own metrics of its batching processors (semantic conventions, otel.sdk.processor.*). */
function sdkProcessor(signal: SdkSignal, metric: 'processed' | 'queue.size' | 'queue.capacity'): CatalogEntry {
  const items = SDK_ITEMS[signal];
  const description = {
    processed: `The ingestor's ${items} that left its batch processor: exported, or with error.type when dropped (queue_full: the queue was full) or when the export failed after its retries.`,
    'queue.size': `The ingestor's ${items} waiting in its batch processor's queue.`,
    'queue.capacity': `How many ${items} the ingestor's batch processor queue holds; past it they are dropped.`,
  }[metric];
  return entry({
    name: `otel.sdk.processor.${signal}.${metric}`,
    kind: metric === 'processed' ? 'counter' : 'updowncounter',
    unit: SDK_UNIT[signal],
    description,
    attributes: metric === 'processed' ? [...SDK_COMPONENT, 'error.type'] : SDK_COMPONENT,
    source: 'ingestor-sdk',
  });
}

/** Every k6 series from its Prometheus remote-write output: `k6_` prefix, all with the `testid` tag. */
function k6(def: Omit<MetricDefinition, 'source' | 'promName'> & { promSuffix?: string }): CatalogEntry {
  const { promSuffix, ...rest } = def;
  return entry({
    ...rest,
    attributes: ['testid', ...def.attributes],
    source: 'k6',
    promName: `k6_${def.name}${promSuffix ? `_${promSuffix}` : ''}`,
  });
}

/** A trend stat of http_req_duration (K6_PROMETHEUS_RW_TREND_STATS=p(95),p(99),max): a gauge in seconds. */
function k6Trend(stat: 'p95' | 'p99' | 'max'): CatalogEntry {
  return k6({
    name: `http_req_duration_${stat}`,
    kind: 'gauge',
    unit: 's',
    description: `k6 HTTP request duration, ${stat} since the test started, per tag set.`,
    attributes: ['scenario', 'method', 'name', 'status', 'expected_response'],
  });
}

/** Only some are named here: the others are written as Prometheus names (see `external`). */
export const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] as const;

export const catalog = {
  httpServerRequestDuration: entry({
    name: 'http.server.request.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Duration of HTTP server requests.',
    attributes: ['http.request.method', 'http.route', 'http.response.status_code', 'url.scheme', 'error.type', 'network.protocol.version'],
    // The semantic conventions' advice for this histogram.
    buckets: SECONDS_BUCKETS,
    source: 'ingestor',
  }),
  transactionsIngested: entry({
    name: 'financial.transactions.ingested',
    kind: 'counter',
    unit: '{transaction}',
    description: 'Transactions received, by outcome (accepted, duplicate, rejected).',
    attributes: ['transaction.type', 'currency', 'region', 'outcome'],
    source: 'ingestor',
  }),
  claimsIngested: entry({
    name: 'insurance.claims.ingested',
    kind: 'counter',
    unit: '{claim}',
    description: 'Insurance claims received, by outcome (accepted, duplicate, rejected).',
    attributes: ['claim.type', 'claim.status', 'region', 'outcome'],
    source: 'ingestor',
  }),
  fraudFlagged: entry({
    name: 'fraud.flagged',
    kind: 'counter',
    unit: '{record}',
    description: 'Records flagged by a fraud rule; a record flagged by two rules counts once per rule.',
    attributes: ['rule', 'region', 'record.type'],
    source: 'ingestor',
  }),
  recordsRejected: entry({
    name: 'ingest.records.rejected',
    kind: 'counter',
    unit: '{record}',
    description: 'Records refused, by reason (missing_field, invalid_field, conflict, ...).',
    attributes: ['record.type', 'reason'],
    source: 'ingestor',
  }),
  batchSize: entry({
    name: 'ingest.batch.size',
    kind: 'histogram',
    unit: '{record}',
    description: 'Records per batch request.',
    attributes: ['record.type'],
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
    source: 'ingestor',
  }),
  storeCommitDuration: entry({
    name: 'ingest.store.commit.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Duration of one durable group commit of the store, fsync included.',
    attributes: ['outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    source: 'ingestor',
  }),
  storeCommitRecords: entry({
    name: 'ingest.store.commit.records',
    kind: 'histogram',
    unit: '{record}',
    description: 'Records that shared one group commit.',
    attributes: [],
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
    source: 'ingestor',
  }),
  transactionAmount: entry({
    name: 'transaction.amount',
    kind: 'histogram',
    unit: '{amount}',
    description: "Amounts of accepted transactions, in their currency's units.",
    attributes: ['currency'],
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000],
    source: 'ingestor',
  }),
  storeRecords: entry({
    name: 'ingest.store.records',
    kind: 'gauge',
    unit: '{record}',
    description: 'Records committed in the store, by record type.',
    attributes: ['record.type'],
    source: 'ingestor',
  }),
  eventLoopDelayP99: entry({
    name: 'nodejs.eventloop.delay.p99',
    kind: 'gauge',
    unit: 's',
    description: 'Event loop delay, 99th percentile.',
    attributes: [],
    source: 'ingestor-runtime',
  }),
  eventLoopUtilization: entry({
    name: 'nodejs.eventloop.utilization',
    kind: 'gauge',
    unit: '1',
    description: 'Share of time the event loop was busy.',
    attributes: [],
    source: 'ingestor-runtime',
  }),
  heapUsed: entry({
    name: 'v8js.memory.heap.used',
    kind: 'gauge',
    unit: 'By',
    description: 'V8 heap used, by heap space.',
    attributes: ['v8js.heap.space.name'],
    source: 'ingestor-runtime',
  }),
  sdkSpansProcessed: sdkProcessor('span', 'processed'),
  sdkSpanQueueSize: sdkProcessor('span', 'queue.size'),
  sdkSpanQueueCapacity: sdkProcessor('span', 'queue.capacity'),
  sdkLogsProcessed: sdkProcessor('log', 'processed'),
  sdkLogQueueSize: sdkProcessor('log', 'queue.size'),
  sdkLogQueueCapacity: sdkProcessor('log', 'queue.capacity'),

  // From other components of the kit, for dashboards. For these, `attributes` are the labels the
  // dashboards may select or group by. Alloy's and Prometheus's own metrics use the same naming
  // rules as the OTLP translation (unit annotations add nothing, counters end in _total), so
  // only k6's need `promName`.
  spanDuration: entry({
    name: 'traces.span.metrics.duration',
    kind: 'histogram',
    unit: 's',
    description: "Span durations from Alloy's spanmetrics connector: sampled spans only, with exemplars (trace_id).",
    attributes: ['service.name', 'span.name', 'span.kind', 'status.code', 'http.route', 'http.request.method', 'http.response.status_code'],
    buckets: SECONDS_BUCKETS,
    source: 'alloy-spanmetrics',
  }),
  spanCalls: entry({
    name: 'traces.span.metrics.calls',
    kind: 'counter',
    unit: '',
    description: "Spans counted by Alloy's spanmetrics connector (sampled spans only).",
    attributes: ['service.name', 'span.name', 'span.kind', 'status.code', 'http.route', 'http.request.method', 'http.response.status_code'],
    source: 'alloy-spanmetrics',
  }),
  alloyReceiverAcceptedSpans: alloyReceiver('accepted', 'spans'),
  alloyReceiverAcceptedMetricPoints: alloyReceiver('accepted', 'metric_points'),
  alloyReceiverAcceptedLogRecords: alloyReceiver('accepted', 'log_records'),
  alloyReceiverRefusedSpans: alloyReceiver('refused', 'spans'),
  alloyReceiverRefusedMetricPoints: alloyReceiver('refused', 'metric_points'),
  alloyReceiverRefusedLogRecords: alloyReceiver('refused', 'log_records'),
  alloyExporterSentSpans: alloyExporter('sent', 'spans'),
  alloyExporterSentMetricPoints: alloyExporter('sent', 'metric_points'),
  alloyExporterSentLogRecords: alloyExporter('sent', 'log_records'),
  alloyExporterFailedSpans: alloyExporter('send_failed', 'spans'),
  alloyExporterFailedMetricPoints: alloyExporter('send_failed', 'metric_points'),
  alloyExporterFailedLogRecords: alloyExporter('send_failed', 'log_records'),
  alloyExporterQueueSize: entry({
    name: 'otelcol_exporter_queue_size',
    kind: 'gauge',
    unit: '{batches}',
    description: "Batches waiting in an Alloy exporter's sending queue.",
    attributes: ['exporter', 'data_type'],
    source: 'alloy-self',
  }),
  alloyExporterQueueCapacity: entry({
    name: 'otelcol_exporter_queue_capacity',
    kind: 'gauge',
    unit: '{batches}',
    description: "Capacity of an Alloy exporter's sending queue.",
    attributes: ['exporter', 'data_type'],
    source: 'alloy-self',
  }),
  prometheusSamplesAppended: entry({
    name: 'prometheus_tsdb_head_samples_appended',
    kind: 'counter',
    unit: '',
    description: 'Samples appended to the Prometheus head block, by type (float, histogram).',
    attributes: ['type'],
    source: 'prometheus-self',
  }),
  prometheusHeadSeries: entry({
    name: 'prometheus_tsdb_head_series',
    kind: 'gauge',
    unit: '',
    description: 'Series in the Prometheus head block.',
    attributes: [],
    source: 'prometheus-self',
  }),
  prometheusHttpRequests: entry({
    name: 'prometheus_http_requests',
    kind: 'counter',
    unit: '',
    description: 'HTTP requests Prometheus served, by handler (/api/v1/otlp/v1/metrics, /api/v1/write, ...) and code.',
    attributes: ['handler', 'code'],
    source: 'prometheus-self',
  }),
  k6Vus: k6({ name: 'vus', kind: 'gauge', unit: '', description: 'k6 virtual users running.', attributes: [] }),
  k6Iterations: k6({ name: 'iterations', kind: 'counter', unit: '', description: 'k6 iterations completed.', attributes: ['scenario'] }),
  k6HttpReqs: k6({
    name: 'http_reqs',
    kind: 'counter',
    unit: '',
    description: 'HTTP requests k6 made; expected_response="false" marks the failed ones.',
    attributes: ['scenario', 'method', 'name', 'status', 'expected_response'],
  }),
  k6HttpReqDurationP95: k6Trend('p95'),
  k6HttpReqDurationP99: k6Trend('p99'),
  k6HttpReqDurationMax: k6Trend('max'),
  k6HttpReqFailed: k6({
    name: 'http_req_failed',
    kind: 'gauge',
    unit: '1',
    promSuffix: 'rate',
    description: 'Share of failed k6 HTTP requests since the test started, per tag set.',
    attributes: ['scenario', 'method', 'name', 'status', 'expected_response'],
  }),
  k6Checks: k6({
    name: 'checks',
    kind: 'gauge',
    unit: '1',
    promSuffix: 'rate',
    description: 'Share of passed k6 checks since the test started, per check.',
    attributes: ['scenario', 'check'],
  }),

  // ---- For the alert rules (rules/, generated into stack/prometheus/rules/). The Alloy exporter
  // sent/send_failed counters above serve them too; these are the ones only the rules need. ----
  alloyExporterEnqueueFailedSpans: entry({
    name: 'otelcol_exporter_enqueue_failed_spans',
    kind: 'counter',
    unit: '{spans}',
    description: 'Spans an Alloy exporter dropped because its sending queue was full.',
    attributes: ['exporter'],
    source: 'alloy-self',
  }),
  alloyExporterEnqueueFailedMetricPoints: entry({
    name: 'otelcol_exporter_enqueue_failed_metric_points',
    kind: 'counter',
    unit: '{datapoints}',
    description: 'Metric points an Alloy exporter dropped because its sending queue was full.',
    attributes: ['exporter'],
    source: 'alloy-self',
  }),
  alloyExporterEnqueueFailedLogRecords: entry({
    name: 'otelcol_exporter_enqueue_failed_log_records',
    kind: 'counter',
    unit: '{records}',
    description: 'Log records an Alloy exporter dropped because its sending queue was full.',
    attributes: ['exporter'],
    source: 'alloy-self',
  }),
  alloyUp: entry({
    name: 'up',
    kind: 'gauge',
    unit: '',
    description: 'Set by the scrape of the Alloy self metrics (job="alloy") and remote-written with them: absent when Alloy or its remote write is down.',
    attributes: [],
    source: 'alloy-self',
  }),
} as const satisfies Record<string, CatalogEntry>;

/** The instruments this service creates itself (others come from libraries or other components). */
export const serviceInstruments = Object.values(catalog).filter((m) => m.source === 'ingestor');

/** Attribute values for the bounded attributes. */
export const OUTCOMES = ['accepted', 'duplicate', 'rejected'] as const;
export type Outcome = (typeof OUTCOMES)[number];
