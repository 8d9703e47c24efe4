// End to end: the native stack (real Alloy, Prometheus, Loki and Tempo, started with the same
// config files docker-compose.yml mounts) and the real ingestor process, built as `npm start` and
// the image run it. Traffic goes in over HTTP;
// the test then finds it in each backend, with bounded polling.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { claim, tempDir, transaction } from '../../service/test/helpers.ts';
import { buildService, startServiceProcess, type RunningService } from '../../service/test/process.ts';
import { ROOT, startStack, type RunningStack } from '../native.ts';
import { spawn } from 'node:child_process';
import { allQueries, substituteVariables } from '../../dashboards/src/index.ts';
import { prometheusConfigWithRules } from '../../rules/e2e/config.ts';
import { eventually, lokiQuery, promExemplars, promQuery, rssMiB, tempoTrace } from './helpers.ts';
import { printTable, runLogQL, runPromQL, runTraceLookup } from './queries.ts';
import { REGIONS, startTrickle } from './traffic.ts';

const TRACE_ID = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const INSTANCE = `e2e-${process.pid}-${Date.now()}`;
const traceparent = `00-${TRACE_ID}-00ffffffffffffff-01`;

let stack: RunningStack;
let ingestor: RunningService;
const dataDir = tempDir('ingestor-e2e-');
const buildDir = tempDir('ingestor-e2e-build-');
const startedAt = Date.now();
/** Seconds from the first request to its data being queryable, per backend, polled side by side. */
const firstData: Record<string, number> = {};
let firstDataWatch: Promise<unknown> | undefined;

