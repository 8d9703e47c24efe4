// k6 load test of the ingestor: a realistic mix of single and batch POSTs of transactions and
// claims (lib/data.ts) and read-backs, each checked against what the service must answer.
//
//   SCENARIO=smoke|load|stress|spike|soak  BASE_URL=http://localhost:8080  k6 run loadtest/ingest.ts
//
// Usually started through `npm run load:<scenario>` (run.ts); see loadtest/README.md.
import { sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import type { Options } from 'k6/options';
import { postBatch, postRecord, readBack, type Target } from './lib/client.ts';
import { createRecordGenerator, type RecordGenerator, type RecordType } from './lib/data.ts';
import { profileFor } from './lib/scenarios.ts';
import { readSettings, runIdFrom } from './lib/settings.ts';

/** Shares of the iterations; the rest are single POSTs. */
const ITERATION_MIX = { batch: 0.05, read: 0.2 };
/** Of the records: transactions are the bulk of the traffic. */
const TRANSACTION_SHARE = 0.8;
const BATCH_SIZE = { min: 50, max: 200 };

const settings = readSettings(__ENV, Date.now());
const profile = profileFor(settings);

export const options: Options = {
  scenarios: { [settings.scenario]: profile.scenario },
  thresholds: profile.thresholds,
  // testid on every metric; k6 adds the scenario tag itself (the scenario is named after SCENARIO).
  tags: { testid: settings.testid },
  // Without url (a read-back's URL holds the record id: one time series per record) and error
  // (its message repeats the URL); `name` groups the URLs instead, error_code stays.
  systemTags: ['scenario', 'name', 'method', 'status', 'group', 'check', 'error_code', 'expected_response'],
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};

interface SetupData {
  runId: string;
}

export function setup(): SetupData {
  // --duration, --iterations, --stages (or K6_DURATION, ...) replace options.scenarios entirely:
  // refuse, rather than run some other load under this scenario's name and thresholds.
  if (!exec.test.options.scenarios?.[settings.scenario]) {
    exec.test.abort(`the ${settings.scenario} scenario was replaced by --duration/--iterations/--stages ` +
      '(or K6_DURATION/K6_ITERATIONS/K6_STAGES); unset them and choose the load with SCENARIO');
  }
  const ready = http.get(`${settings.baseUrl}/readyz`, { tags: { name: 'GET /readyz', op: 'setup' } });
  if (ready.status !== 200) exec.test.abort(`the ingestor at ${settings.baseUrl} is not ready (GET /readyz: ${ready.status || ready.error})`);
  // testid from the consolidated options: the same in every VU, even when generated here.
  const testid = String(exec.test.options.tags?.testid ?? settings.testid);
  return { runId: runIdFrom(testid, Date.now()) };
}

const target: Target = {
  baseUrl: settings.baseUrl,
  headers: {
    'content-type': 'application/json',
    ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
  },
};

// One generator per VU, made on its first iteration (the VU id is not known in the init context).
let generator: RecordGenerator | undefined;

export default function (data: SetupData): void {
  generator ??= createRecordGenerator({ runId: data.runId, vu: exec.vu.idInTest });
  const type: RecordType = Math.random() < TRANSACTION_SHARE ? 'transaction' : 'claim';
  const draw = Math.random();

  if (draw < ITERATION_MIX.batch) {
    const size = BATCH_SIZE.min + Math.floor(Math.random() * (BATCH_SIZE.max - BATCH_SIZE.min + 1));
    postBatch(target, generator, type, generator.batch(type, size));
  } else {
    // A read-back needs something stored first; until then, a single POST.
    const stored = draw < ITERATION_MIX.batch + ITERATION_MIX.read ? generator.storedRecord(type) : undefined;
    if (stored) readBack(target, stored);
    else postRecord(target, generator, generator.next(type));
  }

  if (profile.pauseSeconds > 0) sleep(profile.pauseSeconds);
}
