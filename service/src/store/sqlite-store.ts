// SQLite store with group commit. Requests add records to a queue; one flush per event-loop turn
// writes everything queued in a single transaction, and its one fsync (WAL, synchronous=FULL)
// acknowledges them all. Under load, batches grow by themselves while a commit is in progress.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { RecordType } from '../ingest/kinds.ts';
import type { CommitObserver, RecordStore, StoredRecord } from './store.ts';

interface Pending {
  record: StoredRecord;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface SqliteStoreOptions {
  dataDir: string;
  /** 0 flushes on the next turn of the event loop; more waits that long to gather a bigger group. */
  commitMaxDelayMs?: number;
  commitMaxRecords?: number;
  onCommit?: CommitObserver;
}

const key = (type: RecordType, id: string) => `${type}\u0000${id}`;

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
  private readonly insert: StatementSync;
  private readonly select: StatementSync;
  private readonly selectMany: StatementSync;
  private readonly queue: Pending[] = [];
  private readonly pendingById = new Map<string, StoredRecord>();
  private readonly committed: Record<RecordType, number> = { transaction: 0, claim: 0 };
  private readonly maxDelayMs: number;
  private readonly maxRecords: number;
  private readonly onCommit?: CommitObserver;
  private flushScheduled = false;
  private closed = false;

  constructor(options: SqliteStoreOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.path = join(options.dataDir, 'ingest.sqlite');
    this.maxDelayMs = options.commitMaxDelayMs ?? 0;
    this.maxRecords = options.commitMaxRecords ?? 5000;
    this.onCommit = options.onCommit;
    this.db = new DatabaseSync(this.path);
    // WAL with synchronous=FULL: every commit is on disk before it returns, so a 2xx survives
    // a crash or power loss, and readers never block the writer.
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS records (
        record_type  TEXT    NOT NULL,
        id           TEXT    NOT NULL,
        customer_id  TEXT    NOT NULL,
        timestamp_ms INTEGER NOT NULL,
        payload      TEXT    NOT NULL,
        fraud_rules  TEXT    NOT NULL,
        received_at  TEXT    NOT NULL,
        PRIMARY KEY (record_type, id)
      );
    `);
    this.insert = this.db.prepare(
      `INSERT INTO records (record_type, id, customer_id, timestamp_ms, payload, fraud_rules, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.select = this.db.prepare('SELECT * FROM records WHERE record_type = ? AND id = ?');
    // One query for a whole batch: the ids go in as a JSON array, unpacked by json_each.
    this.selectMany = this.db.prepare(
      'SELECT * FROM records WHERE record_type = ? AND id IN (SELECT value FROM json_each(?))',
    );
    for (const row of this.db.prepare('SELECT record_type, count(*) AS n FROM records GROUP BY record_type').all()) {
      this.committed[row.record_type as RecordType] = Number(row.n);
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  findMany(type: RecordType, ids: readonly string[]): Map<string, StoredRecord> {
    const found = new Map<string, StoredRecord>();
    if (ids.length === 1) {
      const one = this.get(type, ids[0]);
      if (one) found.set(one.id, one);
    } else if (ids.length > 1) {
      for (const row of this.selectMany.all(type, JSON.stringify(ids)) as unknown as Row[]) found.set(row.id, fromRow(row));
    }
    // Records waiting for their commit are not in the table yet.
    for (const id of ids) {
      const pending = this.pendingById.get(key(type, id));
      if (pending) found.set(id, pending);
    }
    return found;
  }

  get(type: RecordType, id: string): StoredRecord | undefined {
    const row = this.select.get(type, id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  add(record: StoredRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      this.pendingById.set(key(record.type, record.id), record);
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
    if (this.closed) return false;
    try {
      this.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }

  private scheduleFlush(): void {
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

  /** Writes everything queued in one transaction. */
  private flush(): void {
    if (this.queue.length === 0) return;
    const group = this.queue.splice(0, this.queue.length);
    const started = performance.now();
    let error: Error | undefined;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const { record: r } of group) {
        this.insert.run(r.type, r.id, r.customerId, r.timestampMs, r.payload, JSON.stringify(r.fraudRules), r.receivedAt);
      }
      this.db.exec('COMMIT');
    } catch (cause) {
      error = cause instanceof Error ? cause : new Error(String(cause));
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // nothing to roll back: BEGIN itself failed
      }
    }
    this.onCommit?.((performance.now() - started) / 1000, group.length, error !== undefined);
    for (const item of group) {
      this.pendingById.delete(key(item.record.type, item.record.id));
      if (error) {
        item.reject(error);
      } else {
        this.committed[item.record.type]++;
        item.resolve();
      }
    }
  }
}
