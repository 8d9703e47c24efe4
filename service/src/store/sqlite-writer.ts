// The store's writer, in a worker thread: it receives groups of records, writes each in one
// transaction and answers once its COMMIT (one fsync, WAL with synchronous=FULL) has returned.
// The main thread keeps handling requests meanwhile, and the records that arrive during a commit
// make up the next group, so groups grow with load by themselves.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, ROW_COLUMNS } from './sqlite-schema.ts';

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

if (ROW_COLUMNS !== 7) throw new Error(`the writer binds 7 columns per row, the schema has ${ROW_COLUMNS}`);
const db: DatabaseSync = openDatabase(workerData.path as string);
const insert = db.prepare(`INSERT INTO records VALUES (${Array(ROW_COLUMNS).fill('?').join(', ')})`);

parentPort!.on('message', (group: WriteGroup) => {
  const started = performance.now();
  let error: string | undefined;
  try {
    db.exec('BEGIN IMMEDIATE');
    const { values } = group;
    // Seven columns passed one by one: a slice and a spread per row cost an array per row.
    for (let i = 0; i < values.length; i += ROW_COLUMNS) {
      insert.run(values[i], values[i + 1], values[i + 2], values[i + 3], values[i + 4], values[i + 5], values[i + 6]);
    }
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
