// Load generator of the overload test, in its own process (the test pins it to the other core):
// POSTs of batches of unique transactions, every answer classified, and the latency of accepted
// batches kept apart from that of refused ones. Prints one JSON line.
//
//   node reliability/faults/batch-load.ts <url> capacity <connections> <seconds>
//     closed loop (autocannon): as fast as the service answers, to measure its capacity;
//   node reliability/faults/batch-load.ts <url> paced <batches per second> <seconds> <connections>
//     open loop (bench/paced.ts): evenly spaced arrivals whatever the answers do, for overload.
import autocannon from 'autocannon';
import { pacedLoad, percentile } from '../../bench/paced.ts';

export interface BatchLoadResult {
  seconds: number;
  /** Batches answered 200 with every record accepted. */
  accepted: number;
  acceptedLatencyMs: { p50: number; p99: number; max: number };
  /** 503 answers; those without Retry-After or a problem+json body are counted apart. */
  shed: number;
  shedWithoutRetryAfter: number;
  /** 503s by the reason their problem gives ("too many request bytes in flight", "event loop lagging", ...). */
  shedReasons: Record<string, number>;
  shedLatencyMs: { p50: number; p99: number };
  /** Any other answer, by status (a 200 with a record not accepted counts as "200-partial"). */
  unexpected: Record<string, number>;
  /** Requests without an answer (connection errors, timeouts): a crashed or hung service shows here. */
  errors: number;
  /** Open loop only: p99 and max latency of the accepted batches due in each second of the run. */
  acceptedBySecond?: Array<{ p99: number; max: number }>;
}

export const BATCH_SIZE = 100;

function batchBody(run: string): () => string {
  let batch = 0;
  return () => {
    const b = batch++;
    return JSON.stringify({
      records: Array.from({ length: BATCH_SIZE }, (_, i) => ({
        transaction_id: `ovl-${run}-${b}-${i}`,
        timestamp: new Date().toISOString(),
        account_id: `acc-${i}`,
        customer_id: `cust-${run}-${b}-${i}`, // one record per customer: the velocity rule stays quiet
        amount: 10 + i,
        currency: 'EUR',
        transaction_type: 'purchase',
        region: 'eu',
      })),
    });
  };
}

class Tally {
  readonly accepted: number[] = [];
  /** Accepted latencies by the second they were due in (open loop). */
  readonly bySecond: number[][] = [];
  readonly shed: number[] = [];
  readonly unexpected: Record<string, number> = {};
  readonly shedReasons: Record<string, number> = {};
  shedWithoutRetryAfter = 0;

  add(status: number, body: string, headers: Record<string, unknown>, latencyMs: number, dueMs?: number): void {
    if (status === 200 && body.startsWith(`{"summary":{"accepted":${BATCH_SIZE},`)) {
      this.accepted.push(latencyMs);
      if (dueMs !== undefined) (this.bySecond[Math.floor(dueMs / 1000)] ??= []).push(latencyMs);
    }
    else if (status === 503) {
      if (!(Number(headers['retry-after']) > 0) || !String(headers['content-type']).startsWith('application/problem+json')) this.shedWithoutRetryAfter++;
      this.shed.push(latencyMs);
      const reason = /overloaded \(([^)]*)\)/.exec(body)?.[1] ?? 'no reason given';
      this.shedReasons[reason] = (this.shedReasons[reason] ?? 0) + 1;
    } else {
      const key = status === 200 ? '200-partial' : String(status);
      this.unexpected[key] = (this.unexpected[key] ?? 0) + 1;
    }
  }

  result(seconds: number, errors: number): BatchLoadResult {
    const accepted = [...this.accepted].sort((a, b) => a - b);
    const shed = [...this.shed].sort((a, b) => a - b);
    const ms = (x: number) => Math.round(x * 10) / 10;
    return {
      seconds,
      accepted: accepted.length,
      acceptedLatencyMs: { p50: ms(percentile(accepted, 50)), p99: ms(percentile(accepted, 99)), max: ms(accepted.at(-1) ?? NaN) },
      shed: shed.length,
      shedWithoutRetryAfter: this.shedWithoutRetryAfter,
      shedReasons: this.shedReasons,
      shedLatencyMs: { p50: ms(percentile(shed, 50)), p99: ms(percentile(shed, 99)) },
      unexpected: this.unexpected,
      errors,
      ...(this.bySecond.length ? {
        acceptedBySecond: Array.from(this.bySecond, (l = []) => {
          const sorted = [...l].sort((a, b) => a - b);
          return { p99: ms(percentile(sorted, 99)), max: ms(sorted.at(-1) ?? NaN) };
        }),
      } : {}),
    };
  }
}

async function closedLoop(url: string, connections: number, seconds: number): Promise<BatchLoadResult> {
  const tally = new Tally();
  const body = batchBody(`${process.pid.toString(36)}${Date.now().toString(36)}`);
  // onResponse classifies an answer; the 'response' event right after it carries its latency.
  let last: { status: number; body: string; headers: Record<string, unknown> } | undefined;
  let finish!: (result: autocannon.Result) => void;
  const finished = new Promise<autocannon.Result>((resolve) => (finish = resolve));
  // The callback form returns the instance, whose 'response' events carry each latency.
  const instance = autocannon({
    url: `${url}/v1/transactions/batch`, connections, duration: seconds, timeout: 30,
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => ({ ...request, body: body() }),
      onResponse: (status, responseBody, _context, headers) => { last = { status, body: responseBody, headers: headers as Record<string, unknown> }; },
    }],
  }, (error, result) => {
    if (error) throw error;
    finish(result);
  });
  instance.on('response', (_client, _status, _bytes, latencyMs) => {
    if (last) tally.add(last.status, last.body, last.headers, latencyMs);
    last = undefined;
  });
  const result = await finished;
  return tally.result(result.duration, result.errors + result.timeouts);
}

async function openLoop(url: string, rate: number, seconds: number, connections: number): Promise<BatchLoadResult> {
  const tally = new Tally();
  const body = batchBody(`${process.pid.toString(36)}${Date.now().toString(36)}`);
  const result = await pacedLoad({ url, path: '/v1/transactions/batch', body, rate, seconds, connections },
    (a) => tally.add(a.status, a.body, a.headers, a.latencyMs, a.dueMs));
  if (result.errors) console.error(`batch-load: ${JSON.stringify(result.errorMessages)}`);
  return tally.result(seconds, result.errors);
}

if (import.meta.main) {
  const [url, mode, ...args] = process.argv.slice(2);
  const n = args.map(Number);
  const result = mode === 'capacity' ? await closedLoop(url, n[0], n[1]) : await openLoop(url, n[0], n[1], n[2]);
  console.log(JSON.stringify(result));
}
