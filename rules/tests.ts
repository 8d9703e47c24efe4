// promtool unit tests of the rules (`promtool test rules`), as data: generated into rules/tests/*.yml
// by `npm run rules` and run by rules/test/rules.test.ts. Every alert has cases that fire (with
// their exact labels and rendered annotations) and cases that stay quiet; a quiet case lists the
// rule changes ("mutants") that must make it fail, which shows it stays quiet because of that
// guard and not by accident. Series names and labels come from the metric catalog.
import { posix } from 'node:path';
import { catalog, type CatalogEntry } from '../service/src/telemetry/catalog.ts';
import {
  ALLOY_JOB,
  INGESTOR_HEARTBEAT,
  INGESTOR_JOB,
  isAlert,
  recorded,
  ruleFiles,
  testRuleFiles,
  TUNABLES,
  type AlertingRule,
  type FraudWaveParams,
  type Severity,
  type Tunables,
} from './definitions.ts';
import { num } from './promql.ts';

// ---------------------------------------------------------------------------------------------
// Types: the shape of a promtool unit test file.

export interface InputSeries {
  series: string;
  values: string;
}
export interface ExpAlert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}
export interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: ExpAlert[];
}
export interface ExprTest {
  expr: string;
  eval_time: string;
  exp_samples: Array<{ labels: string; value: number }>;
}
export interface TestGroup {
  name: string;
  interval: string;
  input_series: InputSeries[];
  alert_rule_test?: AlertTest[];
  promql_expr_test?: ExprTest[];
}
export interface TestCase {
  group: TestGroup;
  /** Rule changes that must make this (quiet) case fail: name -> change. */
  mutants?: Record<string, (t: Tunables) => Tunables>;
}
export interface Suite {
  /** Path of the test file from the repository root. */
  path: string;
  about: string;
  /** Rule files from the repository root. */
  ruleFiles: string[];
  evaluationInterval: string;
  cases: TestCase[];
}
/** What promtool reads (plus path and about, which the generator turns into the file name and a comment). */
export interface UnitTestFile {
  path: string;
  about: string;
  rule_files: string[];
  evaluation_interval: string;
  tests: TestGroup[];
}

/** The YAML content of a suite; `ruleFilesAt` replaces the rule file paths (mutant runs use copies). */
export function toUnitTestFile(suite: Suite, ruleFilesAt?: string[]): UnitTestFile {
  return {
    path: suite.path,
    about: suite.about,
    rule_files: ruleFilesAt ?? suite.ruleFiles.map((f) => posix.relative(posix.dirname(suite.path), f)),
    evaluation_interval: suite.evaluationInterval,
    tests: suite.cases.map((c) => c.group),
  };
}

export function unitTestFiles(): UnitTestFile[] {
  return unitTestSuites().map((s) => toUnitTestFile(s));
}

// ---------------------------------------------------------------------------------------------
// Builders.

