// The writer's INSERTs: a group's rows go in through multi-row statements, 256, 64, 16, 4 or 1
// rows at a time (100 rows: 64 + 16 + 16 + 4). Each statement run from JavaScript has a fixed cost
// (its bindings crossing into SQLite, a step, and a result object), and one statement per row paid
// it per row: 2.2-2.7 µs per row against 1.8-1.9 for the same rows in chunks (100-row groups, no
// fsync, a scratch run); bench/stages.ts measures both ways side by side (1.15-1.19 times).
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { ROW_COLUMNS } from './sqlite-schema.ts';

/** Rows per statement, largest first; a group is cut into these greedily. */
export const CHUNK_ROWS: readonly number[] = [256, 64, 16, 4, 1];

/** Prepares the statements on `db` and returns the function that inserts a group's flat values. */
export function rowInserter(db: DatabaseSync): (values: readonly SQLInputValue[]) => void {
  const row = `(${Array(ROW_COLUMNS).fill('?').join(', ')})`;
  const statements = CHUNK_ROWS.map((rows) => db.prepare(`INSERT INTO records VALUES ${Array(rows).fill(row).join(', ')}`));
  return (values) => {
    if (values.length % ROW_COLUMNS !== 0) {
      throw new Error(`a group has ${values.length} values, not a multiple of the ${ROW_COLUMNS} columns of a row`);
    }
    const rows = values.length / ROW_COLUMNS;
    let done = 0;
    while (done < rows) {
      const chunk = CHUNK_ROWS.findIndex((size) => size <= rows - done);
      const size = CHUNK_ROWS[chunk];
      statements[chunk].run(...values.slice(done * ROW_COLUMNS, (done + size) * ROW_COLUMNS));
      done += size;
    }
  };
}
