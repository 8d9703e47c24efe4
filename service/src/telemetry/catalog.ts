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
  let base = def.name.replace(/[^A-Za-z0-9_:]/g, '_');
  const suffix = def.unit === '1' ? (def.kind === 'gauge' ? 'ratio' : '') : (UNIT_SUFFIX[def.unit] ?? '');
  if (suffix && !base.endsWith(`_${suffix}`)) base += `_${suffix}`;
  const labels = Object.fromEntries(def.attributes.map((a) => [a, prometheusLabel(a)]));
  if (def.kind === 'counter') return { base, series: `${base}_total`, labels };
  if (def.kind === 'histogram') {
    return { base, series: `${base}_bucket`, bucket: `${base}_bucket`, sum: `${base}_sum`, count: `${base}_count`, labels };
  }
  return { base, series: base, labels };
}

function entry(def: MetricDefinition): CatalogEntry {
  return { ...def, prometheus: prometheusNames(def) };
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
} as const satisfies Record<string, CatalogEntry>;

/** The instruments this service creates itself (others come from libraries or other components). */
export const serviceInstruments = Object.values(catalog).filter((m) => m.source === 'ingestor');

/** Attribute values for the bounded attributes. */
export const OUTCOMES = ['accepted', 'duplicate', 'rejected'] as const;
export type Outcome = (typeof OUTCOMES)[number];
