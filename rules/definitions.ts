// The kit's Prometheus recording and alerting rules, as data. `npm run rules` (rules/generate.ts)
// writes them to stack/prometheus/rules/*.yml, which Prometheus loads in compose and natively.
// Every input metric and label name comes from the metric catalog; recorded names follow
// `level:metric:operations` (https://prometheus.io/docs/practices/rules/) and are exported in
// `recorded` for dashboards and tests. docs/alerts.md explains each alert.
import { catalog, OUTCOMES, SECONDS_BUCKETS, type CatalogEntry } from '../service/src/telemetry/catalog.ts';
import { and, eq, num, rate, ratioOrZero, re, seconds, sumBy, vs } from './promql.ts';

// ---------------------------------------------------------------------------------------------
// Types: the shape of a Prometheus rule file.

export type Severity = 'page' | 'ticket';

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: Severity } & Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string };
}

export type Rule = RecordingRule | AlertingRule;

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

export interface RuleFile {
  /** Path from the repository root. */
  path: string;
  /** What the file holds, written as a comment at its top. */
  about: string;
  groups: RuleGroup[];
}

export const isAlert = (rule: Rule): rule is AlertingRule => 'alert' in rule;

// ---------------------------------------------------------------------------------------------
// Where series come from.

/**
 * The ingestor's `job`: Prometheus's OTLP receiver sets it to `service.namespace/service.name`
 * (service/src/telemetry/setup.ts; rules/test checks it against buildResource()).
 */
export const INGESTOR_JOB = 'observability-kit/ingestor';
/** Alloy's own metrics: `prometheus.scrape "alloy"` in alloy/config.alloy, remote-written. */
export const ALLOY_JOB = 'alloy';
/** Target labels Prometheus adds (not OTel attributes, so not in the catalog). */
const JOB = 'job';
const INSTANCE = 'instance';
const LE = 'le';

/**
 * Where the runbooks live: `runbook_url` is this plus `#<alert name in lower case>`. A path in
 * this repository; set it to where you publish docs/alerts.md (an absolute URL) and rerun
 * `npm run rules`.
 */
export const RUNBOOK_BASE = 'docs/alerts.md';
const runbook = (alert: string) => `${RUNBOOK_BASE}#${alert.toLowerCase()}`;

const http = histogram(catalog.httpServerRequestDuration);

/** The Prometheus names of a histogram entry, with its _bucket, _count and _sum series. */
function histogram(entry: CatalogEntry) {
  const { bucket, count, sum } = entry.prometheus;
  if (!bucket || !count || !sum) throw new Error(`${entry.name} is not a histogram`);
  return { ...entry.prometheus, bucket, count, sum };
}
const ROUTE = http.labels['http.route'];
const STATUS = http.labels['http.response.status_code'];
const REGION = sameLabel('region', catalog.fraudFlagged, catalog.transactionsIngested, catalog.claimsIngested);
const OUTCOME = sameLabel('outcome', catalog.transactionsIngested, catalog.claimsIngested);
const ACCEPTED: (typeof OUTCOMES)[number] = 'accepted';
const RECORD_TYPE = catalog.recordsRejected.prometheus.labels['record.type'];
const REASON = catalog.recordsRejected.prometheus.labels.reason;
const EXPORTER = sameLabel('exporter', catalog.alloyExporterFailedSpans, catalog.alloyExporterEnqueueFailedSpans, catalog.alloyExporterSentSpans);
const ERROR_TYPE = sameLabel('error.type', catalog.sdkSpansProcessed, catalog.sdkLogsProcessed);

/** The Prometheus label of `attribute`, checked to be the same on every entry given. */
function sameLabel(attribute: string, ...entries: CatalogEntry[]): string {
  const labels = new Set(entries.map((e) => (e.prometheus.labels as Record<string, string>)[attribute]));
  const [label] = labels;
  if (labels.size !== 1 || !label) throw new Error(`attribute ${attribute} is not one label on ${entries.map((e) => e.name)}`);
  return label;
}

const ingestor = eq(JOB, INGESTOR_JOB);
const alloy = eq(JOB, ALLOY_JOB);

// ---------------------------------------------------------------------------------------------
// Per route: request rate, error ratio, latency quantiles (5 minute rates).

