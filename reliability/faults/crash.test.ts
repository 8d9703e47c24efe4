// Crash under load: k6 writers post single transactions and batches to the real ingestor process
// while the test SIGKILLs it, waits, and restarts it on the same port and DATA_DIR. The writers
// retry what got no answer with the same ids (crash-load.ts). Afterwards the SQLite file is read
// directly: every record acknowledged with a 2xx is there, with exactly the payload sent, none is
// stored twice, and a re-send of a stored record is answered 200 `duplicate`.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, it } from 'node:test';
import { startServiceProcess, type RunningService } from '../../service/test/process.ts';
import { startIngestor, type Ingestor } from '../service.ts';
import { runK6, sleep, type K6Run } from './helpers.ts';
import { faultTransaction } from './records.ts';

const RUN_ID = `crash${Date.now().toString(36)}`;
const BASE_MS = Date.now();
const VUS = 6;
const DURATION_S = 16;
/** The kill comes this long after the first acknowledgement, and once this many records are acknowledged. */
const KILL_AFTER_MS = 4_000;
const KILL_AFTER_ACKS = 500;
/** Down time between the kill and the restart. */
const DOWN_MS = 1_500;

const work = mkdtempSync(join(tmpdir(), 'faults-crash-'));
let first: Ingestor | undefined;
let second: RunningService | undefined;
let k6: K6Run | undefined;

