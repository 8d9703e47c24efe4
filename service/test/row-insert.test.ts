import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SQLInputValue } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { CHUNK_ROWS, rowInserter } from '../src/store/row-insert.ts';
import { openDatabase, ROW_COLUMNS } from '../src/store/sqlite-schema.ts';
import { tempDir } from './helpers.ts';

const columns = ['record_type', 'id', 'customer_id', 'timestamp_ms', 'payload', 'fraud_rules', 'received_at'];
/** One row's values, distinct per (group, row), with quotes, a comma and non-Latin-1 text in the payload. */
const rowValues = (group: number, row: number): SQLInputValue[] => [
  row % 3 === 0 ? 'claim' : 'transaction',
  `g${group}-r${row}`,
  `cust-${row}`,
  1_795_000_000_000 + group * 10_000 + row,
  JSON.stringify({ n: row, note: `"quoted", ü € ${group}` }),
  row % 5 === 0 ? '["velocity"]' : '[]',
  `2026-11-24T08:00:00.${String(row % 1000).padStart(3, '0')}Z`,
];

describe('multi-row inserts (the writer thread)', () => {
  const dir = tempDir('row-insert-');
  after(() => rmSync(dir, { recursive: true, force: true }));
  const db = openDatabase(join(dir, 'rows.sqlite'));
  const insertRows = rowInserter(db);

  it('stores every row of groups of every size around the chunk sizes, in order, column for column', () => {
    const sizes = [1, 2, 3, 4, 5, 15, 16, 17, 63, 64, 65, 100, 255, 256, 257, 341, 600];
    const expected: SQLInputValue[][] = [];
    sizes.forEach((size, group) => {
      const rows = Array.from({ length: size }, (_, row) => rowValues(group, row));
      db.exec('BEGIN IMMEDIATE');
      insertRows(rows.flat());
      db.exec('COMMIT');
      expected.push(...rows);
    });
    const stored = db.prepare(`SELECT ${columns.join(', ')} FROM records ORDER BY rowid`).all().map((r) => columns.map((c) => r[c]));
    assert.equal(stored.length, sizes.reduce((a, b) => a + b, 0));
    // Row order is arrival order: the store's recent() walks rowid back from the newest.
    assert.deepEqual(stored, expected);
  });

  it('fails the whole statement on a duplicate key, so the writer rolls the group back', () => {
    const before = (db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n;
    const rows = Array.from({ length: 20 }, (_, row) => rowValues(1000, row));
    rows[17] = rowValues(1000, 3); // same type and id as row 3
    db.exec('BEGIN IMMEDIATE');
    assert.throws(() => insertRows(rows.flat()), /UNIQUE constraint failed/);
    db.exec('ROLLBACK');
    assert.equal((db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n, before);
  });

  it('refuses values that are not whole rows, before writing any', () => {
    const before = (db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n;
    assert.throws(() => insertRows([...rowValues(2000, 0), 'stray']), /not a multiple of the 7 columns/);
    assert.equal((db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n, before);
  });

  it('cuts a group greedily into the chunk sizes, largest first', () => {
    assert.equal(ROW_COLUMNS, columns.length);
    assert.deepEqual([...CHUNK_ROWS], [...CHUNK_ROWS].sort((a, b) => b - a));
    assert.equal(CHUNK_ROWS.at(-1), 1, 'any group size can be cut');
  });
});
