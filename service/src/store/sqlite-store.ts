// SQLite store with group commit in a worker thread. Requests add records to a queue; whenever the
// writer (sqlite-writer.ts) is free, everything queued goes to it as one group, written in one
// transaction whose one fsync (WAL, synchronous=FULL) acknowledges them all. While it commits, the
// main thread goes on handling requests and the next group gathers: under load, groups grow by
// themselves, and the event loop never waits for the disk.
//
// Reads (idempotency lookups, GET) use the main thread's own connection: WAL lets it read what is
// committed while the writer writes, and records still in the queue or in the group being
// committed are found in the pending indexes (`queuedById`, `writingById`), so a lookup never
// misses an accepted record. The reads of one turn of the event loop share one read transaction
// (`openRead`): each transaction of its own took two fcntl locks and an fstat, about 3 of the 4 µs
// a single-record lookup cost.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type DatabaseSync, type StatementSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import type { RecordType } from '../ingest/kinds.ts';
import { siblingModule } from '../sibling-module.ts';
import { openDatabase } from './sqlite-schema.ts';
import type { GroupWritten, WriteGroup } from './sqlite-writer.ts';
import type { CommitObserver, RecordStore, StoredRecord } from './store.ts';

interface Pending {
  record: StoredRecord;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Records not committed yet, by type and id; per type, so that a lookup needs no key built from type and id (a string per record). */
type PendingIndex = Record<RecordType, Map<string, StoredRecord>>;
const pendingIndex = (): PendingIndex => ({ transaction: new Map(), claim: new Map() });
function indexRecords(items: readonly Pending[]): PendingIndex {
  const index = pendingIndex();
  for (const { record } of items) index[record.type].set(record.id, record);
  return index;
}

export interface SqliteStoreOptions {
  dataDir: string;
  /** 0 sends a group to an idle writer on the next turn of the event loop; more waits that long. */
  commitMaxDelayMs?: number;
  /** The largest group the writer gets at once. */
  commitMaxRecords?: number;
  onCommit?: CommitObserver;
}

interface Row {
  record_type: RecordType;
  id: string;
  customer_id: string;
  timestamp_ms: number;
  payload: string;
  fraud_rules: string;
  received_at: string;
}

function fromRow(row: Row): StoredRecord {
  return {
    type: row.record_type,
    id: row.id,
    customerId: row.customer_id,
    timestampMs: row.timestamp_ms,
    payload: row.payload,
    fraudRules: JSON.parse(row.fraud_rules),
    receivedAt: row.received_at,
  };
}

export class SqliteStore implements RecordStore {
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly writer: Worker;
  private readonly select: StatementSync;
  private readonly selectMany: StatementSync;
  private readonly beginReadStatement: StatementSync;
  private readonly endReadStatement: StatementSync;
  /** Whether the main connection's shared read transaction is open (see `openRead`). */
  private reading = false;
  private readonly queue: Pending[] = [];
  /**
   * The queue's records and the group's being committed, one index each, and a group's index is
   * dropped whole once the group is settled. One map for the process's life, its records deleted
   * one by one, had V8 replace its table each time the deletes' holes filled it or it fell under a
   * quarter full, and a long-lived map's new table goes straight into the old generation: under
   * batches that was most of what filled it, and mark-compacts fell from 37 to 5 in the same run
   * without it (docs/benchmarks.md, eleventh pass).
   */
  private queuedById: PendingIndex = pendingIndex();
  private writingById: PendingIndex | undefined;
  private readonly committed: Record<RecordType, number> = { transaction: 0, claim: 0 };
  private readonly maxDelayMs: number;
  private readonly maxRecords: number;
  private readonly onCommit?: CommitObserver;
  /** The group the writer is committing, if any. */
  private writing: { id: number; group: Pending[] } | undefined;
  private nextGroupId = 1;
  /** Set when the writer thread failed: every later add is refused. */
  private writerError: Error | undefined;
  private whenIdle: (() => void) | undefined;
  private flushScheduled = false;
  private closed = false;

