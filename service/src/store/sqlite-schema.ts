// The records table and the connection settings, shared by the main thread (reads) and the
// writer thread (sqlite-writer.ts).
import { DatabaseSync } from 'node:sqlite';

/** Columns per record, in table order: record_type, id, customer_id, timestamp_ms, payload, fraud_rules, received_at. */
export const ROW_COLUMNS = 7;

export function openDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  // WAL with synchronous=FULL: every commit is on disk before it returns, so a 2xx survives
  // a crash or power loss, and readers never block the writer.
  db.exec(`
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
  return db;
}
