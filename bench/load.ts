// The load generator, in its own process (bench/run.ts pins it to the other core). Prints one
// JSON line: requests/s, records/s, latency, errors.
//
//   node bench/load.ts <url> <single|batch> <connections> <seconds> [requests per second]
//
// Without a rate: autocannon, closed loop, as fast as the service answers (throughput).
// With a rate: bench/paced.ts, open loop, evenly spaced arrivals (latency at a given load).
import autocannon from 'autocannon';
import { pacedLoad, percentile } from './paced.ts';

const [url, kind, connections, seconds, rate] = process.argv.slice(2);
const BATCH = 100;
const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;
const currencies = ['USD', 'EUR', 'GBP', 'JPY'];
const regions = ['na', 'eu', 'apac', 'latam', 'mea'];
let n = 0;

// One record in FLAGGED_EVERY is above the high-amount threshold: the notable-record path (a
// sampled span of its own and a warn log) runs at a fixed, realistic rate. Customers are new in
// every load run, from a pool of a million: the velocity rule (more than 5 records of a customer
// in 60 s) sees each at most a few times a minute. (They used to repeat across the benchmark's
// phases, and in the half-load phase the rule flagged every record; with a pool of 100,000, a
// 10 s batch run would have started flagging above 50,000 records/s, most records near 100,000.)
const FLAGGED_EVERY = 1000;

/** A valid transaction with a unique id. */
function transaction(): Record<string, unknown> {
  const i = n++;
  return {
    transaction_id: `b-${run}-${i}`,
    timestamp: new Date().toISOString(),
    account_id: `acc-${i % 5000}`,
    customer_id: `cust-${run}-${i % 1_000_000}`,
    amount: i % FLAGGED_EVERY === FLAGGED_EVERY - 1 ? 20_000 : 10 + (i % 900),
    currency: currencies[i % currencies.length],
    transaction_type: 'purchase',
    region: regions[i % regions.length],
    channel: 'web',
  };
}

const path = kind === 'batch' ? '/v1/transactions/batch' : '/v1/transactions';
const body = () => JSON.stringify(kind === 'batch' ? { records: Array.from({ length: BATCH }, transaction) } : transaction());
const perRequest = kind === 'batch' ? BATCH : 1;

if (rate) {
  const latencies: number[] = [];
  let non2xx = 0;
  const result = await pacedLoad({ url, path, body, rate: Number(rate), seconds: Number(seconds), connections: Number(connections) }, (answer) => {
    if (answer.status >= 200 && answer.status < 300) latencies.push(answer.latencyMs);
    else non2xx++;
  });
  latencies.sort((a, b) => a - b);
  if (result.errors) console.error(`load: ${JSON.stringify(result.errorMessages)}`);
  console.log(JSON.stringify({
    requestsPerSecond: latencies.length / Number(seconds),
    recordsPerSecond: (latencies.length * perRequest) / Number(seconds),
    p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
    p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
    non2xx,
    errors: result.errors,
    generatorLateP99Ms: Math.round(result.lateP99Ms * 10) / 10,
  }));
} else {
  const result = await autocannon({
    url,
    connections: Number(connections),
    duration: Number(seconds),
    requests: [{ method: 'POST', path, headers: { 'content-type': 'application/json' }, setupRequest: (request) => ({ ...request, body: body() }) }],
  });
  const ok = result['2xx'];
  console.log(JSON.stringify({
    requestsPerSecond: ok / result.duration,
    recordsPerSecond: (ok * perRequest) / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }));
}