  constructor(options: SqliteStoreOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.path = join(options.dataDir, 'ingest.sqlite');
    this.maxDelayMs = options.commitMaxDelayMs ?? 0;
    this.maxRecords = options.commitMaxRecords ?? 5000;
    this.onCommit = options.onCommit;
    this.db = openDatabase(this.path);
    // No execArgv: the writer needs none of the process's flags, and `--import` would load the
    // telemetry SDK's module graph into its isolate (sdk.ts starts nothing there, but loads).
    // The name is the thread's name in the OS (top -H, /proc/<pid>/task/*/comm; at most 15 bytes).
    this.writer = new Worker(siblingModule('sqlite-writer', import.meta.url), { workerData: { path: this.path }, execArgv: [], name: 'store-writer' });
    this.writer.on('message', (written: GroupWritten) => this.written(written));
    this.writer.on('error', (error) => this.writerFailed(error));
    this.writer.on('exit', (code) => this.writerFailed(new Error(`the store's writer thread exited (${code})`)));
    // Referenced only while a group is being committed: an idle writer does not keep the process up.
    this.writer.unref();
    this.select = this.db.prepare('SELECT * FROM records WHERE record_type = ? AND id = ?');
    // One query for a whole batch: the ids go in as a JSON array, unpacked by json_each.
    this.selectMany = this.db.prepare(
      'SELECT * FROM records WHERE record_type = ? AND id IN (SELECT value FROM json_each(?))',
    );
    this.beginReadStatement = this.db.prepare('BEGIN DEFERRED');
    this.endReadStatement = this.db.prepare('COMMIT');
    for (const row of this.db.prepare('SELECT record_type, count(*) AS n FROM records GROUP BY record_type').all()) {
      this.committed[row.record_type as RecordType] = Number(row.n);
    }
  }

  /** Records not committed yet: queued, and in the group being committed. */
  get pending(): number {
    return this.queue.length + (this.writing?.group.length ?? 0);
  }

  findMany(type: RecordType, ids: readonly string[]): Map<string, StoredRecord> {
    const found = new Map<string, StoredRecord>();
    if (ids.length === 1) {
      const one = this.get(type, ids[0]);
      if (one) found.set(one.id, one);
    } else if (ids.length > 1) {
      this.openRead();
      for (const row of this.selectMany.all(type, JSON.stringify(ids)) as unknown as Row[]) found.set(row.id, fromRow(row));
    }
    // Records waiting for their commit are not in the table yet.
    const queued = this.queuedById[type];
    const writing = this.writingById?.[type];
    for (const id of ids) {
      const pending = queued.get(id) ?? writing?.get(id);
      if (pending) found.set(id, pending);
    }
    return found;
  }

