// The store interface the ingest pipeline depends on. SQLite is the default; a Kafka sink (or any
// log with acknowledged writes) fits behind the same few methods.
import type { RecordType } from '../ingest/kinds.ts';
import type { FraudRule } from '../schemas/responses.ts';

export interface StoredRecord {
  type: RecordType;
  id: string;
  customerId: string;
  timestampMs: number;
  /** Canonical JSON of the record as submitted (see canonicalJson). */
  payload: string;
  fraudRules: FraudRule[];
  receivedAt: string;
}

export interface CommitObserver {
  /** Called after each commit with its duration and how many records shared it. */
  (durationSeconds: number, records: number, failed: boolean): void;
}

export interface RecordStore {
  /** The committed or pending records among these ids, by id, for idempotency checks. */
  findMany(type: RecordType, ids: readonly string[]): Map<string, StoredRecord>;
  /** A committed record, for reads. */
  get(type: RecordType, id: string): StoredRecord | undefined;
  /**
   * Resolves once every one of the records is durably committed; rejects if a commit failed.
   * One call per request, so that a batch costs one promise, not one per record.
   */
  add(records: readonly StoredRecord[]): Promise<void>;
  /** Committed records per type. */
  counts(): Record<RecordType, number>;
  /** Records received since `sinceMs` (epoch ms), to warm the velocity window at start. */
  recent(sinceMs: number): Array<{ customerId: string; timestampMs: number }>;
  /** Records waiting for their commit. */
  readonly pending: number;
  /** True when the store answers a query. */
  ready(): boolean;
  /** Commits what is pending, then closes. */
  close(): Promise<void>;
}
