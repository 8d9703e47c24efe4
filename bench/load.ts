// The load generator, in its own process (bench/run.ts pins it to the other core). Prints one
// JSON line: requests/s, records/s, latency, errors, and the count of each status other than 2xx.
//
//   node bench/load.ts <url> <single|batch> <connections> <seconds> [requests per second] [warm-up seconds]
//
// Without a rate: autocannon, closed loop, as fast as the service answers (throughput).
// With a rate: bench/paced.ts, open loop, evenly spaced arrivals (latency at a given load), after
// the warm-up seconds (default 0) at the same rate, unmeasured.
import autocannon from 'autocannon';
import { pacedLoad, percentile } from './paced.ts';
import { transactions } from './records.ts';

const [url, kind, connections, seconds, rate, warmup] = process.argv.slice(2);
const BATCH = 100;
const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;
const transaction = transactions(run);

const path = kind === 'batch' ? '/v1/transactions/batch' : '/v1/transactions';
const body = () => JSON.stringify(kind === 'batch' ? { records: Array.from({ length: BATCH }, transaction) } : transaction());
const perRequest = kind === 'batch' ? BATCH : 1;

if (rate) {
  const latencies: number[] = [];
  let non2xx = 0;
  const statuses: Record<string, number> = {};
  const result = await pacedLoad({ url, path, body, rate: Number(rate), seconds: Number(seconds), warmupSeconds: Number(warmup ?? 0), connections: Number(connections) }, (answer) => {
    if (answer.status >= 200 && answer.status < 300) latencies.push(answer.latencyMs);
    else {
      non2xx++;
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    }
  });
  latencies.sort((a, b) => a - b);
  if (result.errors) console.error(`load: ${JSON.stringify(result.errorMessages)}`);
  console.log(JSON.stringify({
    requestsPerSecond: latencies.length / Number(seconds),
    recordsPerSecond: (latencies.length * perRequest) / Number(seconds),
    p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
    p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
    non2xx,
    statuses,
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
  const statuses: Record<string, number> = {};
  for (const [status, { count }] of Object.entries(result.statusCodeStats ?? {})) if (!status.startsWith('2')) statuses[status] = count ?? 0;
  console.log(JSON.stringify({
    requestsPerSecond: ok / result.duration,
    recordsPerSecond: (ok * perRequest) / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    statuses,
    errors: result.errors + result.timeouts,
  }));
}
