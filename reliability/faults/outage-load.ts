// k6 load for reliability/faults/outage.test.ts: single transactions at a constant arrival rate
// (an open model: a slow service shows as latency, not as a lower rate) in four back-to-back
// phases, each its own scenario tagged `phase`: warmup (not measured), baseline, outage,
// recovery. The test breaks and restores the telemetry pipeline on the same clock.
//
// Every request writes one console line, which the test reads (k6 --console-output FILE
// --log-format raw) to compute per-phase percentiles and status counts itself:
//   Q <phase> <epoch ms at the answer> <HTTP status, 0 = no answer> <expected status> <duration ms> [problem detail]
//
//   BASE_URL=... RUN_ID=x RATE=300 WARMUP_S=5 BASELINE_S=20 OUTAGE_S=30 RECOVERY_S=30 k6 run outage-load.ts
import exec from 'k6/execution';
import http from 'k6/http';
import type { Options, Scenario } from 'k6/options';
import { BASE_URL } from './k6-common.ts';
import { faultRecordId, faultTransaction } from './records.ts';

export { setup } from './k6-common.ts';

// k6 has console.log, but @types/k6 does not declare it; this keeps the script checkable with
// k6's types alone (npx tsc -p loadtest style) as well as with the root tsconfig's Node types.
declare const console: { log(...values: unknown[]): void };

const RUN_ID = __ENV.RUN_ID || `run${Date.now().toString(36)}`;
const RATE = Number(__ENV.RATE) || 300;
/** One record in this many is invalid (a negative amount): a 400 and an info log line, as in real traffic. */
const INVALID_EVERY = 50;

const PHASES = [
  ['warmup', Number(__ENV.WARMUP_S) || 5],
  ['baseline', Number(__ENV.BASELINE_S) || 20],
  ['outage', Number(__ENV.OUTAGE_S) || 30],
  ['recovery', Number(__ENV.RECOVERY_S) || 30],
] as const;

function scenarios(): Record<string, Scenario> {
  const out: Record<string, Scenario> = {};
  let start = 0;
  for (const [phase, seconds] of PHASES) {
    out[phase] = {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: `${seconds}s`,
      startTime: `${start}s`,
      // An answer takes a few ms, but the service stalls now and then (a slow fsync blocks its
      // event loop): a third of the rate in ready VUs keeps the rate through a stall of ~300 ms
      // (starting a VU mid-run is slow enough to drop iterations), maxVUs through one of ~1 s.
      preAllocatedVUs: Math.max(10, Math.ceil(RATE / 3)),
      maxVUs: Math.max(50, RATE),
      gracefulStop: '10s',
      tags: { phase },
    };
    start += seconds;
  }
  return out;
}

export const options: Options = {
  scenarios: scenarios(),
  thresholds: {
    // Each request declares its expected status (201, or 400 for an invalid record): no other.
    http_req_failed: ['rate==0'],
    // The load test's steady objective for single POSTs (loadtest/lib/scenarios.ts), per phase;
    // the test itself compares the outage phase with the baseline.
    'http_req_duration{phase:baseline}': ['p(99)<500'],
    'http_req_duration{phase:outage}': ['p(99)<500'],
    'http_req_duration{phase:recovery}': ['p(99)<500'],
    // The rate was kept: no iteration dropped for want of a VU.
    dropped_iterations: ['count==0'],
  },
  summaryTrendStats: ['med', 'p(99)', 'max', 'count'],
};


let sequence = 0;

export default function (): void {
  const phase = exec.scenario.name;
  const n = ++sequence;
  const id = faultRecordId(`${RUN_ID}-${phase}`, exec.vu.idInTest, n);
  const body = faultTransaction(id, Date.now());
  const invalid = n % INVALID_EVERY === 0;
  if (invalid) body.amount = -1;
  const expected = invalid ? 400 : 201;
  const res = http.post(`${BASE_URL}/v1/transactions`, JSON.stringify(body), {
    headers: { 'content-type': 'application/json' },
    timeout: '10s',
    responseCallback: http.expectedStatuses(expected),
  });
  // An unexpected answer carries its problem detail (a 503 says why it shed the request).
  const detail = res.status !== expected && res.status > 0 ? ` ${problemDetail(res.body)}` : '';
  console.log(`Q ${phase} ${Date.now()} ${res.status} ${expected} ${res.timings.duration.toFixed(3)}${detail}`);
}

function problemDetail(body: unknown): string {
  try {
    return String((JSON.parse(String(body)) as { detail?: unknown }).detail ?? '').replace(/\s+/g, ' ');
  } catch {
    return String(body).slice(0, 80).replace(/\s+/g, ' ');
  }
}