function watchFirstData(sentAt: number) {
  const watch = (backend: string, probe: () => Promise<boolean>) =>
    eventually(`first data in ${backend}`, async () => ((await probe()) ? true : undefined), 120_000, 250)
      .then(() => { firstData[backend] = Date.now() - sentAt; }, () => undefined);
  return Promise.all([
    watch('prometheus', async () => (await promQuery('financial_transactions_ingested_total')).length > 0),
    watch('tempo', async () => (await tempoTrace(TRACE_ID)) !== undefined),
    watch('loki', async () => (await lokiQuery(`{service_name="ingestor"} | trace_id="${TRACE_ID}"`, startedAt - 60_000)).length > 0),
  ]);
}
const sent = { transactionsAccepted: 0, claimsAccepted: 0, rejected: 0 };

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${ingestor.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

before(async () => {
  // Production rules plus the short-window fraud-wave rules, which only tests load.
  const runDir = join(ROOT, '.stack-run');
  mkdirSync(runDir, { recursive: true });
  stack = await startStack(runDir, { prometheusConfig: prometheusConfigWithRules(runDir) });
  ingestor = await startServiceProcess({
    DATA_DIR: dataDir,
    OTEL_SDK_DISABLED: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    OTEL_METRIC_EXPORT_INTERVAL: '2000',
    OTEL_SERVICE_NAME: 'ingestor',
    // A known instance id: the exact-count check reads this process's series only.
    OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${INSTANCE}`,
    DEPLOYMENT_ENVIRONMENT: 'e2e',
    LOG_LEVEL: 'info',
  }, { built: buildService(buildDir) });

  // The traced request: flagged, so it also writes a warn log inside its trace.
  const traced = await post('/v1/transactions', transaction({ amount: 25_000, currency: 'USD', region: 'na' }), { traceparent });
  assert.equal(traced.status, 201);
  sent.transactionsAccepted++;
  firstDataWatch = watchFirstData(Date.now());

  const types = ['purchase', 'debit', 'credit', 'transfer', 'withdrawal', 'refund'];
  const currencies = ['EUR', 'USD', 'GBP', 'JPY'];
  const regions = ['na', 'eu', 'apac', 'latam', 'mea'];
  for (let i = 0; i < 120; i++) {
    const res = await post('/v1/transactions', transaction({
      transaction_type: types[i % types.length], currency: currencies[i % currencies.length], region: regions[i % regions.length], amount: 10 + i,
    }));
    assert.equal(res.status, 201);
    sent.transactionsAccepted++;
  }
  const batch = await post('/v1/claims/batch', { records: Array.from({ length: 30 }, (_, i) => claim({ region: regions[i % 5] })) });
  sent.claimsAccepted += batch.body.summary.accepted;
  for (let i = 0; i < 10; i++) {
    assert.equal((await post('/v1/transactions', transaction({ amount: -50 }))).status, 400);
    sent.rejected++;
  }
});

let trickle: ReturnType<typeof startTrickle> | undefined;
let trickleStartedAt = 0;

after(async () => {
  await trickle?.stop();
  await firstDataWatch;
  const rss = Object.fromEntries(Object.entries(stack?.pids ?? {}).map(([name, pid]) => [name, rssMiB(pid)]));
  if (ingestor) rss.ingestor = rssMiB(ingestor.child.pid!);
  console.log(`stack: ready after ${JSON.stringify(Object.fromEntries(Object.entries(stack?.readyAfterMs ?? {}).map(([k, v]) => [k, `${(v / 1000).toFixed(1)} s`])))}`);
  console.log(`stack: first data after the first request ${JSON.stringify(Object.fromEntries(Object.entries(firstData).map(([k, v]) => [k, `${(v / 1000).toFixed(1)} s`])))}`);
  console.log(`stack: resident memory MiB ${JSON.stringify(rss)}, total ${Object.values(rss).reduce((a, b) => a + b, 0)}`);
  if (ingestor) {
    ingestor.child.kill('SIGTERM');
    await once(ingestor.child, 'exit');
  }
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(buildDir, { recursive: true, force: true });
});

describe('Prometheus', () => {
  it('has financial_transactions_ingested_total with transaction_type, currency and region', async () => {
    const series = await eventually('transactions counter', async () => {
      const r = await promQuery('financial_transactions_ingested_total{outcome="accepted"}');
      return r.length > 0 ? r : undefined;
    });
    const labels = series[0].metric;
    for (const key of ['transaction_type', 'currency', 'region', 'service_name', 'deployment_environment_name']) assert.ok(labels[key], `label ${key}`);
    assert.equal(labels.service_name, 'ingestor');
  });

  it('has http_server_request_duration_seconds_bucket by http_route', async () => {
    const series = await eventually('http histogram', async () => {
      const r = await promQuery('http_server_request_duration_seconds_bucket{http_route="/v1/transactions"}');
      return r.length > 0 ? r : undefined;
    });
    assert.ok(series.some((s) => s.metric.http_response_status_code === '201'));
  });

  it('counts exactly the accepted records sent: nothing lost, nothing twice', async () => {
    const total = async (query: string) => Number((await promQuery(query))[0]?.value[1] ?? NaN);
    await eventually('counters to match what was sent', async () => {
      const mine = `service_instance_id="${INSTANCE}"`;
      const tx = await total(`sum(financial_transactions_ingested_total{${mine}, outcome="accepted"})`);
      const claims = await total(`sum(insurance_claims_ingested_total{${mine}, outcome="accepted"})`);
      const rejected = await total(`sum(ingest_records_rejected_total{${mine}})`);
      return tx === sent.transactionsAccepted && claims === sent.claimsAccepted && rejected === sent.rejected ? true : undefined;
    }, 60_000);
  });

  it('has a span-metrics exemplar whose trace Tempo returns', async () => {
    const traceId = await eventually('an exemplar with a trace id', async () => {
      const exemplars = await promExemplars('traces_span_metrics_duration_seconds_bucket', startedAt - 60_000);
      return exemplars.map((e) => e.labels.trace_id).find(Boolean);
    });
    const trace = await eventually(`trace ${traceId} in Tempo`, () => tempoTrace(traceId), 60_000);
    assert.match(trace, /POST \/v1\//);
  });
});

describe('Tempo', () => {
  it('returns the trace sent with a known traceparent, with the service child spans', async () => {
    const trace = await eventually('the known trace', () => tempoTrace(TRACE_ID));
    for (const name of ['POST /v1/transactions', 'validate', 'fraud.score', 'store.commit']) {
      assert.ok(trace.includes(`"${name}"`), `span ${name} in trace`);
    }
    assert.ok(trace.includes('fraud.flagged'), 'the fraud.flagged event');
  });
});

describe('Loki', () => {
  it("returns that request's log lines by service_name, with its trace_id", async () => {
    const streams = await eventually('log lines of the known trace', async () => {
      const r = await lokiQuery(`{service_name="ingestor"} | trace_id="${TRACE_ID}"`, startedAt - 60_000);
      return r.length > 0 ? r : undefined;
    });
    const lines = streams.flatMap((s) => s.values.map((v) => v[1]));
    assert.ok(lines.some((l) => l.includes('record flagged by fraud rules')), lines.join('\n'));
    assert.equal(streams[0].stream.service_name, 'ingestor');
  });
});

describe('k6', () => {
  before(() => {
    // From here on, steady traffic for the rates, ratios and time-shifted panels below.
    trickle = startTrickle(ingestor.url);
    trickleStartedAt = Date.now();
  });

  it('runs the smoke scenario against the ingestor and passes its thresholds', async () => {
    const child = spawn(process.execPath, ['loadtest/run.ts', 'smoke'], {
      cwd: ROOT,
      env: { ...process.env, BASE_URL: ingestor.url, PROMETHEUS_RW: 'on', K6_PROMETHEUS_RW_SERVER_URL: 'http://127.0.0.1:9090/api/v1/write', TESTID: 'e2e-smoke' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const [code] = await once(child, 'exit');
    console.log(output.split('\n').filter((l) => /✓|✗|http_req_duration|http_reqs|checks|iterations\.|THRESHOLDS|records_/.test(l)).join('\n'));
    assert.equal(code, 0, `k6 smoke failed its thresholds or errored:\n${output.slice(-3000)}`);
  });

  it('wrote its metrics to Prometheus with the testid label', async () => {
    await eventually('k6 series', async () => ((await promQuery('k6_http_reqs_total{testid="e2e-smoke"}')).length > 0 ? true : undefined), 60_000);
  });
});

describe('dashboards', () => {
  it('every panel query returns data, with template variables replaced by real values', async () => {
    // Rates and time shifts need history: window and comparison offset of 1 minute, and the
    // trickle running for longer than both together.
    const values = { window: '1m', compare: '1m', __range: '10m', testid: 'e2e-smoke', trace_id: TRACE_ID };
    await eventually('2.5 minutes of steady traffic', async () => (Date.now() - trickleStartedAt > 150_000 ? true : undefined), 200_000, 1000);
    const queries = allQueries().map((q) => ({ ...q, expr: substituteVariables(q.expr, values), outcome: { series: 0 } as { series: number; error?: string } }));
    const run = (q: (typeof queries)[number]) =>
      q.datasource.type === 'prometheus' ? runPromQL(q.expr, q.instant)
        : q.datasource.type === 'loki' ? runLogQL(q.expr, startedAt - 60_000)
        : runTraceLookup(q.expr);
    // Every query once, then the empty ones again for up to a minute (the newest samples lag).
    const deadline = Date.now() + 60_000;
    for (let pending = queries; pending.length > 0 && Date.now() < deadline; pending = pending.filter((q) => q.outcome.series === 0)) {
      for (const q of pending) q.outcome = await run(q);
      if (pending.some((q) => q.outcome.series === 0)) await new Promise((r) => setTimeout(r, 5000));
    }
    const rows = queries.map((q) => [q.dashboard, q.panel, q.refId, String(q.outcome.series), q.outcome.error ?? '']);
    const empty = queries.filter((q) => q.outcome.series === 0).map((q) => `${q.dashboard} / ${q.panel} (${q.refId}): ${q.outcome.error ?? 'no data'}: ${q.expr}`);
    printTable(['dashboard', 'panel', 'query', 'series', 'error'], rows);
    assert.deepEqual(empty, [], `${empty.length} of ${queries.length} panel queries returned nothing`);
  });
});

describe('alerts', () => {
  it('loads the rule files: production groups and the test-only fast fraud-wave group', async () => {
    const res = await fetch('http://127.0.0.1:9090/api/v1/rules');
    const groups = ((await res.json()) as { data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string }> }> } }).data.groups;
    const rules = groups.flatMap((g) => g.rules);
    assert.ok(rules.length > 40, `${rules.length} rules loaded`);
    assert.deepEqual(rules.filter((r) => r.health === 'err').map((r) => r.name), []);
    assert.ok(groups.some((g) => g.name === 'fraud-wave-fast-e2e'));
  });

  it('fires FraudWaveRising for a burst of fraud in one region', async () => {
    // The baseline window (2 minutes, ending 1 minute ago) needs the trickle behind it.
    await eventually('3 minutes of steady traffic', async () => (Date.now() - trickleStartedAt > 185_000 ? true : undefined), 200_000, 1000);
    const region = REGIONS[3];
    const burst = Array.from({ length: 30 }, () => transaction({ region, amount: 40_000 }));
    const res = await post('/v1/transactions/batch', { records: burst });
    assert.equal(res.body.summary.accepted, 30);
    const alert = await eventually('FraudWaveRising pending or firing', async () => {
      const body = (await (await fetch('http://127.0.0.1:9090/api/v1/alerts')).json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
      return body.data.alerts.find((a) => a.labels.alertname === 'FraudWaveRising' && a.labels.region === region && a.labels.variant === 'e2e-fast');
    }, 120_000, 2000);
    console.log(`alerts: FraudWaveRising ${alert.state} for region ${region}, labels ${JSON.stringify(alert.labels)}`);
    assert.ok(['pending', 'firing'].includes(alert.state));
    assert.equal(alert.labels.severity, 'page');
  });
});

describe('PromQL cookbook', () => {
  it('every query of docs/promql.md runs and returns data', async () => {
    const doc = readFileSync(join(ROOT, 'docs/promql.md'), 'utf8');
    const queries = [...doc.matchAll(/^### (.+)\n[\s\S]*?```promql\n([\s\S]*?)```/gm)].map((m) => ({ title: m[1], expr: m[2].trim() }));
    assert.ok(queries.length >= 20, `${queries.length} queries in the cookbook`);
    const failures: string[] = [];
    for (const { title, expr } of queries) {
      const result = await eventually(title, async () => {
        const body = (await (await fetch('http://127.0.0.1:9090/api/v1/query', { method: 'POST', body: new URLSearchParams({ query: expr }) })).json()) as
          { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
        return body.status !== 'success' || body.data!.result.length > 0 ? body : undefined;
      }, 30_000, 2000).catch(() => ({ status: 'success', data: { result: [] as Array<{ metric: Record<string, string>; value: [number, string] }> } }));
      const rows = (result.data?.result ?? []).slice(0, 4).map((r) => `  ${JSON.stringify(r.metric)} ${Number(r.value[1]).toPrecision(3)}`);
      console.log(`cookbook: ${title}\n${rows.join('\n')}`);
      if (result.status !== 'success') failures.push(`${title}: ${(result as { error?: string }).error}`);
      else if (!result.data?.result.length) failures.push(`${title}: empty result`);
    }
    assert.deepEqual(failures, []);
  });
});
