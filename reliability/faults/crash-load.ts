// k6 load for reliability/faults/crash.test.ts: VUS writers post single transactions and batches
// with unique ids (records.ts) while the test kills and restarts the ingestor. A request that
// fails without an answer (the service is down) is retried with the same records after a short
// pause, as a real client would: a record committed before the crash must then come back 200
// `duplicate`. 503 (overloaded) is retried too.
//
// Every request attempt writes one console line, which the test reads (k6 --console-output FILE
// --log-format raw):
//   R <epoch ms> <single|batch> <HTTP status, 0 = no answer> <attempt> <error_code> <id>=<o> ...
// where <o> is the record's outcome: a accepted, d duplicate, r rejected, c conflict, - no answer.
//
//   BASE_URL=http://127.0.0.1:18300 RUN_ID=x BASE_MS=<epoch ms> VUS=6 DURATION_S=16 k6 run crash-load.ts
import { sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import type { Options } from 'k6/options';
import { BASE_URL } from './k6-common.ts';
import { faultRecordId, faultTransaction } from './records.ts';

export { setup } from './k6-common.ts';

// k6 has console.log, but @types/k6 does not declare it; this keeps the script checkable with
// k6's types alone (npx tsc -p loadtest style) as well as with the root tsconfig's Node types.
declare const console: { log(...values: unknown[]): void };

const RUN_ID = __ENV.RUN_ID || `run${Date.now().toString(36)}`;
const BASE_MS = Number(__ENV.BASE_MS) || Date.now();
const VUS = Number(__ENV.VUS) || 6;
const DURATION_S = Number(__ENV.DURATION_S) || 16;
/** Every ITERATIONS_PER_BATCH-th iteration of a VU posts a batch, the others one record. */
const ITERATIONS_PER_BATCH = 4;
const BATCH_SIZE = { min: 10, max: 50 };
const RETRY_PAUSE_S = 0.2;

/** Answers that are neither a 2xx with every record accepted or duplicate, nor "no answer" or 503. */
const unexpectedAnswers = new Counter('fault_unexpected_answers');
const connectionErrors = new Counter('fault_connection_errors');

export const options: Options = {
  scenarios: {
    writers: { executor: 'constant-vus', vus: VUS, duration: `${DURATION_S}s`, gracefulStop: '20s' },
  },
  thresholds: {
    // A crash may cost answers (connection errors), never a wrong one.
    fault_unexpected_answers: ['count==0'],
  },
  summaryTrendStats: ['med', 'p(99)', 'max'],
};


let sequence = 0;

export default function (): void {
  const vu = exec.vu.idInTest;
  const batch = exec.vu.iterationInScenario % ITERATIONS_PER_BATCH === 0;
  const size = batch ? BATCH_SIZE.min + ((exec.vu.iterationInScenario / ITERATIONS_PER_BATCH) * 7) % (BATCH_SIZE.max - BATCH_SIZE.min + 1) : 1;
  const ids = Array.from({ length: size }, () => faultRecordId(RUN_ID, vu, ++sequence));
  const bodies = ids.map((id) => faultTransaction(id, BASE_MS));
  const op = batch ? 'batch' : 'single';
  const url = `${BASE_URL}/v1/transactions${batch ? '/batch' : ''}`;
  const payload = JSON.stringify(batch ? { records: bodies } : bodies[0]);
  // Retries stop at the end of the scenario (well inside gracefulStop): what is still unanswered
  // then stays unacknowledged.
  const retryUntil = exec.scenario.startTime + DURATION_S * 1000;

  for (let attempt = 0; ; attempt++) {
    const res = http.post(url, payload, {
      headers: { 'content-type': 'application/json' },
      timeout: '5s',
      tags: { op },
      responseCallback: http.expectedStatuses(200, 201),
    });
    const outcomes = ids.map(() => '-');
    if (res.status >= 200 && res.status < 300) {
      const body = res.json() as { status?: string; results?: Array<{ index: number; status: string }> };
      if (batch) for (const item of body.results ?? []) outcomes[item.index] = item.status[0];
      else outcomes[0] = String(body.status)[0];
    }
    console.log(`R ${Date.now()} ${op} ${res.status} ${attempt} ${res.error_code} ${ids.map((id, i) => `${id}=${outcomes[i]}`).join(' ')}`);

    const noAnswer = res.status === 0;
    if (noAnswer) connectionErrors.add(1);
    if (noAnswer || res.status === 503) {
      if (Date.now() >= retryUntil) return;
      sleep(RETRY_PAUSE_S);
      continue;
    }
    if (res.status >= 300 || outcomes.some((o) => o !== 'a' && o !== 'd')) unexpectedAnswers.add(1);
    return;
  }
}
