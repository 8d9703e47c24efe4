// End to end: the native stack (real Alloy, Prometheus, Loki and Tempo, started with the same
// config files docker-compose.yml mounts) and the real ingestor process. Traffic goes in over HTTP;
// the test then finds it in each backend, with bounded polling.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { claim, tempDir, transaction } from '../../service/test/helpers.ts';
import { startServiceProcess, type RunningService } from '../../service/test/process.ts';
import { ROOT, startStack, type RunningStack } from '../native.ts';
import { eventually, lokiQuery, promExemplars, promQuery, rssMiB, tempoTrace } from './helpers.ts';

const TRACE_ID = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const traceparent = `00-${TRACE_ID}-00ffffffffffffff-01`;

let stack: RunningStack;
let ingestor: RunningService;
const dataDir = tempDir('ingestor-e2e-');
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
  stack = await startStack(join(ROOT, '.stack-run'));
  ingestor = await startServiceProcess({
    DATA_DIR: dataDir,
    OTEL_SDK_DISABLED: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    OTEL_METRIC_EXPORT_INTERVAL: '2000',
    OTEL_SERVICE_NAME: 'ingestor',
    DEPLOYMENT_ENVIRONMENT: 'e2e',
    LOG_LEVEL: 'info',
  });

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

after(async () => {
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
      const tx = await total('sum(financial_transactions_ingested_total{outcome="accepted"})');
      const claims = await total('sum(insurance_claims_ingested_total{outcome="accepted"})');
      const rejected = await total('sum(ingest_records_rejected_total)');
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
