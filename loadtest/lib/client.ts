// The ingestor's API as the load test calls it: one function per kind of request, each tagging its
// request, declaring the status it expects, checking the answer and reporting which records the
// service stored back to the generator.
import { check } from 'k6';
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import { Counter, Rate } from 'k6/metrics';
import type { GeneratedRecord, RecordGenerator, RecordType, StoredRecord } from './data.ts';
import { answerMatches, singleAnswer, storedMatches, type RecordAnswer } from './verify.ts';

/** Records sent, by `record_type` and `expected` outcome (accepted, duplicate, rejected). */
const recordsSent = new Counter('records_sent');
/** Per record, batches included: was it answered as the generator expected? */
const recordsAsExpected = new Rate('records_as_expected');

export interface Target {
  baseUrl: string;
  headers: Record<string, string>;
}

const PATHS: Record<RecordType, string> = { transaction: '/v1/transactions', claim: '/v1/claims' };

export function postRecord(target: Target, generator: RecordGenerator, record: GeneratedRecord): void {
  const path = PATHS[record.type];
  const res = http.post(`${target.baseUrl}${path}`, JSON.stringify(record.body), {
    headers: target.headers,
    // The expected status is not a failure (an invalid record's 400 is right); any other status is.
    responseCallback: http.expectedStatuses(record.expect.status),
    tags: { name: `POST ${path}`, op: 'single', record_type: record.type, expected_status: String(record.expect.status) },
  });
  const answer = singleAnswer(res.status, parseJson(res));
  const asExpected = answerMatches(record.expect, answer);
  check(res, {
    'single: status as expected': (r) => r.status === record.expect.status,
    'single: outcome, fraud rules and errors as expected': () => asExpected,
  });
  countRecord(record, asExpected);
  if (answer.status === 'accepted') generator.acknowledged(record, rulesOf(answer));
}

export function postBatch(target: Target, generator: RecordGenerator, type: RecordType, records: GeneratedRecord[]): void {
  const path = `${PATHS[type]}/batch`;
  const res = http.post(`${target.baseUrl}${path}`, JSON.stringify({ records: records.map((r) => r.body) }), {
    headers: target.headers,
    responseCallback: http.expectedStatuses(200),
    tags: { name: `POST ${path}`, op: 'batch', record_type: type, expected_status: '200' },
  });
  const body = parseJson(res) as { results?: Array<RecordAnswer & { index?: number }> } | undefined;
  const answers: Array<RecordAnswer | undefined> = [];
  for (const item of body?.results ?? []) if (typeof item.index === 'number') answers[item.index] = item;

  let matching = 0;
  records.forEach((record, index) => {
    const answer = answers[index];
    const asExpected = answer !== undefined && answerMatches(record.expect, answer);
    if (asExpected) matching++;
    countRecord(record, asExpected);
    if (answer?.status === 'accepted') generator.acknowledged(record, rulesOf(answer));
  });
  check(res, {
    'batch: status 200': (r) => r.status === 200,
    'batch: every record answered as expected': () => matching === records.length,
  });
}

export function readBack(target: Target, stored: StoredRecord): void {
  const path = PATHS[stored.type];
  const res = http.get(`${target.baseUrl}${path}/${encodeURIComponent(stored.id)}`, {
    headers: target.headers,
    responseCallback: http.expectedStatuses(200),
    // One name for every id: ids in tags would make a time series per record.
    tags: { name: `GET ${path}/:id`, op: 'read', record_type: stored.type, expected_status: '200' },
  });
  check(res, {
    'read: status 200': (r) => r.status === 200,
    'read: record and fraud rules as stored': (r) => storedMatches(stored.body, stored.fraudRules, parseJson(r)),
  });
}

function countRecord(record: GeneratedRecord, asExpected: boolean): void {
  const tags = { record_type: record.type, expected: record.expect.outcome };
  recordsSent.add(1, tags);
  recordsAsExpected.add(asExpected, tags);
}

function rulesOf(answer: RecordAnswer): string[] {
  const rules = answer.fraud?.rules;
  return Array.isArray(rules) ? (rules as string[]) : [];
}

/** The body as JSON, or undefined (no body after a network error, HTML from a proxy, ...). */
function parseJson(res: RefinedResponse<ResponseType | undefined>): unknown {
  try {
    return typeof res.body === 'string' && res.body.length > 0 ? JSON.parse(res.body) : undefined;
  } catch {
    return undefined;
  }
}