const byRoute = [JOB, ROUTE];
export const QUANTILES = { p50: 0.5, p90: 0.9, p99: 0.99 } as const;

export const recorded = {
  routeRequests: `job_http_route:${http.count}:rate5m`,
  routeErrorRatio: 'job_http_route:http_server_request_5xx_per_request:ratio_rate5m',
  routeBuckets: `job_http_route_le:${http.bucket}:rate5m`,
  routeLatency: (q: keyof typeof QUANTILES) => `job_http_route:${http.base}:${q}_rate5m`,

  /** Error ratio of the availability SLO (5xx among the /v1 API's requests) over `window`. */
  availabilityErrors: (window: string) => `job:slo_availability_error:ratio_rate${window}`,
  /** Error ratio of the latency SLO (share of /v1 API requests slower than the threshold) over `window`. */
  latencyErrors: (window: string) => `job:slo_latency_error:ratio_rate${window}`,

  /** `window` is a duration, or `<duration>_offset<duration>` for the baseline. */
  fraudFlagged: (window: string) => `job_region:${catalog.fraudFlagged.prometheus.base}:rate${window}`,
  recordsAccepted: (window: string) => `job_region:ingest_records_accepted:rate${window}`,
  fraudRatio: (window: string) => `job_region:fraud_flagged_per_accepted_record:ratio_rate${window}`,

  rejected: `job:${catalog.recordsRejected.prometheus.base}:rate10m`,
  received: 'job:ingest_records_received:rate10m',
  rejectedRatio: 'job:ingest_records_rejected_per_received:ratio_rate10m',
  rejectedByReason: `job_record_type_reason:${catalog.recordsRejected.prometheus.base}:rate5m`,

  alloySendFailed: 'job_instance_exporter_signal:otelcol_exporter_send_failed:rate5m',
  alloyEnqueueFailed: 'job_instance_exporter_signal:otelcol_exporter_enqueue_failed:rate5m',
  alloySent: 'job_instance_exporter_signal:otelcol_exporter_sent:rate5m',
} as const;

function httpRules(): RuleFile {
  const requests = vs(http.count, ingestor);
  const errors = vs(http.count, ingestor, re(STATUS, '5..'));
  return {
    path: 'stack/prometheus/rules/http.yml',
    about: 'Per-route request rate, 5xx ratio and latency quantiles of the ingestor, over 5 minutes.',
    groups: [{
      name: 'ingestor-http',
      rules: [
        { record: recorded.routeRequests, expr: sumBy(byRoute, rate(requests, '5m')) },
        { record: recorded.routeErrorRatio, expr: ratioOrZero(sumBy(byRoute, rate(errors, '5m')), recorded.routeRequests) },
        { record: recorded.routeBuckets, expr: sumBy([...byRoute, LE], rate(vs(http.bucket, ingestor), '5m')) },
        ...Object.entries(QUANTILES).map(([name, q]) => ({
          record: recorded.routeLatency(name as keyof typeof QUANTILES),
          expr: `histogram_quantile(${q}, ${recorded.routeBuckets})`,
        })),
      ],
    }],
  };
}

// ---------------------------------------------------------------------------------------------
// SLOs, with multi-window, multi-burn-rate alerts (Google SRE workbook, "Alerting on SLOs").

/** The requests both SLOs are about: the /v1 API (not health checks, not unmatched paths). */
export const SLI_ROUTES = '/v1/.+';
export const AVAILABILITY_OBJECTIVE = 0.999;
export const LATENCY_OBJECTIVE = 0.99;
/** Seconds; must be a bucket boundary of http.server.request.duration. */
export const LATENCY_THRESHOLD = 0.25;
if (!(SECONDS_BUCKETS as readonly number[]).includes(LATENCY_THRESHOLD)) throw new Error(`${LATENCY_THRESHOLD} s is not a bucket boundary`);

export interface BurnRate {
  severity: Severity;
  long: string;
  short: string;
  factor: number;
}

