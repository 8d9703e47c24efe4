// Where a batch record's time goes: each stage of the ingest pipeline run alone, in this process,
// on the same 100-record batches the load generator sends, and the SQLite store's insert rate
// with and without its fsync. The sum is the ceiling of batch ingest on one core, before HTTP,
// telemetry and the thread hand-off; `npm run bench` measures the whole service against it.
//
//   npm run bench:stages   (npm run bench runs it first, pinned to core 0, and reports it)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import sjson from 'secure-json-parse';
import { loadConfig } from '../service/src/config.ts';
import { scoreTransaction } from '../service/src/fraud/rules.ts';
import { velocityWindowFor } from '../service/src/fraud/velocity.ts';
import { canonicalJson, transactionKind } from '../service/src/ingest/kinds.ts';
import { dateTimeMs } from '../service/src/ingest/timestamp.ts';
import { createValidator } from '../service/src/ingest/validate.ts';
import { rowInserter } from '../service/src/store/row-insert.ts';
import { openDatabase, ROW_COLUMNS } from '../service/src/store/sqlite-schema.ts';
import { SqliteStore } from '../service/src/store/sqlite-store.ts';
import { syncLatency } from './disk.ts';
import { median } from './paired.ts';
import { transactions } from './records.ts';

const BATCH = 100;
const BATCHES = Number(process.env.STAGES_BATCHES ?? 400);
const ROUNDS = 5;
const transaction = transactions(`stages-${process.pid}`);

const bodies = Array.from({ length: BATCHES }, () => JSON.stringify({ records: Array.from({ length: BATCH }, transaction) }));
const parsed = bodies.map((body) => (sjson.parse(body) as { records: Record<string, unknown>[] }).records);
const config = loadConfig({});
const validate = createValidator(transactionKind);

/** µs per record of `stage` over all batches, median of ROUNDS rounds. */
function measure(stage: (records: Record<string, unknown>[], b: number) => void): number {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    for (let b = 0; b < BATCHES; b++) stage(parsed[b], b);
    rounds.push(((performance.now() - started) * 1000) / (BATCHES * BATCH));
  }
  return median(rounds);
}

const stages: Array<[string, number]> = [];
stages.push(['JSON parse (secure-json-parse, as Fastify)', measure((_, b) => sjson.parse(bodies[b]))]);
stages.push(['validate (Ajv schema + currency + dates)', measure((records) => { for (const r of records) validate(r); })]);
stages.push(['canonical JSON (the stored payload)', measure((records) => { for (const r of records) canonicalJson(transactionKind, r); })]);
// A new window each round: every customer is new to it, as in the load generator's runs. The
// timestamps are parsed beforehand: in the service, validation parses them (the validate stage).
const timestamps = parsed.map((records) => records.map((r) => dateTimeMs(r.timestamp as string)));
let velocity = velocityWindowFor(config.fraud);
stages.push(['fraud rules + velocity window', measure((records, b) => {
  if (b === 0) velocity = velocityWindowFor(config.fraud);
  records.forEach((r, i) => scoreTransaction(r as never, config.fraud, velocity.observe(r.customer_id as string, timestamps[b][i])));
})]);

