// The store's writer, in a worker thread: it receives groups of records, writes each in one
// transaction and answers once its COMMIT (one fsync, WAL with synchronous=FULL) has returned.
// The main thread keeps handling requests meanwhile, and the records that arrive during a commit
// make up the next group, so groups grow with load by themselves.
//
// Checkpoints are the writer's own, before a group's transaction: SQLite's automatic one ran inside
// the COMMIT, while the main thread's read of that turn was open (sqlite-store.ts shares one per
// turn), so it could copy back only what that read's older snapshot allowed, the WAL never became
// free to start over, and under steady load it grew without bound (tens of MB a second). The main
// thread ends its read before it sends a group, so a RESTART checkpoint here usually finds no
// reader (busy_timeout waits for one that has just begun, at most one turn of the event loop), and
// the next transaction writes the WAL from its start again. journal_size_limit trims a WAL that a
// large group grew; in place, the file's size stays put and its fsyncs need no metadata (TRUNCATE,
// which empties it each time, cost 6% of batch throughput).
import { statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { rowInserter } from './row-insert.ts';
import { openDatabase } from './sqlite-schema.ts';

export interface WriteGroup {
  id: number;
  /** The records' columns, ROW_COLUMNS values per record, flat: cheap to copy between threads. */
  values: Array<string | number>;
}

export interface GroupWritten {
  id: number;
  seconds: number;
  error?: string;
}

const db: DatabaseSync = openDatabase(workerData.path as string);
const insertRows = rowInserter(db);
/** SQLite's automatic checkpoint threshold (1,000 pages of 4 KiB); also the size the WAL is trimmed to. */
const CHECKPOINT_WAL_BYTES = 4 * 1024 * 1024;
db.exec(`PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = ${CHECKPOINT_WAL_BYTES}`);
const checkpoint = db.prepare('PRAGMA wal_checkpoint(RESTART)');
const walPath = `${workerData.path as string}-wal`;

parentPort!.on('message', (group: WriteGroup) => {
  const started = performance.now();
  let error: string | undefined;
  if ((statSync(walPath, { throwIfNoEntry: false })?.size ?? 0) > CHECKPOINT_WAL_BYTES) {
    try {
      checkpoint.get(); // busy (a reader held on) leaves the WAL as it is; the next group tries again
    } catch {
      // Not fatal: the records are committed to the WAL either way, and this group's COMMIT says
      // whether the database can still be written.
    }
  }
  try {
    db.exec('BEGIN IMMEDIATE');
    insertRows(group.values);
    db.exec('COMMIT');
  } catch (cause) {
    error = cause instanceof Error ? cause.message : String(cause);
    try {
      db.exec('ROLLBACK');
    } catch {
      // nothing to roll back: BEGIN itself failed
    }
  }
  parentPort!.postMessage({ id: group.id, seconds: (performance.now() - started) / 1000, error } satisfies GroupWritten);
});