/** Long window, short window, burn-rate factor: the workbook's recommended table for a 30-day SLO. */
export const BURN_RATES: readonly BurnRate[] = [
  { severity: 'page', long: '1h', short: '5m', factor: 14.4 }, // 2% of the 30-day budget in 1 hour
  { severity: 'page', long: '6h', short: '30m', factor: 6 }, // 5% in 6 hours
  { severity: 'ticket', long: '1d', short: '2h', factor: 3 }, // 10% in 1 day
  { severity: 'ticket', long: '3d', short: '6h', factor: 1 }, // 10% in 3 days
];
export const sloWindows = (burnRates: readonly BurnRate[]) =>
  [...new Set(burnRates.flatMap((b) => [b.short, b.long]))].sort((a, b) => seconds(a) - seconds(b));
export const SLO_FOR: Record<Severity, string> = { page: '2m', ticket: '15m' };

function sloRules(t: Tunables): RuleFile {
  const sli = [ingestor, re(ROUTE, t.sliRoutes)];
  const all = (w: string) => sumBy([JOB], rate(vs(http.count, ...sli), w));
  const failed = (w: string) => sumBy([JOB], rate(vs(http.count, ...sli, re(STATUS, '5..')), w));
  const fast = (w: string) => sumBy([JOB], rate(vs(http.bucket, ...sli, eq(LE, String(LATENCY_THRESHOLD))), w));
  const recordings: RecordingRule[] = sloWindows(t.burnRates).flatMap((w) => [
    { record: recorded.availabilityErrors(w), expr: ratioOrZero(failed(w), all(w)) },
    { record: recorded.latencyErrors(w), expr: `1 - (\n  ${fast(w)}\n  /\n  ${all(w)}\n)` },
  ]);

  const slos = [
    {
      alert: 'IngestorAvailabilityBudgetBurn',
      objective: AVAILABILITY_OBJECTIVE,
      series: recorded.availabilityErrors,
      sli: `5xx answers among the requests to the /v1 API`,
      summary: 'The ingestor is burning its availability error budget',
    },
    {
      alert: 'IngestorLatencyBudgetBurn',
      objective: LATENCY_OBJECTIVE,
      series: recorded.latencyErrors,
      sli: `requests to the /v1 API slower than ${LATENCY_THRESHOLD * 1000} ms`,
      summary: 'The ingestor is burning its latency error budget',
    },
  ];
  const alerts: AlertingRule[] = slos.flatMap((slo) => (['page', 'ticket'] as const).map((severity): AlertingRule => {
    const budget = num(1 - slo.objective);
    const pairs = t.burnRates.filter((b) => b.severity === severity);
    const expr = pairs
      .map((b) => `(\n  ${slo.series(b.long)} > (${b.factor} * ${budget})\n  and\n  ${slo.series(b.short)} > (${b.factor} * ${budget})\n)`)
      .join('\nor\n');
    const windows = pairs.map((b) => `${b.factor}x over both ${b.long} and ${b.short}`).join(', or ');
    return {
      alert: slo.alert,
      expr,
      for: SLO_FOR[severity],
      labels: { severity },
      annotations: {
        summary: `${slo.summary} (${severity}).`,
        description:
          `SLO: ${num(slo.objective * 100)}% of requests are good over 30 days; bad = ${slo.sli} ` +
          `(error budget ${num((1 - slo.objective) * 100)}%). The error ratio is {{ $value | humanizePercentage }} over the ` +
          `long window, burning the budget at least ${windows}.`,
        runbook_url: runbook(slo.alert),
      },
    };
  }));

  return {
    path: 'stack/prometheus/rules/slo.yml',
    about: `Availability (${num(AVAILABILITY_OBJECTIVE * 100)}%: non-5xx) and latency (${num(LATENCY_OBJECTIVE * 100)}% under ${LATENCY_THRESHOLD * 1000} ms) SLOs of the ingestor's /v1 API: error ratios per window, multi-window multi-burn-rate alerts.`,
    // One group: rules of a group run in order, so the alerts read this evaluation's ratios.
    groups: [{ name: 'ingestor-slo', rules: [...recordings, ...alerts] }],
  };
}

// ---------------------------------------------------------------------------------------------
// Fraud: flags per accepted record, per region, and the fraud-wave alerts.