  get(type: RecordType, id: string): StoredRecord | undefined {
    this.openRead();
    const row = this.select.get(type, id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  add(records: readonly StoredRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (this.writerError) return Promise.reject(this.writerError);
    if (records.length === 0) return Promise.resolve();
    // A row the table refuses would fail its whole group, other requests' records with it: refuse
    // it here, alone. (A leap-second timestamp once reached this point as NaN.)
    for (const record of records) {
      if (!Number.isFinite(record.timestampMs)) return Promise.reject(new Error(`record ${record.id}: timestamp_ms is not a finite number`));
    }
    return new Promise((resolve, reject) => {
      // The records may be committed in more than one group: settle once, when the last is in
      // or the first fails.
      let left = records.length;
      let failed = false;
      const committed = () => {
        if (--left === 0 && !failed) resolve();
      };
      const fail = (error: Error) => {
        if (failed) return;
        failed = true;
        reject(error);
      };
      for (const record of records) {
        this.queue.push({ record, resolve: committed, reject: fail });
        this.queuedById[record.type].set(record.id, record);
      }
      this.scheduleFlush();
    });
  }

  counts(): Record<RecordType, number> {
    return { ...this.committed };
  }

  recent(sinceMs: number): Array<{ customerId: string; timestampMs: number }> {
    // Walk back from the newest rows (rowid follows arrival) until they are older than asked.
    const rows = this.db
      .prepare('SELECT customer_id, timestamp_ms, received_at FROM records ORDER BY rowid DESC LIMIT 100000')
      .iterate() as Iterable<{ customer_id: string; timestamp_ms: number; received_at: string }>;
    const out: Array<{ customerId: string; timestampMs: number }> = [];
    for (const row of rows) {
      if (Date.parse(row.received_at) < sinceMs) break;
      out.push({ customerId: row.customer_id, timestampMs: row.timestamp_ms });
    }
    return out.reverse();
  }

  ready(): boolean {
    if (this.closed || this.writerError) return false;
    try {
      this.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  /** Commits what is queued, waits for the writer, then closes both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    if (this.writing) await new Promise<void>((resolve) => (this.whenIdle = resolve));
    this.writer.removeAllListeners('exit');
    await this.writer.terminate();
    this.endRead();
    this.db.close();
  }

  /**
   * Opens the shared read transaction for the reads that follow, unless it is open. It ends after
   * this turn of the event loop, or sooner when a group's records leave the pending indexes (settle): a
   * snapshot older than their commit would not hold them, and a lookup would miss an accepted
   * record.
   */
  private openRead(): void {
    if (this.reading) return;
    this.beginReadStatement.run();
    this.reading = true;
    setImmediate(this.endRead);
  }

  private readonly endRead = (): void => {
    if (!this.reading) return;
    this.reading = false;
    this.endReadStatement.run();
  };

  private scheduleFlush(): void {
    // While the writer commits, the queue is the next group: written() sends it.
    if (this.writing) return;
    if (this.queue.length >= this.maxRecords) {
      this.flush();
      return;
    }
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const run = () => {
      this.flushScheduled = false;
      this.flush();
    };
    if (this.maxDelayMs > 0) setTimeout(run, this.maxDelayMs);
    else setImmediate(run);
  }

  /** Sends what is queued (up to maxRecords) to the writer as one group, when it is free. */
  private flush(): void {
    if (this.writing || this.queue.length === 0 || this.writerError) return;
    const group = this.queue.splice(0, this.maxRecords);
    // The queue's index goes with the group; only a queue longer than one group is indexed anew.
    this.writingById = this.queue.length === 0 ? this.queuedById : indexRecords(group);
    this.queuedById = this.queue.length === 0 ? pendingIndex() : indexRecords(this.queue);
    // Pushed, not preallocated: a holey array crosses to the writer in V8's sparse format, slower
    // on both sides. An empty rule list, most records', needs no JSON.stringify.
    const values: WriteGroup['values'] = [];
    for (const { record: r } of group) {
      values.push(r.type, r.id, r.customerId, r.timestampMs, r.payload, r.fraudRules.length === 0 ? '[]' : JSON.stringify(r.fraudRules), r.receivedAt);
    }
    this.writing = { id: this.nextGroupId++, group };
    // The writer may checkpoint before this group; an open read would hold the WAL (sqlite-writer.ts).
    this.endRead();
    this.writer.ref();
    this.writer.postMessage({ id: this.writing.id, values } satisfies WriteGroup);
  }

  /** The writer's answer: settle the group's records, then send the next group. */
  private written(answer: GroupWritten): void {
    const writing = this.writing;
    if (!writing || writing.id !== answer.id) return;
    this.writing = undefined;
    this.writer.unref();
    const error = answer.error === undefined ? undefined : new Error(answer.error);
    this.settle(writing.group, error, answer.seconds, 'writing');
    if (this.queue.length > 0) this.flush();
    else this.whenIdle?.();
  }

  /** Settles `group`, whose records leave the pending indexes: the writing group's, or all of them. */
  private settle(group: Pending[], error: Error | undefined, seconds: number, leaving: 'writing' | 'all'): void {
    this.onCommit?.(seconds, group.length, error !== undefined);
    this.endRead(); // before the records leave the pending indexes (see `openRead`)
    this.writingById = undefined;
    if (leaving === 'all') this.queuedById = pendingIndex();
    for (const item of group) {
      if (error) {
        item.reject(error);
      } else {
        this.committed[item.record.type]++;
        item.resolve();
      }
    }
  }

  /** The writer thread died: nothing queued or being written was acknowledged; refuse them all. */
  private writerFailed(cause: Error): void {
    if (this.writerError) return;
    this.writerError = cause;
    const group = [...(this.writing?.group ?? []), ...this.queue.splice(0)];
    this.writing = undefined;
    this.settle(group, cause, 0, 'all');
    this.whenIdle?.();
  }
}
