import assert from 'node:assert/strict';
import { rmSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../src/store/sqlite-store.ts';
import type { StoredRecord } from '../src/store/store.ts';
import { tempDir } from './helpers.ts';

const record = (id: string): StoredRecord => ({
  type: 'transaction',
  id,
  customerId: `cust-${id}`,
  timestampMs: Date.parse('2026-11-22T10:00:00Z'),
  payload: JSON.stringify({ transaction_id: id }),
  fraudRules: id.endsWith('7') ? ['velocity'] : [],
  receivedAt: '2026-11-22T10:00:01.000Z',
});

describe('SQLite store (writer thread)', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir('ingestor-store-');
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('refuses a record the table would refuse before it can fail the group of others', async () => {
    const store = new SqliteStore({ dataDir: dir() });
    const others = Promise.all([store.add([record('tx-ok-1')]), store.add([record('tx-ok-2')])]);
    await assert.rejects(store.add([record('tx-ok-3'), { ...record('tx-nan'), timestampMs: NaN }]), /timestamp_ms/);
    await others;
    assert.ok(store.get('transaction', 'tx-ok-1') && store.get('transaction', 'tx-ok-2'));
    assert.equal(store.get('transaction', 'tx-ok-3'), undefined, 'nothing of the refused request was queued');
    await store.close();
  });

  it('commits concurrent records in groups, and each is on disk when its promise resolves', async () => {
    const commits: Array<{ records: number; failed: boolean }> = [];
    const store = new SqliteStore({ dataDir: dir(), onCommit: (_s, records, failed) => commits.push({ records, failed }) });
    const ids = Array.from({ length: 2000 }, (_, i) => `tx-${i}`);
    // Each promise checks the file through a connection of its own when it resolves.
    const reader = new DatabaseSync(store.path, { readOnly: true });
    const present = reader.prepare('SELECT count(*) AS n FROM records WHERE id = ?');
    let missingAtAck = 0;
    await Promise.all(ids.map((id) => store.add([record(id)]).then(() => {
      if (Number((present.get(id) as { n: number }).n) !== 1) missingAtAck++;
    })));
    assert.equal(missingAtAck, 0, 'every acknowledged record was readable from the file at that moment');
    assert.equal(commits.reduce((n, c) => n + c.records, 0), 2000);
    assert.ok(commits.every((c) => !c.failed));
    assert.ok(commits.length < 100, `2,000 concurrent records shared ${commits.length} commits`);
    assert.deepEqual(store.counts(), { transaction: 2000, claim: 0 });
    reader.close();
    await store.close();
  });

  it('finds records while they wait for their commit, so idempotency never misses one', async () => {
    const store = new SqliteStore({ dataDir: dir() });
    const adding = store.add([record('tx-pending')]);
    assert.equal(store.pending, 1);
    assert.equal(store.findMany('transaction', ['tx-pending']).get('tx-pending')?.customerId, 'cust-tx-pending');
    await adding;
    assert.equal(store.pending, 0);
    assert.equal(store.get('transaction', 'tx-pending')?.customerId, 'cust-tx-pending');
    assert.deepEqual(store.get('transaction', 'tx-pending')?.fraudRules, []);
    await store.close();
  });

  it('finds every record at every turn until it is committed: queued, in the group being written, or in a queue longer than one group', async () => {
    // maxRecords 3: eight records in one add go in groups of 3, 3 and 2, so the queue outlives a
    // group (its index is rebuilt) and one group is written while the next waits.
    const commits: number[] = [];
    const store = new SqliteStore({ dataDir: dir(), commitMaxRecords: 3, onCommit: (_s, records) => commits.push(records) });
    const ids = Array.from({ length: 8 }, (_, i) => `tx-turns-${i}`);
    const others = ['tx-turns-other'];
    let turns = 0;
    const adding = store.add(ids.map(record));
    let done = false;
    adding.then(() => (done = true));
    while (!done) {
      const found = store.findMany('transaction', [...ids, ...others]);
      assert.deepEqual([...found.keys()].sort(), [...ids].sort(), `turn ${turns}, ${store.pending} pending, commits ${commits}`);
      assert.equal(store.findMany('transaction', ids.slice(5)).size, 3, `turn ${turns}: the last group alone`);
      turns++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(commits, [3, 3, 2]);
    assert.ok(turns >= 3, `looked up at ${turns} turns`);
    assert.equal(store.pending, 0);
    assert.equal(store.findMany('transaction', ids).size, 8, 'all committed');
    await store.close();
  });

  it('a lookup right after a commit sees it, though the reads of a turn share one snapshot', async () => {
    const store = new SqliteStore({ dataDir: dir() });
    await store.add([record('tx-first')]); // the table exists and the writer is up
    // Another connection holds the write lock, so the writer cannot commit the record yet.
    const blocker = new DatabaseSync(store.path);
    blocker.exec('BEGIN IMMEDIATE');
    const adding = store.add([record('tx-late')]);
    await new Promise((resolve) => setImmediate(resolve)); // the group went to the writer, which waits
    // Opens the shared read: its snapshot predates tx-late's commit, and it is scheduled to end
    // only in the next check phase.
    assert.equal(store.findMany('transaction', ['tx-other', 'tx-first']).size, 1);
    blocker.exec('COMMIT');
    blocker.close();
    // Block this thread until the writer has committed (seen through a connection of its own) and
    // answered: its answer is handled in the next poll phase, before the read's scheduled end, and
    // the continuation after `await adding` runs right then. The store must have ended the stale
    // read when it settled.
    const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    const probe = new DatabaseSync(store.path, { readOnly: true });
    const committed = probe.prepare('SELECT 1 FROM records WHERE id = ?');
    let seen = false;
    for (const end = Date.now() + 10_000; !seen && Date.now() < end; sleep(5)) seen = committed.get('tx-late') !== undefined;
    probe.close();
    assert.ok(seen, 'the writer committed while this thread was blocked');
    sleep(100); // its answer, posted right after the COMMIT returned
    await adding;
    assert.equal(store.pending, 0);
    assert.equal(store.findMany('transaction', ['tx-late', 'tx-other']).get('tx-late')?.customerId, 'cust-tx-late');
    assert.equal(store.get('transaction', 'tx-late')?.id, 'tx-late');
    await store.close();
  });

  it('keeps the WAL bounded while reads and commits overlap without pause', async () => {
    const busy = (ms: number) => {
      for (const end = performance.now() + ms; performance.now() < end;);
    };
    const store = new SqliteStore({ dataDir: dir() });
    const payload = 'x'.repeat(1500);
    let n = 0;
    let maxWal = 0;
    const wal = () => statSync(`${store.path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    // Open loop, as independent requests arrive: every turn reads and adds, whether or not the
    // commits before it are done, so the turn's shared read is open while the writer commits.
    const deadline = performance.now() + 2000;
    const failures: Error[] = [];
    while (performance.now() < deadline) {
      for (let i = 0; i < 8 && store.pending < 2000; i++) {
        const ids = Array.from({ length: 10 }, () => `tx-wal-${n++}`);
        store.findMany('transaction', ids);
        busy(0.15); // the request's own work (validation, scoring), with the turn's read open
        store.add(ids.map((id) => ({ ...record(id), payload }))).catch((error: Error) => failures.push(error));
      }
      maxWal = Math.max(maxWal, wal());
      await new Promise((resolve) => setImmediate(resolve));
    }
    await store.close();
    assert.deepEqual(failures, []);
    assert.ok(n > 20_000, `enough records went through to grow the WAL (${n})`);
    assert.ok(maxWal < 16 * 1024 * 1024, `the WAL peaked at ${(maxWal / 1048576).toFixed(1)} MiB`);
  });

  it('close() commits what is queued before it returns', async () => {
    const dataDir = dir();
    const store = new SqliteStore({ dataDir });
    const added = Array.from({ length: 500 }, (_, i) => store.add([record(`tx-close-${i}`)]));
    await store.close();
    await Promise.all(added);
    await assert.rejects(store.add([record('tx-after')]), /closed/);
    const reopened = new SqliteStore({ dataDir });
    assert.deepEqual(reopened.counts(), { transaction: 500, claim: 0 });
    assert.deepEqual(reopened.get('transaction', 'tx-close-7')?.fraudRules, ['velocity']);
    await reopened.close();
  });

  it('settles a multi-record add once: when all are committed, or at the first failure', async () => {
    // maxRecords 2: five records go in three groups, so one add spans several commits.
    const store = new SqliteStore({ dataDir: dir(), commitMaxRecords: 2 });
    const commits: number[] = [];
    const observed = new SqliteStore({ dataDir: dir(), commitMaxRecords: 2, onCommit: (_s, records) => commits.push(records) });
    await observed.add(['m-1', 'm-2', 'm-3', 'm-4', 'm-5'].map(record));
    assert.deepEqual(commits, [2, 2, 1], 'one add, three groups');
    assert.deepEqual(observed.counts(), { transaction: 5, claim: 0 });
    // A failing record in the second group rejects the whole add; the first group stays committed.
    await store.add([record('x-dup')]);
    await assert.rejects(store.add(['x-1', 'x-2', 'x-3', 'x-dup'].map(record)), /UNIQUE constraint failed/);
    assert.ok(store.get('transaction', 'x-1'), 'the first group was committed');
    assert.equal(store.get('transaction', 'x-3'), undefined, 'the failed group was rolled back');
    await observed.close();
    await store.close();
  });

  it('rejects a group whose commit fails, and acknowledges none of it', async () => {
    const store = new SqliteStore({ dataDir: dir() });
    await store.add([record('tx-dup')]);
    // The same key twice in one group: the primary key refuses the second, the transaction rolls back.
    const results = await Promise.allSettled([store.add([record('tx-a')]), store.add([record('tx-dup')])]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.match(String((results[1] as PromiseRejectedResult).reason), /UNIQUE constraint failed/);
    assert.equal(store.get('transaction', 'tx-a'), undefined, 'rolled back');
    assert.deepEqual(store.counts(), { transaction: 1, claim: 0 });
    // The store keeps working after a failed group.
    await store.add([record('tx-b')]);
    assert.ok(store.get('transaction', 'tx-b'));
    await store.close();
  });
});