export interface FraudWaveParams {
  /** The recent window. */
  window: string;
  /** The baseline: the window of this length that ends where `window` starts. */
  baseline: string;
  /** Rising: recent ratio at least this times the baseline ratio ... */
  risingFactor: number;
  /** Receding: recent ratio at most this times the baseline ratio ... */
  recedingFactor: number;
  /** ... and the two ratios this far apart at least (absolute: 0.01 is one percentage point). */
  minChange: number;
  /** Minimum traffic: accepted records in `window`, and in the baseline. */
  minAccepted: number;
  minBaselineAccepted: number;
  /** Rising needs this many flags in `window`; Receding needs this many in the baseline. */
  minFlags: number;
  risingFor: string;
  recedingFor: string;
  /** Evaluation interval of the group (the global one when absent). */
  interval?: string;
  /** Group name and extra labels, for the test variant. */
  group: string;
  extraLabels?: Record<string, string>;
  /** Also records a 5-minute ratio for dashboards. */
  dashboardRatio: boolean;
}

export const FRAUD_WAVE: FraudWaveParams = {
  window: '30m',
  baseline: '2h',
  risingFactor: 2,
  recedingFactor: 0.5,
  minChange: 0.01,
  minAccepted: 200,
  minBaselineAccepted: 200,
  minFlags: 20,
  risingFor: '5m',
  recedingFor: '15m',
  group: 'fraud',
  dashboardRatio: true,
};

/** For end-to-end tests only (rules/e2e/, never loaded by production): the same rules, with windows of minutes. */
export const FRAUD_WAVE_FAST: FraudWaveParams = {
  window: '1m',
  baseline: '2m',
  risingFactor: 2,
  recedingFactor: 0.5,
  minChange: 0.05,
  minAccepted: 10,
  minBaselineAccepted: 10,
  minFlags: 5,
  risingFor: '10s',
  recedingFor: '10s',
  interval: '5s',
  group: 'fraud-wave-fast-e2e',
  extraLabels: { variant: 'e2e-fast' },
  dashboardRatio: false,
};

/** The fraud-wave definition in words, for annotations and docs. */
export function fraudWaveDefinition(p: FraudWaveParams, kind: 'rising' | 'receding'): string {
  const ratio = `fraud flags per accepted record (transactions and claims; a record flagged by two rules counts twice)`;
  const common =
    `Per region, r = ${ratio} over the last ${p.window}; baseline b = the same over the ${p.baseline} before that window. ` +
    `Needs at least ${p.minAccepted} accepted records in the last ${p.window} and ${p.minBaselineAccepted} in the baseline`;
  return kind === 'rising'
    ? `${common}, and ${p.minFlags} flags in the last ${p.window}. Rising: r >= ${p.risingFactor} x b and r - b >= ${num(p.minChange)}, for ${p.risingFor}.`
    : `${common}, and ${p.minFlags} flags in the baseline. Receding: r <= ${p.recedingFactor} x b and b - r >= ${num(p.minChange)}, for ${p.recedingFor}.`;
}