after(async () => {
  const end = async (child: RunningService['child'] | undefined, signal: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  await end(k6?.child, 'SIGKILL');
  await end(second?.child, 'SIGTERM');
  await end(first?.child, 'SIGKILL');
  if (first) rmSync(first.dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

interface RequestLine {
  at: number;
  op: 'single' | 'batch';
  status: number;
  attempt: number;
  errorCode: string;
  records: Array<[id: string, outcome: string]>;
}

function parseLine(line: string): RequestLine {
  const [tag, at, op, status, attempt, errorCode, ...records] = line.split(' ');
  assert.equal(tag, 'R', `unexpected k6 console line: ${line.slice(0, 200)}`);
  return {
    at: Number(at),
    op: op as RequestLine['op'],
    status: Number(status),
    attempt: Number(attempt),
    errorCode,
    records: records.map((r) => {
      const eq = r.lastIndexOf('=');
      return [r.slice(0, eq), r.slice(eq + 1)];
    }),
  };
}

it('keeps every acknowledged record through a SIGKILL under k6 load, and stores none twice', async () => {
  first = await startIngestor({}, 18300);
  const port = new URL(first.url).port;
  const consoleFile = join(work, 'k6-console.log');
  k6 = runK6('./crash-load.ts', { BASE_URL: first.url, RUN_ID, BASE_MS: String(BASE_MS), VUS: String(VUS), DURATION_S: String(DURATION_S) }, consoleFile);

  const requests: RequestLine[] = [];
  let acked = 0;
  let firstAckAt = 0;
  const consume = () => {
    for (const line of k6!.newLines()) {
      const request = parseLine(line);
      requests.push(request);
      if (request.status >= 200 && request.status < 300) {
        acked += request.records.filter(([, o]) => o === 'a' || o === 'd').length;
        firstAckAt ||= request.at;
      }
    }
  };

  const k6StartedAt = await k6.started();
  const waitDeadline = Date.now() + 30_000;
  for (;;) {
    consume();
    if (firstAckAt && Date.now() - firstAckAt >= KILL_AFTER_MS && acked >= KILL_AFTER_ACKS) break;
    assert.ok(Date.now() < waitDeadline, `no load to crash under: ${acked} records acknowledged in 30 s\n${k6.output().slice(-2000)}`);
    await sleep(50);
  }

  const exited = once(first.child, 'exit');
  const killAt = Date.now();
  first.child.kill('SIGKILL');
  await exited;
  assert.equal(first.child.signalCode, 'SIGKILL', 'the first ingestor died of the SIGKILL');
  await sleep(DOWN_MS);
  const restartAt = Date.now();
  second = await startServiceProcess({ DATA_DIR: first.dataDir, PORT: port, OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'warn' });
  const restartReadyAt = Date.now();

  const k6Code = await k6.exited;
  consume();

  // What k6 saw, per record and per request.
  const sent = new Set<string>();
  const ackedIds = new Map<string, { at: number; outcome: string; attempt: number }>();
  const statuses = { '2xx': 0, '4xx': 0, '5xx': 0, '503': 0, connectionError: 0, other: 0 };
  const errorCodes = new Map<string, number>();
  let unexpected = 0;
  for (const r of requests) {
    for (const [id] of r.records) sent.add(id);
    if (r.status === 0) {
      statuses.connectionError++;
      errorCodes.set(r.errorCode, (errorCodes.get(r.errorCode) ?? 0) + 1);
    } else if (r.status >= 200 && r.status < 300) statuses['2xx']++;
    else if (r.status >= 400 && r.status < 500) statuses['4xx']++;
    else if (r.status >= 500) {
      statuses['5xx']++;
      if (r.status === 503) statuses['503']++;
    } else statuses.other++;
    if (r.status >= 200 && r.status < 300) {
      for (const [id, outcome] of r.records) {
        if (outcome === 'a' || outcome === 'd') {
          assert.ok(!ackedIds.has(id) || outcome === 'd', `${id} acknowledged as accepted twice`);
          if (!ackedIds.has(id)) ackedIds.set(id, { at: r.at, outcome, attempt: r.attempt });
        } else unexpected++;
      }
    }
  }
  const retriedAsDuplicate = [...ackedIds.values()].filter((a) => a.outcome === 'd').length;
  const acksBeforeKill = [...ackedIds.values()].filter((a) => a.at < killAt).length;
  const acksAfterRestart = [...ackedIds.values()].filter((a) => a.at > restartAt).length;
  const errorsWhileDown = requests.filter((r) => r.status === 0 && r.at >= killAt && r.at <= restartReadyAt).length;

  // Read back through the API: a sample from before the kill, after the restart, and the retries.
  const before = [...ackedIds].filter(([, a]) => a.at < killAt);
  const afterRestart = [...ackedIds].filter(([, a]) => a.at > restartAt);
  const duplicates = [...ackedIds].filter(([, a]) => a.outcome === 'd');
  const spot = [...before.slice(0, 15), ...before.slice(-15), ...afterRestart.slice(0, 10), ...afterRestart.slice(-10), ...duplicates.slice(0, 10)].map(([id]) => id);
  for (const id of spot) {
    const res = await fetch(`${second.url}/v1/transactions/${encodeURIComponent(id)}`);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, `GET ${id}: ${JSON.stringify(body)}`);
    const { fraud, received_at: receivedAt, ...record } = body;
    assert.deepEqual(record, faultTransaction(id, BASE_MS), `GET ${id} returns what was sent`);
    assert.equal((fraud as { flagged: boolean }).flagged, false, `GET ${id}: fraud result`);
    assert.ok(!Number.isNaN(Date.parse(String(receivedAt))), `GET ${id}: received_at`);
  }

  // An idempotent retry of stored records, singly and in a batch: 200 duplicate, nothing stored.
  const dbPath = join(first.dataDir, 'ingest.sqlite');
  const countRows = () => {
    const db = new DatabaseSync(dbPath, { readOnly: true });
    try {
      return Number((db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n);
    } finally {
      db.close();
    }
  };
  const rowsBeforeResend = countRows();
  const resend = [...before.slice(0, 10), ...afterRestart.slice(0, 10)].map(([id]) => id);
  for (const id of resend) {
    const res = await fetch(`${second.url}/v1/transactions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faultTransaction(id, BASE_MS)),
    });
    const body = (await res.json()) as { status: string; id: string };
    assert.equal(res.status, 200, `re-sent ${id}: ${JSON.stringify(body)}`);
    assert.deepEqual([body.status, body.id], ['duplicate', id], `re-sent ${id}`);
  }
  const batchIds = before.slice(-30).map(([id]) => id);
  const batchRes = await fetch(`${second.url}/v1/transactions/batch`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: batchIds.map((id) => faultTransaction(id, BASE_MS)) }),
  });
  const batchBody = (await batchRes.json()) as { summary: Record<string, number> };
  assert.equal(batchRes.status, 200);
  assert.deepEqual(batchBody.summary, { accepted: 0, duplicate: batchIds.length, rejected: 0, conflict: 0 }, 're-sent batch');
  assert.equal(countRows(), rowsBeforeResend, 're-sending stored records stored nothing');

  // A clean shutdown of the restarted service, then the file itself.
  const secondExit = once(second.child, 'exit');
  second.child.kill('SIGTERM');
  const [secondCode] = await secondExit;
  const errorLogs = second.output().split('\n').filter((line) => /"level":(50|60)/.test(line));

  const db = new DatabaseSync(dbPath, { readOnly: true });
  const rows = db.prepare('SELECT record_type, id, payload FROM records').all() as Array<{ record_type: string; id: string; payload: string }>;
  const sameKey = Number((db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM records GROUP BY record_type, id HAVING count(*) > 1)').get() as { n: number }).n);
  const samePayload = Number((db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM records GROUP BY payload HAVING count(*) > 1)').get() as { n: number }).n);
  db.close();

  const stored = new Map(rows.map((r) => [r.id, r]));
  const missing = [...ackedIds.keys()].filter((id) => !stored.has(id));
  const wrongPayload = rows.filter((r) => r.record_type !== 'transaction' || r.payload !== JSON.stringify(faultTransaction(r.id, BASE_MS)));
  const neverSent = rows.filter((r) => !sent.has(r.id));
  const committedUnacknowledged = rows.filter((r) => !ackedIds.has(r.id)).length;
  const storedTwice = sameKey + samePayload;

  console.log(
    `crash: sent ${sent.size} records in ${requests.length} requests, acknowledged ${ackedIds.size} ` +
    `(${acksBeforeKill} before the kill, ${acksAfterRestart} after the restart, ${retriedAsDuplicate} as duplicate on a retry), ` +
    `stored ${rows.length}, missing ${missing.length}, stored twice ${storedTwice}, wrong payload ${wrongPayload.length}, ` +
    `committed but unacknowledged ${committedUnacknowledged}; requests 2xx ${statuses['2xx']} / 4xx ${statuses['4xx']} / ` +
    `5xx ${statuses['5xx']} (503: ${statuses['503']}) / connection error ${statuses.connectionError} ` +
    `(k6 error codes ${JSON.stringify(Object.fromEntries(errorCodes))}; ${errorsWhileDown} while down); ` +
    `kill at +${((killAt - k6StartedAt) / 1000).toFixed(1)} s of the k6 run, down ${((restartAt - killAt) / 1000).toFixed(1)} s, ` +
    `restarted and ready in ${((restartReadyAt - restartAt) / 1000).toFixed(1)} s, k6 ran ${DURATION_S} s with ${VUS} VUs`,
  );

  assert.equal(k6Code, 0, `k6 failed (a threshold: an unexpected answer):\n${k6.output().slice(-3000)}`);
  // The crash happened under load: answers before it, after the restart, and failed requests between.
  assert.ok(acksBeforeKill >= KILL_AFTER_ACKS, `${acksBeforeKill} acknowledgements before the kill`);
  assert.ok(acksAfterRestart > 0, 'no acknowledgement after the restart: the load ended before it');
  assert.ok(statuses.connectionError > 0 && errorsWhileDown > 0, 'no connection error: the kill did not hit the load');
  // Every answer was right: 2xx with each record accepted or duplicate, or no answer, or 503 (retried).
  assert.equal(unexpected, 0, 'records in a 2xx answer neither accepted nor duplicate');
  assert.equal(statuses['4xx'], 0, '4xx answers');
  assert.equal(statuses['5xx'] - statuses['503'], 0, '5xx answers other than 503');
  assert.equal(statuses.other, 0, 'answers outside 2xx/4xx/5xx');
  // The durability claims.
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged records missing`);
  assert.equal(storedTwice, 0, 'a record stored twice (same key, or the same payload under two keys)');
  assert.deepEqual(wrongPayload.slice(0, 3).map((r) => r.id), [], `${wrongPayload.length} stored payloads differ from what was sent`);
  assert.deepEqual(neverSent.slice(0, 3).map((r) => r.id), [], 'stored records that k6 never sent');
  assert.ok(rows.length >= ackedIds.size);
  assert.equal(secondCode, 0, `the restarted service did not exit cleanly:\n${second.output().slice(-2000)}`);
  assert.deepEqual(errorLogs, [], 'the restarted service logged errors');
});