// The store's INSERTs in the writer's way (one transaction per group, multi-row statements,
// service/src/store/row-insert.ts), without and with the fsync of synchronous=FULL; and, for the
// side-by-side figure, one prepared statement run per row, as the writer did before.
function insertRate(synchronous: 'OFF' | 'FULL', way: 'chunks' | 'per-row' = 'chunks'): number {
  const dir = mkdtempSync(join(tmpdir(), 'stages-'));
  try {
    const db = openDatabase(join(dir, 'records.db'));
    db.exec(`PRAGMA synchronous = ${synchronous}`);
    const insertRows = rowInserter(db);
    const insertOne = db.prepare(`INSERT INTO records VALUES (${Array(ROW_COLUMNS).fill('?').join(', ')})`);
    // The rows are built before the clock starts: only the inserts and commits are timed.
    const receivedAt = new Date().toISOString();
    const rows = parsed.map((records) => records.map((r) => [r.customer_id as string, dateTimeMs(r.timestamp as string), canonicalJson(transactionKind, r)] as const));
    let id = 0;
    const round = (): number => {
      const groups = rows.map((batch) => batch.flatMap(([customerId, timestampMs, payload]) => ['transaction', `r-${id++}`, customerId, timestampMs, payload, '[]', receivedAt]));
      const started = performance.now();
      for (const values of groups) {
        db.exec('BEGIN IMMEDIATE');
        if (way === 'chunks') insertRows(values);
        else for (let i = 0; i < values.length; i += ROW_COLUMNS) insertOne.run(values[i], values[i + 1], values[i + 2], values[i + 3], values[i + 4], values[i + 5], values[i + 6]);
        db.exec('COMMIT');
      }
      return ((performance.now() - started) * 1000) / (BATCHES * BATCH);
    };
    const rounds = Array.from({ length: ROUNDS }, round);
    db.close();
    return median(rounds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
stages.push(['SQLite insert, 100 rows per transaction, no fsync', insertRate('OFF')]);
const perRow = insertRate('OFF', 'per-row');
const withFsync = insertRate('FULL');

// The idempotency lookup of a batch against a store holding the rows inserted so far.
const dir = mkdtempSync(join(tmpdir(), 'stages-store-'));
const store = new SqliteStore({ dataDir: dir });
try {
  for (const records of parsed.slice(0, 50)) {
    await store.add(records.map((r) => ({
      type: 'transaction', id: r.transaction_id as string, customerId: r.customer_id as string,
      timestampMs: dateTimeMs(r.timestamp as string), payload: canonicalJson(transactionKind, r), fraudRules: [], receivedAt: new Date().toISOString(),
    })));
  }
  stages.push(['idempotency lookup (findMany, 100 ids)', measure((records) => { store.findMany('transaction', records.map((r) => r.transaction_id as string)); })]);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

// The velocity window's memory at its cap, where a long batch run keeps it: live heap before and
// after 100,000 customers seen once each, with full collections around, and its typed arrays
// (outside the heap, allocated at construction).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
gc();
const heapBefore = process.memoryUsage().heapUsed;
const window = velocityWindowFor(config.fraud);
for (let i = 0; i < 100_000; i++) window.observe(`cust-${process.pid}-${i}`, Date.now());
gc();
const windowMiB = Math.max(0, process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
const windowTypedMiB = window.bytes / 2 ** 20;
window.observe('still-used', Date.now()); // keeps the window alive through the measurement

// The disk's floor under a durable request, in the directory the benchmark's services write to.
const disk = syncLatency(tmpdir(), 3);

const total = stages.reduce((sum, [, us]) => sum + us, 0);
console.log('| stage | µs per record |');
console.log('|---|---|');
for (const [name, us] of stages) console.log(`| ${name} | ${us.toFixed(2)} |`);
console.log(`| **sum** | **${total.toFixed(2)}** |`);
console.log(`\n- ceiling of these stages on one core: ${Math.round(1e6 / total)} records/s`);
console.log(`- velocity window at its cap of 100,000 customers: ${windowMiB.toFixed(1)} MiB of heap, ${windowTypedMiB.toFixed(1)} MiB of typed arrays`);
console.log(`- the disk under the store (${tmpdir()}): fdatasync after a 4 KiB append, p50 ${disk.p50Ms} ms, p99 ${disk.p99Ms} ms, max ${disk.maxMs} ms over ${disk.syncs} syncs in 3 s (bench/disk.ts)`);
console.log(`- SQLite insert with one statement run per row instead of multi-row statements (the writer before 2026-11-24, no fsync): ${perRow.toFixed(2)} µs per record, ${(perRow / stages.find(([name]) => name.startsWith('SQLite'))![1]).toFixed(2)} times the multi-row figure above`);
console.log(`- SQLite insert with synchronous=FULL (one fsync per 100-row transaction): ${withFsync.toFixed(2)} µs per record, ${Math.round(1e6 / withFsync)} records/s alone`);