export function fraudRules(p: FraudWaveParams): RuleGroup {
  const byRegion = [JOB, REGION];
  const base = `${p.baseline}_offset${p.window}`;
  const accepted = (metric: string) => vs(metric, ingestor, eq(OUTCOME, ACCEPTED));
  const windows: Array<{ name: string; range: string; offset?: string }> = [
    ...(p.dashboardRatio ? [{ name: '5m', range: '5m' }] : []),
    { name: p.window, range: p.window },
    { name: base, range: p.baseline, offset: p.window },
  ];
  const recordings: RecordingRule[] = windows.flatMap(({ name, range, offset }) => [
    { record: recorded.fraudFlagged(name), expr: sumBy(byRegion, rate(vs(catalog.fraudFlagged.prometheus.series, ingestor), range, offset)) },
    {
      record: recorded.recordsAccepted(name),
      // `or`, not `+`: a region with transactions but no claims (or the reverse) must not vanish.
      // The two counters never share a label set (transaction_type vs claim_type), so `or` keeps all.
      expr: sumBy(byRegion, `\n  ${rate(accepted(catalog.transactionsIngested.prometheus.series), range, offset)}\n  or\n  ${rate(accepted(catalog.claimsIngested.prometheus.series), range, offset)}\n`),
    },
    { record: recorded.fraudRatio(name), expr: ratioOrZero(recorded.fraudFlagged(name), recorded.recordsAccepted(name)) },
  ]);

  const r = recorded.fraudRatio(p.window);
  const b = recorded.fraudRatio(base);
  const inWindow = seconds(p.window);
  const inBaseline = seconds(p.baseline);
  const traffic = [
    `${recorded.recordsAccepted(p.window)} * ${inWindow} >= ${p.minAccepted}`,
    `${recorded.recordsAccepted(base)} * ${inBaseline} >= ${p.minBaselineAccepted}`,
  ];
  const labels = (severity: Severity) => ({ severity, ...p.extraLabels });
  const rising: AlertingRule = {
    alert: 'FraudWaveRising',
    expr: and(`${r} >= ${p.risingFactor} * ${b}`, `${r} - ${b} >= ${num(p.minChange)}`, ...traffic, `${recorded.fraudFlagged(p.window)} * ${inWindow} >= ${p.minFlags}`),
    for: p.risingFor,
    labels: labels('page'),
    annotations: {
      summary: 'Fraud wave rising in region {{ $labels.region }}.',
      description: `{{ $value | humanizePercentage }} fraud flags per accepted record in region {{ $labels.region }} over the last ${p.window}, at least ${p.risingFactor}x the ${p.baseline} before. Definition: ${fraudWaveDefinition(p, 'rising')}`,
      runbook_url: runbook('FraudWaveRising'),
    },
  };
  const receding: AlertingRule = {
    alert: 'FraudWaveReceding',
    expr: and(`${r} <= ${p.recedingFactor} * ${b}`, `${b} - ${r} >= ${num(p.minChange)}`, ...traffic, `${recorded.fraudFlagged(base)} * ${inBaseline} >= ${p.minFlags}`),
    for: p.recedingFor,
    labels: labels('ticket'),
    annotations: {
      summary: 'Fraud wave receding in region {{ $labels.region }}.',
      description: `{{ $value | humanizePercentage }} fraud flags per accepted record in region {{ $labels.region }} over the last ${p.window}, at most ${p.recedingFactor}x the ${p.baseline} before. Definition: ${fraudWaveDefinition(p, 'receding')}`,
      runbook_url: runbook('FraudWaveReceding'),
    },
  };
  return { name: p.group, ...(p.interval ? { interval: p.interval } : {}), rules: [...recordings, rising, receding] };
}

// ---------------------------------------------------------------------------------------------
// Ingest: rejected records.

function ingestRules(t: Tunables): RuleFile {
  const limits = t.rejected;
  const received = sumBy([JOB], `\n  ${rate(vs(catalog.transactionsIngested.prometheus.series, ingestor), '10m')}\n  or\n  ${rate(vs(catalog.claimsIngested.prometheus.series, ingestor), '10m')}\n`);
  const rejected = vs(catalog.recordsRejected.prometheus.series, ingestor);
  return {
    path: 'stack/prometheus/rules/ingest.yml',
    about: 'Rejected records of the ingestor: rates, share of all records received, and the alert on a high share.',
    groups: [{
      name: 'ingestor-rejections',
      rules: [
        { record: recorded.rejectedByReason, expr: sumBy([JOB, RECORD_TYPE, REASON], rate(rejected, '5m')) },
        { record: recorded.rejected, expr: sumBy([JOB], rate(rejected, '10m')) },
        // Every rejected record is also counted, outcome="rejected", in its type's ingested counter.
        { record: recorded.received, expr: received },
        { record: recorded.rejectedRatio, expr: ratioOrZero(recorded.rejected, recorded.received) },
        {
          alert: 'IngestorRejectingRecords',
          expr: and(`${recorded.rejectedRatio} > ${limits.maxRatio}`, `${recorded.rejected} * ${seconds('10m')} >= ${limits.minRejected}`),
          for: limits.for,
          labels: { severity: 'ticket' },
          annotations: {
            summary: 'The ingestor rejects a high share of the records it receives.',
            description:
              `{{ $value | humanizePercentage }} of the records received over the last 10m were rejected (alert above ` +
              `${num(limits.maxRatio * 100)}% with at least ${limits.minRejected} rejected in 10m, for ${limits.for}). ` +
              `${recorded.rejectedByReason} tells which reason.`,
            runbook_url: runbook('IngestorRejectingRecords'),
          },
        },
      ],
    }],
  };
}