/** `metric{label="value", ...}` */
export function series(metric: string, labels: Record<string, string>): string {
  return `${metric}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}

/**
 * promtool's expanding notation for a counter: each segment is [increase per step, steps]. Starts at
 * `start` (0) after `absent` missing samples; the last sample is at step absent + sum(steps).
 */
export function counter(segments: Array<[number, number]>, opts: { absent?: number; start?: number } = {}): string {
  const parts = opts.absent ? [`_x${opts.absent}`] : [];
  let value = opts.start ?? 0;
  segments.forEach(([slope, steps], i) => {
    if (i === 0) {
      parts.push(`${num(value)}+${num(slope)}x${steps}`);
      value += slope * steps;
    } else {
      value += slope;
      parts.push(steps > 1 ? `${num(value)}+${num(slope)}x${steps - 1}` : num(value));
      value += slope * (steps - 1);
    }
  });
  return parts.join(' ');
}

/** A gauge holding `value` from step `absent` to step `absent + steps`. */
const gauge = (value: number, steps: number, absent = 0) => `${absent ? `_x${absent} ` : ''}${value}x${steps}`;

/** Go's `%.4g%%` of v*100, as Prometheus's humanizePercentage writes it (for the values used here). */
export function humanizePercentage(v: number): string {
  const x = v * 100;
  if (x !== 0 && (Math.abs(x) >= 1e4 || Math.abs(x) < 1e-4)) throw new Error(`exponent form not implemented: ${x}`);
  return `${Number(x.toPrecision(4))}%`;
}

/** Renders the few template forms the rules use, as Prometheus would for `labels` and `value`. */
function render(template: string, labels: Record<string, string>, value?: number): string {
  const out = template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_m, body: string) => {
    let m: RegExpExecArray | null;
    if ((m = /^\$labels\.(\w+)$/.exec(body))) {
      if (!(m[1] in labels)) throw new Error(`template needs label ${m[1]}`);
      return labels[m[1]];
    }
    if (value === undefined) throw new Error(`template ${body} needs a value`);
    if (body === '$value | humanizePercentage') return humanizePercentage(value);
    if (body === 'printf "%.2f" $value') return value.toFixed(2);
    throw new Error(`unsupported template {{ ${body} }}`);
  });
  return out;
}

function alertRules(t: Tunables): AlertingRule[] {
  return [...ruleFiles(t), ...testRuleFiles(t)].flatMap((f) => f.groups).flatMap((g) => g.rules).filter(isAlert);
}

/** The alert `name` (of `severity`, of the e2e variant when `variant`) firing with the series labels `labels`. */
function firing(t: Tunables, name: string, labels: Record<string, string>, opts: { severity?: Severity; variant?: string; value?: number } = {}): ExpAlert {
  const rules = alertRules(t).filter((r) => r.alert === name && (!opts.severity || r.labels.severity === opts.severity) && r.labels.variant === opts.variant);
  if (rules.length !== 1) throw new Error(`${rules.length} rules match ${name} ${JSON.stringify(opts)}`);
  const [rule] = rules;
  const annotations = Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, render(v, labels, opts.value)]));
  return { exp_labels: { ...rule.labels, ...labels }, exp_annotations: annotations };
}

const check = (eval_time: string, alertname: string, ...exp_alerts: ExpAlert[]): AlertTest => ({ eval_time, alertname, exp_alerts });

const withFraudWave = (patch: Partial<FraudWaveParams>) => (t: Tunables): Tunables => ({ ...t, fraudWave: { ...t.fraudWave, ...patch } });
const withFraudWaveFast = (patch: Partial<FraudWaveParams>) => (t: Tunables): Tunables => ({ ...t, fraudWaveFast: { ...t.fraudWaveFast, ...patch } });
const withBurnRates = (severity: Severity, patch: (b: Tunables['burnRates'][number]) => Partial<Tunables['burnRates'][number]>) => (t: Tunables): Tunables => ({
  ...t,
  burnRates: t.burnRates.map((b) => (b.severity === severity ? { ...b, ...patch(b) } : b)),
});

// ---------------------------------------------------------------------------------------------
// Label sets of the input series.

const INSTANCE = '6f1c1a52-1f8e-4c43-9a55-0d6f0a4e4b7e';
const ingestor = { job: INGESTOR_JOB, instance: INSTANCE, service_name: 'ingestor', service_namespace: 'observability-kit', deployment_environment_name: 'test' };
const ALLOY_INSTANCE = 'alloy:12345';
const alloy = { job: ALLOY_JOB, instance: ALLOY_INSTANCE };

const tx = catalog.transactionsIngested.prometheus;
const cl = catalog.claimsIngested.prometheus;
const ff = catalog.fraudFlagged.prometheus;
const rj = catalog.recordsRejected.prometheus;
const http = catalog.httpServerRequestDuration.prometheus;

const txSeries = (region: string, outcome = 'accepted') =>
  series(tx.series, { ...ingestor, [tx.labels['transaction.type']]: 'purchase', [tx.labels.currency]: 'EUR', [tx.labels.region]: region, [tx.labels.outcome]: outcome });
const claimSeries = (region: string, outcome = 'accepted') =>
  series(cl.series, { ...ingestor, [cl.labels['claim.type']]: 'auto', [cl.labels['claim.status']]: 'submitted', [cl.labels.region]: region, [cl.labels.outcome]: outcome });
const fraudSeries = (region: string, rule = 'high_amount', recordType = 'transaction') =>
  series(ff.series, { ...ingestor, [ff.labels.rule]: rule, [ff.labels.region]: region, [ff.labels['record.type']]: recordType });
const rejectedSeries = (recordType = 'transaction', reason = 'invalid_field') =>
  series(rj.series, { ...ingestor, [rj.labels['record.type']]: recordType, [rj.labels.reason]: reason });

function httpLabels(route: string, status: number, method = 'POST'): Record<string, string> {
  return {
    ...ingestor,
    [http.labels['http.request.method']]: method,
    [http.labels['http.route']]: route,
    [http.labels['http.response.status_code']]: String(status),
    [http.labels['url.scheme']]: 'http',
    [http.labels['network.protocol.version']]: '1.1',
    ...(status >= 500 ? { [http.labels['error.type']]: String(status) } : {}),
  };
}
const httpCount = (route: string, status: number, values: string, method?: string): InputSeries => ({ series: series(http.count!, httpLabels(route, status, method)), values });
const httpBucket = (route: string, status: number, le: string, values: string, method?: string): InputSeries => ({ series: series(http.bucket!, { ...httpLabels(route, status, method), le }), values });

/** Accepted transactions and claims of a region, and its fraud flags, one step a minute. */
function region(name: string, o: { tx: number; claims: number; steps: number; fraud?: Array<[number, number]>; fraudAbsent?: number; fraudStart?: number }): InputSeries[] {
  return [
    { series: txSeries(name), values: counter([[o.tx, o.steps]]) },
    { series: claimSeries(name), values: counter([[o.claims, o.steps]]) },
    ...(o.fraud ? [{ series: fraudSeries(name), values: counter(o.fraud, { absent: o.fraudAbsent, start: o.fraudStart }) }] : []),
  ];
}

// ---------------------------------------------------------------------------------------------
// The suites.

const RULES = (name: string) => `stack/prometheus/rules/${name}.yml`;

export function unitTestSuites(t: Tunables = TUNABLES): Suite[] {
  const J = { job: INGESTOR_JOB };
  const fire = (name: string, labels: Record<string, string>, opts: Parameters<typeof firing>[3] = {}) => firing(t, name, labels, opts);
  const p = t.fraudWave;

  const fraud: Suite = {
    path: 'rules/tests/fraud.yml',
    about: `FraudWaveRising and FraudWaveReceding: ${p.window} against the ${p.baseline} before, per region, with minimum traffic.`,
    ruleFiles: [RULES('fraud')],
    evaluationInterval: '1m',
    cases: [
      {
        group: {
          name: 'FraudWaveRising fires on a wave in one region only (1% -> 20% of 25 records a minute), ignoring rejected records',
          interval: '1m',
          input_series: [
            ...region('eu', { tx: 20, claims: 5, steps: 240, fraud: [[0.25, 150], [5, 90]] }),
            // Rejected records must not count as traffic: counted, they would halve the ratio.
            { series: txSeries('eu', 'rejected'), values: counter([[100, 240]]) },
            ...region('na', { tx: 20, claims: 5, steps: 240, fraud: [[0.25, 240]] }),
          ],
          alert_rule_test: [
            check('140m', 'FraudWaveRising'),
            check('200m', 'FraudWaveRising', fire('FraudWaveRising', { ...J, region: 'eu' }, { value: 0.2 })),
            check('200m', 'FraudWaveReceding'),
          ],
        },
      },
      {
        group: {
          name: 'FraudWaveRising fires in a region that had no fraud flag at all before the wave',
          interval: '1m',
          input_series: region('eu', { tx: 20, claims: 5, steps: 240, fraudAbsent: 171, fraudStart: 5, fraud: [[5, 68]] }),
          alert_rule_test: [
            check('170m', 'FraudWaveRising'),
            check('200m', 'FraudWaveRising', fire('FraudWaveRising', { ...J, region: 'eu' }, { value: 0.2 })),
          ],
        },
      },
      {
        group: {
          name: `FraudWaveRising stays quiet on a jump to 50% under ${p.minAccepted} accepted records per ${p.window}`,
          interval: '1m',
          input_series: region('eu', { tx: 4, claims: 1, steps: 240, fraud: [[0.05, 150], [2.5, 90]] }),
          alert_rule_test: [check('200m', 'FraudWaveRising'), check('235m', 'FraudWaveRising')],
        },
        mutants: { 'no minimum of accepted records': withFraudWave({ minAccepted: 0 }) },
      },
      {
        group: {
          name: `FraudWaveRising stays quiet when the ratio grows less than ${p.risingFactor}x (5% -> 8%)`,
          interval: '1m',
          input_series: region('eu', { tx: 80, claims: 20, steps: 240, fraud: [[5, 150], [8, 90]] }),
          alert_rule_test: [check('200m', 'FraudWaveRising'), check('235m', 'FraudWaveRising')],
        },
        mutants: { 'rising factor 1': withFraudWave({ risingFactor: 1 }) },
      },
      {
        group: {
          name: `FraudWaveRising stays quiet on a 5x rise smaller than ${p.minChange} (0.1% -> 0.5%)`,
          interval: '1m',
          input_series: region('eu', { tx: 160, claims: 40, steps: 240, fraud: [[0.2, 150], [1, 90]] }),
          alert_rule_test: [check('200m', 'FraudWaveRising'), check('235m', 'FraudWaveRising')],
        },
        mutants: { 'no minimum change': withFraudWave({ minChange: 0 }) },
      },
      {
        group: {
          name: 'FraudWaveReceding fires when a 20% wave falls back to 1%, and not while it lasts',
          interval: '1m',
          input_series: region('eu', { tx: 20, claims: 5, steps: 240, fraud: [[5, 150], [0.25, 90]] }),
          alert_rule_test: [
            check('100m', 'FraudWaveReceding'),
            check('100m', 'FraudWaveRising'),
            check('200m', 'FraudWaveReceding', fire('FraudWaveReceding', { ...J, region: 'eu' }, { value: 0.01 })),
            check('200m', 'FraudWaveRising'),
          ],
        },
      },
      {
        group: {
          name: `FraudWaveReceding stays quiet when the baseline held fewer than ${p.minFlags} flags (1.5% of 10 a minute -> 0)`,
          interval: '1m',
          input_series: region('eu', { tx: 8, claims: 2, steps: 240, fraud: [[0.15, 150], [0, 90]] }),
          alert_rule_test: [check('200m', 'FraudWaveReceding'), check('235m', 'FraudWaveReceding')],
        },
        mutants: { 'no minimum of flags': withFraudWave({ minFlags: 0 }) },
      },
      {
        group: {
          name: `FraudWaveReceding stays quiet when the ratio falls by less than ${p.recedingFactor}x (20% -> 12%)`,
          interval: '1m',
          input_series: region('eu', { tx: 20, claims: 5, steps: 240, fraud: [[5, 150], [3, 90]] }),
          alert_rule_test: [check('200m', 'FraudWaveReceding'), check('235m', 'FraudWaveReceding')],
        },
        mutants: { 'receding factor 1': withFraudWave({ recedingFactor: 1 }) },
      },
    ],
  };

  // --- SLOs: pages (1-minute samples) ---
  const ok = (route = '/v1/transactions') => (values: string) => httpCount(route, 201, values);
  const err = (route = '/v1/transactions') => (values: string) => httpCount(route, 500, values);
  const AVAIL = 'IngestorAvailabilityBudgetBurn';
  const LAT = 'IngestorLatencyBudgetBurn';
  const shortOnly = (severity: Severity) => withBurnRates(severity, (b) => ({ long: b.short }));
  const sloPage: Suite = {
    path: 'rules/tests/slo-page.yml',
    about: 'SLO burn-rate pages (and the tickets the same burns open): availability (5xx) and latency (le="0.25").',
    ruleFiles: [RULES('slo')],
    evaluationInterval: '1m',
    cases: [
      {
        group: {
          name: `${AVAIL} pages on 5% of 5xx (over 14.4x over 1h and 5m), and opens a ticket`,
          interval: '1m',
          input_series: [ok()(counter([[100, 180]])), err()(counter([[0, 60], [5, 120]]))],
          alert_rule_test: [
            check('50m', AVAIL),
            check('130m', AVAIL, fire(AVAIL, J, { severity: 'page', value: 300 / 6300 }), fire(AVAIL, J, { severity: 'ticket', value: 350 / 13350 })),
          ],
        },
      },
      {
        group: {
          name: `${AVAIL} pages on 1% of 5xx sustained (6x over 6h and 30m)`,
          interval: '1m',
          input_series: [ok()(counter([[99, 120]])), err()(counter([[1, 120]]))],
          alert_rule_test: [check('60m', AVAIL, fire(AVAIL, J, { severity: 'page', value: 0.01 }), fire(AVAIL, J, { severity: 'ticket', value: 0.01 }))],
        },
      },
      {
        group: {
          name: `${AVAIL} does not page on a one-minute spike of 5xx, nor on 503s of /readyz (not in the SLO)`,
          interval: '1m',
          input_series: [
            ok()(counter([[100, 180]])),
            err()(counter([[0, 100], [50, 1], [0, 79]])),
            httpCount('/readyz', 503, counter([[50, 180]]), 'GET'),
          ],
          // Before the ticket's `for` could end: only the page is tested here.
          alert_rule_test: [check('103m', AVAIL), check('105m', AVAIL), check('112m', AVAIL)],
        },
        mutants: { 'page long windows as short as the short ones': shortOnly('page'), 'every route in the SLO': (x) => ({ ...x, sliRoutes: '.+' }) },
      },
      {
        group: {
          name: `${AVAIL} does not page on 1% of 5xx for the last 30 minutes only, after 6 clean hours`,
          interval: '1m',
          input_series: [ok()(counter([[100, 400]])), err()(counter([[0, 360], [1, 40]]))],
          alert_rule_test: [check('395m', AVAIL)],
        },
        mutants: { 'page long windows as short as the short ones': shortOnly('page') },
      },
      {
        group: {
          name: `${LAT} pages when 20% of requests are slower than 250 ms, and opens a ticket`,
          interval: '1m',
          input_series: [ok()(counter([[100, 120]])), httpBucket('/v1/transactions', 201, '0.25', counter([[80, 120]]))],
          alert_rule_test: [check('60m', LAT, fire(LAT, J, { severity: 'page', value: 1 - 0.8 }), fire(LAT, J, { severity: 'ticket', value: 1 - 0.8 }))],
        },
      },
      {
        group: {
          name: `${LAT} does not page when 4% of requests are slow, nor on slow /healthz (not in the SLO)`,
          interval: '1m',
          input_series: [
            ok()(counter([[100, 20]])),
            httpBucket('/v1/transactions', 201, '0.25', counter([[96, 20]])),
            httpCount('/healthz', 200, counter([[100, 20]]), 'GET'),
            httpBucket('/healthz', 200, '0.25', counter([[0, 20]]), 'GET'),
          ],
          // Before the ticket's `for` could end: only the page is tested here.
          alert_rule_test: [check('10m', LAT), check('14m', LAT)],
        },
        mutants: { 'page burn factors 1': withBurnRates('page', () => ({ factor: 1 })), 'every route in the SLO': (x) => ({ ...x, sliRoutes: '.+' }) },
      },
    ],
  };

  // --- SLOs: tickets (5-minute samples over up to 54 hours) ---
  const sloTicket: Suite = {
    path: 'rules/tests/slo-ticket.yml',
    about: 'SLO burn-rate tickets: 3x over 1d and 2h, 1x over 3d and 6h. Samples every 5 minutes.',
    ruleFiles: [RULES('slo')],
    evaluationInterval: '5m',
    cases: [
      {
        group: {
          name: `${AVAIL} opens a ticket, without paging, on 0.4% of 5xx (3x over 1d and 2h)`,
          interval: '5m',
          input_series: [ok()(counter([[996, 48]])), err()(counter([[4, 48]]))],
          alert_rule_test: [check('4h', AVAIL, fire(AVAIL, J, { severity: 'ticket', value: 0.004 }))],
        },
      },
      {
        group: {
          name: `${AVAIL} opens a ticket on 0.15% of 5xx (1x over 3d and 6h)`,
          interval: '5m',
          input_series: [ok()(counter([[998.5, 96]])), err()(counter([[1.5, 96]]))],
          alert_rule_test: [check('8h', AVAIL, fire(AVAIL, J, { severity: 'ticket', value: 0.0015 }))],
        },
      },
      {
        group: {
          name: `${AVAIL} opens no ticket on 0.2% of 5xx for the last 6 hours after two clean days`,
          interval: '5m',
          input_series: [ok()(counter([[1000, 648]])), err()(counter([[0, 576], [2, 72]]))],
          alert_rule_test: [check('54h', AVAIL)],
        },
        mutants: { 'ticket long windows as short as the short ones': shortOnly('ticket') },
      },
      {
        group: {
          name: `${LAT} opens a ticket, without paging, when 4% of requests are slow`,
          interval: '5m',
          input_series: [ok()(counter([[1000, 48]])), httpBucket('/v1/transactions', 201, '0.25', counter([[960, 48]]))],
          alert_rule_test: [check('4h', LAT, fire(LAT, J, { severity: 'ticket', value: 1 - 0.96 }))],
        },
      },
      {
        group: {
          name: `${LAT} opens no ticket when 0.5% of requests are slow`,
          interval: '5m',
          input_series: [ok()(counter([[1000, 48]])), httpBucket('/v1/transactions', 201, '0.25', counter([[995, 48]]))],
          alert_rule_test: [check('4h', LAT)],
        },
        mutants: { 'ticket burn factors 0.1': withBurnRates('ticket', () => ({ factor: 0.1 })) },
      },
    ],
  };

  // --- Rejected records ---
  const REJ = 'IngestorRejectingRecords';
  const rejectedTraffic = (accepted: number, rejected: number, claims: number, steps = 40): InputSeries[] => [
    { series: txSeries('eu'), values: counter([[accepted, steps]]) },
    { series: txSeries('eu', 'rejected'), values: counter([[rejected, steps]]) },
    { series: claimSeries('eu'), values: counter([[claims, steps]]) },
    { series: rejectedSeries(), values: counter([[rejected, steps]]) },
  ];
  const ingest: Suite = {
    path: 'rules/tests/ingest.yml',
    about: `${REJ}: share of rejected records among those received.`,
    ruleFiles: [RULES('ingest')],
    evaluationInterval: '1m',
    cases: [
      {
        group: {
          name: `${REJ} fires when 1 record in 6 is rejected`,
          interval: '1m',
          input_series: rejectedTraffic(80, 20, 20),
          alert_rule_test: [check('5m', REJ), check('30m', REJ, fire(REJ, J, { value: 20 / 120 }))],
        },
      },
      {
        group: {
          name: `${REJ} stays quiet at 5% rejected`,
          interval: '1m',
          input_series: rejectedTraffic(95, 5, 0),
          alert_rule_test: [check('30m', REJ)],
        },
        mutants: { 'maximum share 1%': (x) => ({ ...x, rejected: { ...x.rejected, maxRatio: 0.01 } }) },
      },
      {
        group: {
          name: `${REJ} stays quiet at 50% rejected of 4 records a minute (under ${t.rejected.minRejected} rejected in 10m)`,
          interval: '1m',
          input_series: rejectedTraffic(2, 2, 0),
          alert_rule_test: [check('30m', REJ)],
        },
        mutants: { 'no minimum of rejected records': (x) => ({ ...x, rejected: { ...x.rejected, minRejected: 0 } }) },
      },
    ],
  };

  // --- The telemetry pipeline ---
  const heartbeat = (instance: string, job = INGESTOR_JOB) =>
    series(INGESTOR_HEARTBEAT.prometheus.series, { ...ingestor, job, instance, [INGESTOR_HEARTBEAT.prometheus.labels['record.type']]: 'transaction' });
  const up = series(catalog.alloyUp.prometheus.series, alloy);
  const exporterSeries = (entry: { prometheus: { series: string } }, exporter: string) => series(entry.prometheus.series, { ...alloy, exporter });
  const processedSeries = (entry: CatalogEntry, errorType?: string) => series(entry.prometheus.series, {
    ...ingestor,
    [entry.prometheus.labels['otel.component.type']]: entry === catalog.sdkLogsProcessed ? 'batching_log_processor' : 'batching_span_processor',
    [entry.prometheus.labels['otel.component.name']]: `${entry === catalog.sdkLogsProcessed ? 'batching_log_processor' : 'batching_span_processor'}/0`,
    ...(errorType ? { [entry.prometheus.labels['error.type']]: errorType } : {}),
  });
  const TEMPO = 'otlp/otelcol.exporter.otlp.tempo';
  const LOKI = 'otlphttp/otelcol.exporter.otlphttp.loki';
  const PROMETHEUS = 'otlphttp/otelcol.exporter.otlphttp.prometheus';
  const pipeline: Suite = {
    path: 'rules/tests/pipeline.yml',
    about: 'IngestorDown, TelemetryAbsent, AlloyExportFailing and IngestorTelemetryLost.',
    ruleFiles: [RULES('pipeline')],
    evaluationInterval: '1m',
    cases: [
      {
        group: {
          name: 'IngestorDown fires when the ingestor heartbeat stops (another job going on does not hide it)',
          interval: '1m',
          input_series: [
            { series: heartbeat(INSTANCE), values: gauge(1234, 30) },
            { series: heartbeat(INSTANCE, 'other/ingestor'), values: gauge(7, 60) },
            { series: up, values: gauge(1, 60) },
          ],
          alert_rule_test: [
            check('30m', 'IngestorDown'),
            check('34m', 'IngestorDown'),
            check('36m', 'IngestorDown', fire('IngestorDown', J)),
            check('36m', 'TelemetryAbsent'),
          ],
        },
      },
      {
        group: {
          name: 'IngestorDown stays quiet across a restart (new instance id, 3 samples missing)',
          interval: '1m',
          input_series: [
            { series: heartbeat(INSTANCE), values: gauge(1234, 20) },
            { series: heartbeat('1d8e2b7c-restarted'), values: gauge(1234, 36, 24) },
          ],
          alert_rule_test: [check('23m', 'IngestorDown'), check('40m', 'IngestorDown')],
        },
        mutants: { 'no for': (x) => ({ ...x, absent: { ...x.absent, for: '0s' } }) },
      },
      {
        group: {
          name: 'TelemetryAbsent fires when Alloy metrics stop arriving',
          interval: '1m',
          input_series: [{ series: up, values: gauge(1, 30) }, { series: heartbeat(INSTANCE), values: gauge(1234, 60) }],
          alert_rule_test: [
            check('34m', 'TelemetryAbsent'),
            check('36m', 'TelemetryAbsent', fire('TelemetryAbsent', { job: ALLOY_JOB })),
            check('36m', 'IngestorDown'),
          ],
        },
      },
      {
        group: {
          name: 'TelemetryAbsent stays quiet across an Alloy restart (2 samples missing)',
          interval: '1m',
          input_series: [{ series: up, values: `${gauge(1, 20)} _x2 ${gauge(1, 37)}` }],
          alert_rule_test: [check('21m', 'TelemetryAbsent'), check('22m', 'TelemetryAbsent'), check('40m', 'TelemetryAbsent')],
        },
        mutants: { 'absent after 1m, no for': (x) => ({ ...x, absent: { window: '1m', for: '0s' } }) },
      },
      {
        group: {
          name: 'AlloyExportFailing fires per exporter and signal: failed sends of spans, a full queue for logs',
          interval: '1m',
          input_series: [
            { series: exporterSeries(catalog.alloyExporterSentSpans, TEMPO), values: counter([[600, 40]]) },
            { series: exporterSeries(catalog.alloyExporterFailedSpans, TEMPO), values: counter([[0, 10], [60, 30]]) },
            { series: exporterSeries(catalog.alloyExporterEnqueueFailedLogRecords, LOKI), values: counter([[0, 10], [30, 30]]) },
            { series: exporterSeries(catalog.alloyExporterFailedMetricPoints, PROMETHEUS), values: counter([[0, 40]]) },
          ],
          alert_rule_test: [
            check('18m', 'AlloyExportFailing'),
            check(
              '30m',
              'AlloyExportFailing',
              fire('AlloyExportFailing', { ...alloy, exporter: TEMPO, signal: 'traces' }, { value: 1 }),
              fire('AlloyExportFailing', { ...alloy, exporter: LOKI, signal: 'logs' }, { value: 0.5 }),
            ),
          ],
        },
      },
      {
        group: {
          name: 'AlloyExportFailing stays quiet after a single failed batch',
          interval: '1m',
          input_series: [{ series: exporterSeries(catalog.alloyExporterFailedMetricPoints, PROMETHEUS), values: counter([[0, 10], [100, 1], [0, 40]]) }],
          alert_rule_test: [check('14m', 'AlloyExportFailing'), check('20m', 'AlloyExportFailing'), check('50m', 'AlloyExportFailing')],
        },
        mutants: { 'no for': (x) => ({ ...x, alloyExport: { for: '0s' } }) },
      },
      {
        group: {
          name: 'IngestorTelemetryLost fires per instance, signal and error type: spans dropped on a full queue, logs in failed exports',
          interval: '1m',
          input_series: [
            { series: processedSeries(catalog.sdkSpansProcessed), values: counter([[6000, 40]]) },
            // The SDK creates an error series at its first loss: absent before, its first sample already counted.
            { series: processedSeries(catalog.sdkSpansProcessed, 'queue_full'), values: counter([[120, 29]], { absent: 11, start: 120 }) },
            { series: processedSeries(catalog.sdkLogsProcessed), values: counter([[60, 40]]) },
            { series: processedSeries(catalog.sdkLogsProcessed, 'OTLPExporterError'), values: counter([[30, 29]], { absent: 11, start: 30 }) },
          ],
          alert_rule_test: [
            check('18m', 'IngestorTelemetryLost'),
            check(
              '30m',
              'IngestorTelemetryLost',
              fire('IngestorTelemetryLost', { ...J, instance: INSTANCE, error_type: 'queue_full', signal: 'traces' }, { value: 2 }),
              fire('IngestorTelemetryLost', { ...J, instance: INSTANCE, error_type: 'OTLPExporterError', signal: 'logs' }, { value: 0.5 }),
            ),
          ],
        },
      },
      {
        group: {
          name: 'IngestorTelemetryLost stays quiet after one burst of drops (its series made by an earlier loss), and for exported items',
          interval: '1m',
          input_series: [
            { series: processedSeries(catalog.sdkSpansProcessed), values: counter([[6000, 60]]) },
            { series: processedSeries(catalog.sdkSpansProcessed, 'queue_full'), values: counter([[0, 10], [500, 1], [0, 40]], { absent: 10, start: 5 }) },
          ],
          alert_rule_test: [check('14m', 'IngestorTelemetryLost'), check('24m', 'IngestorTelemetryLost'), check('50m', 'IngestorTelemetryLost')],
        },
        mutants: { 'no for': (x) => ({ ...x, ingestorExport: { for: '0s' } }) },
      },
    ],
  };

  // --- Recording rules: values ---
  const round = (expr: string) => `round(${expr}, 0.0001)`;
  const route = (r: string) => `{job="${INGESTOR_JOB}", http_route="${r}"}`;
  const recording: Suite = {
    path: 'rules/tests/recording.yml',
    about: 'Values of the recording rules: per-route rate, 5xx ratio and quantiles; SLO ratios; fraud ratio per region; rejections; Alloy exporters.',
    ruleFiles: ruleFiles(t).map((f) => f.path),
    evaluationInterval: '1m',
    cases: [
      {
        group: {
          name: 'Per-route rate, 5xx ratio, p50/p90/p99, and the SLO ratios (the /v1 API only)',
          interval: '1m',
          input_series: [
            // /v1/transactions 201: 100 a minute: 30 under 0.1 s, 80 under 0.25 s, 95 under 0.5 s, all under 1 s.
            httpCount('/v1/transactions', 201, counter([[100, 20]])),
            ...([['0.1', 30], ['0.25', 80], ['0.5', 95], ['1', 100], ['+Inf', 100]] as const).map(([le, n]) => httpBucket('/v1/transactions', 201, le, counter([[n, 20]]))),
            // /v1/transactions 500: 10 a minute, all under 0.1 s.
            httpCount('/v1/transactions', 500, counter([[10, 20]])),
            ...['0.1', '0.25', '0.5', '1', '+Inf'].map((le) => httpBucket('/v1/transactions', 500, le, counter([[10, 20]]))),
            // /v1/claims 201: 50 a minute, all under 0.1 s.
            httpCount('/v1/claims', 201, counter([[50, 20]])),
            ...['0.1', '0.25', '0.5', '1', '+Inf'].map((le) => httpBucket('/v1/claims', 201, le, counter([[50, 20]]))),
            // /healthz: 100 a minute, all between 0.5 and 1 s: slow, but not in the SLOs.
            httpCount('/healthz', 200, counter([[100, 20]]), 'GET'),
            ...([['0.1', 0], ['0.25', 0], ['0.5', 0], ['1', 100], ['+Inf', 100]] as const).map(([le, n]) => httpBucket('/healthz', 200, le, counter([[n, 20]]), 'GET')),
          ],
          promql_expr_test: [
            {
              expr: round(recorded.routeRequests),
              eval_time: '10m',
              exp_samples: [
                { labels: route('/v1/transactions'), value: 1.8333 },
                { labels: route('/v1/claims'), value: 0.8333 },
                { labels: route('/healthz'), value: 1.6667 },
              ],
            },
            {
              expr: round(recorded.routeErrorRatio),
              eval_time: '10m',
              exp_samples: [
                { labels: route('/v1/transactions'), value: 0.0909 },
                { labels: route('/v1/claims'), value: 0 },
                { labels: route('/healthz'), value: 0 },
              ],
            },
            ...([['p50', 0.145, 0.05, 0.75], ['p90', 0.4, 0.09, 0.95], ['p99', 0.89, 0.099, 0.995]] as const).map(([q, transactions, claims, healthz]) => ({
              expr: round(recorded.routeLatency(q)),
              eval_time: '10m',
              exp_samples: [
                { labels: route('/v1/transactions'), value: transactions },
                { labels: route('/v1/claims'), value: claims },
                { labels: route('/healthz'), value: healthz },
              ],
            })),
            ...['5m', '1h', '3d'].flatMap((w) => [
              { expr: round(recorded.availabilityErrors(w)), eval_time: '10m', exp_samples: [{ labels: `{job="${INGESTOR_JOB}"}`, value: 0.0625 }] },
              { expr: round(recorded.latencyErrors(w)), eval_time: '10m', exp_samples: [{ labels: `{job="${INGESTOR_JOB}"}`, value: 0.125 }] },
            ]),
          ],
        },
      },
      {
        group: {
          name: 'Fraud flags per accepted record, per region: 10% in eu, 0 in na (no flag series at all)',
          interval: '1m',
          input_series: [
            ...region('eu', { tx: 8, claims: 2, steps: 160, fraud: [[1, 160]] }),
            { series: txSeries('eu', 'rejected'), values: counter([[50, 160]]) },
            { series: txSeries('na'), values: counter([[10, 160]]) },
          ],
          promql_expr_test: [
            ...['5m', p.window, `${p.baseline}_offset${p.window}`].flatMap((w) => [
              {
                expr: round(recorded.fraudRatio(w)),
                eval_time: '160m',
                exp_samples: [{ labels: `{job="${INGESTOR_JOB}", region="eu"}`, value: 0.1 }, { labels: `{job="${INGESTOR_JOB}", region="na"}`, value: 0 }],
              },
              {
                expr: round(recorded.recordsAccepted(w)),
                eval_time: '160m',
                exp_samples: [{ labels: `{job="${INGESTOR_JOB}", region="eu"}`, value: 0.1667 }, { labels: `{job="${INGESTOR_JOB}", region="na"}`, value: 0.1667 }],
              },
            ]),
          ],
        },
      },
      {
        group: {
          name: 'Rejected records: share of received (transactions of every outcome and claims), and rate by reason',
          interval: '1m',
          input_series: rejectedTraffic(80, 20, 20, 20),
          promql_expr_test: [
            { expr: round(recorded.rejectedRatio), eval_time: '15m', exp_samples: [{ labels: `{job="${INGESTOR_JOB}"}`, value: 0.1667 }] },
            {
              expr: round(recorded.rejectedByReason),
              eval_time: '15m',
              exp_samples: [{ labels: `{job="${INGESTOR_JOB}", record_type="transaction", reason="invalid_field"}`, value: 0.3333 }],
            },
          ],
        },
      },
      {
        group: {
          name: 'Alloy exporters: items per second by exporter and signal',
          interval: '1m',
          input_series: [
            { series: exporterSeries(catalog.alloyExporterSentSpans, TEMPO), values: counter([[600, 20]]) },
            { series: exporterSeries(catalog.alloyExporterFailedSpans, TEMPO), values: counter([[60, 20]]) },
            { series: exporterSeries(catalog.alloyExporterSentLogRecords, LOKI), values: counter([[120, 20]]) },
          ],
          promql_expr_test: [
            {
              expr: round(recorded.alloySent),
              eval_time: '10m',
              exp_samples: [
                { labels: `{job="${ALLOY_JOB}", instance="${ALLOY_INSTANCE}", exporter="${TEMPO}", signal="traces"}`, value: 10 },
                { labels: `{job="${ALLOY_JOB}", instance="${ALLOY_INSTANCE}", exporter="${LOKI}", signal="logs"}`, value: 2 },
              ],
            },
            {
              expr: round(recorded.alloySendFailed),
              eval_time: '10m',
              exp_samples: [{ labels: `{job="${ALLOY_JOB}", instance="${ALLOY_INSTANCE}", exporter="${TEMPO}", signal="traces"}`, value: 1 }],
            },
          ],
        },
      },
    ],
  };

  // --- The end-to-end variant of the fraud-wave rules (rules/e2e/), at the e2e test's pace ---
  const f = t.fraudWaveFast;
  const E2E = { ...J, region: 'na' };
  // One step every 2 s (the e2e test's OTEL_METRIC_EXPORT_INTERVAL): 1 accepted transaction a step in
  // na; 5 flags primed at 20 s (the series exists before the burst), then a burst at 202-204 s.
  const fastRegion = (burst: number): InputSeries[] => [
    { series: txSeries('na'), values: counter([[1, 100], [1 + burst / 2, 2], [1, 58]]) },
    { series: fraudSeries('na'), values: counter([[0, 90], [burst / 2, 2], [0, 58]], { absent: 10, start: 5 }) },
  ];
  // Input data never depends on `t` (mutant runs change the rules, not the data).
  const SMALL_BURST = TUNABLES.fraudWaveFast.minFlags - 1;
  const fast: Suite = {
    path: 'rules/tests/fraud-wave-fast.yml',
    about: `The e2e-only fraud-wave rules (rules/e2e/fraud-wave-fast.yml): ${f.window} against the ${f.baseline} before, evaluated every ${f.interval}.`,
    ruleFiles: testRuleFiles(t).map((r) => r.path),
    evaluationInterval: f.interval ?? '15s',
    cases: [
      {
        group: {
          name: 'e2e FraudWaveRising fires within 15 s of a burst of 30 flagged records; Receding once the burst leaves the window',
          interval: '2s',
          input_series: fastRegion(30),
          alert_rule_test: [
            check('195s', 'FraudWaveRising'),
            check('230s', 'FraudWaveRising', fire('FraudWaveRising', E2E, { variant: 'e2e-fast', value: 30 / 59 })),
            check('230s', 'FraudWaveReceding'),
            check('290s', 'FraudWaveReceding', fire('FraudWaveReceding', E2E, { variant: 'e2e-fast', value: 0 })),
            check('290s', 'FraudWaveRising'),
          ],
        },
      },
      {
        group: {
          name: `e2e FraudWaveRising stays quiet on a burst of ${SMALL_BURST} flags (under ${TUNABLES.fraudWaveFast.minFlags})`,
          interval: '2s',
          input_series: fastRegion(SMALL_BURST),
          alert_rule_test: [check('230s', 'FraudWaveRising'), check('240s', 'FraudWaveRising')],
        },
        mutants: { 'no minimum of flags': withFraudWaveFast({ minFlags: 0 }) },
      },
    ],
  };

  return [fraud, sloPage, sloTicket, ingest, pipeline, recording, fast];
}