// ---------------------------------------------------------------------------------------------
// The telemetry pipeline: the ingestor's metrics arriving, Alloy's own metrics arriving, Alloy's
// exporters delivering.

/** Always exported by the ingestor (an observable gauge, each export, traffic or not): its heartbeat. */
export const INGESTOR_HEARTBEAT = catalog.storeRecords;

const ALLOY_SIGNALS = [
  { signal: 'traces', sent: catalog.alloyExporterSentSpans, failed: catalog.alloyExporterFailedSpans, enqueueFailed: catalog.alloyExporterEnqueueFailedSpans },
  { signal: 'metrics', sent: catalog.alloyExporterSentMetricPoints, failed: catalog.alloyExporterFailedMetricPoints, enqueueFailed: catalog.alloyExporterEnqueueFailedMetricPoints },
  { signal: 'logs', sent: catalog.alloyExporterSentLogRecords, failed: catalog.alloyExporterFailedLogRecords, enqueueFailed: catalog.alloyExporterEnqueueFailedLogRecords },
] as const;

/** The ingestor's batch processors' own counts (telemetry/setup.ts): error.type set on a loss. */
const INGESTOR_SIGNALS = [
  { signal: 'traces', processed: catalog.sdkSpansProcessed },
  { signal: 'logs', processed: catalog.sdkLogsProcessed },
] as const;

function pipelineRules({ absent, alloyExport, ingestorExport }: Tunables): RuleFile {
  const perSignal = (pick: (s: (typeof ALLOY_SIGNALS)[number]) => CatalogEntry) =>
    ALLOY_SIGNALS.map((s) => `label_replace(${sumBy([JOB, INSTANCE, EXPORTER], rate(vs(pick(s).prometheus.series, alloy), '5m'))}, "signal", "${s.signal}", "", "")`).join('\nor\n');
  return {
    path: 'stack/prometheus/rules/pipeline.yml',
    about: "The telemetry pipeline: the ingestor's metrics and Alloy's own metrics arriving, the ingestor's spans and logs leaving it, and Alloy's exporters delivering.",
    groups: [{
      name: 'telemetry-pipeline',
      rules: [
        { record: recorded.alloySent, expr: perSignal((s) => s.sent) },
        { record: recorded.alloySendFailed, expr: perSignal((s) => s.failed) },
        { record: recorded.alloyEnqueueFailed, expr: perSignal((s) => s.enqueueFailed) },
        {
          alert: 'IngestorDown',
          expr: `absent_over_time(${vs(INGESTOR_HEARTBEAT.prometheus.series, ingestor)}[${absent.window}])`,
          for: absent.for,
          labels: { severity: 'page' },
          annotations: {
            summary: 'No metrics from the ingestor.',
            description:
              `No sample of ${INGESTOR_HEARTBEAT.prometheus.series}{job="${INGESTOR_JOB}"}, which every running ingestor exports at each ` +
              `metric export (10 s by default), for ${absent.window} + ${absent.for}: no ingestor instance is running, or none ` +
              `of its OTLP metrics reach Prometheus (through Alloy). If TelemetryAbsent fires too, look at Alloy first.`,
            runbook_url: runbook('IngestorDown'),
          },
        },
        {
          alert: 'TelemetryAbsent',
          expr: `absent_over_time(${vs(catalog.alloyUp.prometheus.series, alloy)}[${absent.window}])`,
          for: absent.for,
          labels: { severity: 'page' },
          annotations: {
            summary: "No telemetry from Alloy: the kit's pipeline is down or cut off from Prometheus.",
            description:
              `No sample of up{job="${ALLOY_JOB}"}, which Alloy remote-writes with its own metrics every 15 s, for ` +
              `${absent.window} + ${absent.for}: Alloy is down or cannot write to Prometheus. Every signal of every service ` +
              `(metrics, traces, logs) goes through Alloy, so all of them are probably missing, and the other alerts are blind.`,
            runbook_url: runbook('TelemetryAbsent'),
          },
        },
        {
          alert: 'AlloyExportFailing',
          expr: `${recorded.alloySendFailed} > 0\nor\n${recorded.alloyEnqueueFailed} > 0`,
          for: alloyExport.for,
          labels: { severity: 'ticket' },
          annotations: {
            summary: 'Alloy exporter {{ $labels.exporter }} is dropping {{ $labels.signal }}.',
            description:
              'Alloy exporter {{ $labels.exporter }} has been dropping {{ $labels.signal }} for ' + alloyExport.for +
              ' ({{ printf "%.2f" $value }} items/s over 5m): sends that failed after all retries, or items refused by a ' +
              'full sending queue. That telemetry is lost; the backend behind this exporter is down, slow or refusing data.',
            runbook_url: runbook('AlloyExportFailing'),
          },
        },
        {
          alert: 'IngestorTelemetryLost',
          expr: INGESTOR_SIGNALS.map((s) => `label_replace(${sumBy([JOB, INSTANCE, ERROR_TYPE], rate(vs(s.processed.prometheus.series, ingestor, `${ERROR_TYPE}!=""`), '5m'))}, "signal", "${s.signal}", "", "") > 0`).join('\nor\n'),
          for: ingestorExport.for,
          labels: { severity: 'ticket' },
          annotations: {
            summary: 'Ingestor {{ $labels.instance }} is losing {{ $labels.signal }} before they reach Alloy ({{ $labels.error_type }}).',
            description:
              'The ingestor instance {{ $labels.instance }} has been losing {{ $labels.signal }} for ' + ingestorExport.for +
              ' ({{ printf "%.2f" $value }} items/s over 5m), counted by its own batch processor: queue_full means more was ' +
              'sampled or logged than its exporter kept up with; any other error_type is an export that failed after its ' +
              "retries (Alloy down or refusing). Alloy's counters cannot show this loss: the items never reached it.",
            runbook_url: runbook('IngestorTelemetryLost'),
          },
        },
      ],
    }],
  };
}

// ---------------------------------------------------------------------------------------------

/** Every threshold, window and duration of the rules: the tests neutralize them one at a time. */
export interface Tunables {
  /** Regex of the http_route values both SLOs count. */
  sliRoutes: string;
  burnRates: readonly BurnRate[];
  fraudWave: FraudWaveParams;
  /** The e2e variant of the fraud-wave rules (rules/e2e/). */
  fraudWaveFast: FraudWaveParams;
  rejected: { maxRatio: number; minRejected: number; for: string };
  /** IngestorDown and TelemetryAbsent: no sample for `window`, then `for`. */
  absent: { window: string; for: string };
  alloyExport: { for: string };
  /** IngestorTelemetryLost: spans or logs lost in the ingestor for this long. */
  ingestorExport: { for: string };
}

export const TUNABLES: Tunables = {
  sliRoutes: SLI_ROUTES,
  burnRates: BURN_RATES,
  fraudWave: FRAUD_WAVE,
  fraudWaveFast: FRAUD_WAVE_FAST,
  rejected: { maxRatio: 0.1, minRejected: 50, for: '10m' },
  absent: { window: '3m', for: '2m' },
  alloyExport: { for: '10m' },
  ingestorExport: { for: '10m' },
};

/** The production rule files, loaded by Prometheus from stack/prometheus/rules/. */
export function ruleFiles(t: Tunables = TUNABLES): RuleFile[] {
  return [
    httpRules(),
    sloRules(t),
    {
      path: 'stack/prometheus/rules/fraud.yml',
      about: `Fraud flags per accepted record, per region, and the fraud-wave alerts (last ${t.fraudWave.window} against the ${t.fraudWave.baseline} before).`,
      groups: [fraudRules(t.fraudWave)],
    },
    ingestRules(t),
    pipelineRules(t),
  ];
}

/** Rule files for tests only, never in stack/prometheus/rules/ (see docs/alerts.md, "End-to-end test rules"). */
export function testRuleFiles(t: Tunables = TUNABLES): RuleFile[] {
  const fast = t.fraudWaveFast;
  return [{
    path: 'rules/e2e/fraud-wave-fast.yml',
    about:
      `FOR END-TO-END TESTS ONLY: FraudWaveRising/Receding with short windows (last ${fast.window} against the ` +
      `${fast.baseline} before, evaluated every ${fast.interval}), so that a burst of fraud-like ` +
      `records makes FraudWaveRising pending within seconds. Never put it in stack/prometheus/rules/.`,
    groups: [fraudRules(fast)],
  }];
}
