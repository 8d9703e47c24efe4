// Every acknowledged record survives a SIGKILL of the real service process, and none is stored
// twice: the service runs as `npm start` does, on a real SQLite file.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, it } from 'node:test';
import { claim, tempDir, transaction } from './helpers.ts';
import { startServiceProcess } from './process.ts';

const dataDir = tempDir('ingestor-durability-');
after(() => rmSync(dataDir, { recursive: true, force: true }));

it('keeps every acknowledged record across SIGKILL and restart, none twice', async () => {
  const first = await startServiceProcess({ DATA_DIR: dataDir });
  const acknowledged = new Map<string, Record<string, unknown>>();
  let sent = 0;
  let stop = false;

  // Eight concurrent writers of single records and batches, until the kill.
  const writer = async (w: number) => {
    while (!stop) {
      const batch = w % 4 === 0;
      const records = batch ? Array.from({ length: 20 }, () => transaction()) : [w % 2 ? claim() : transaction()];
      const kind = 'claim_id' in records[0] ? 'claims' : 'transactions';
      sent += records.length;
      try {
        const res = await fetch(`${first.url}/v1/${kind}${batch ? '/batch' : ''}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batch ? { records } : records[0]),
        });
        if (!res.ok) continue;
        const body = (await res.json()) as { status: string; results: Array<{ status: string }> };
        const statuses = batch ? body.results.map((r) => r.status) : [body.status];
        records.forEach((r, i) => {
          if (statuses[i] === 'accepted') acknowledged.set(String(r.transaction_id ?? r.claim_id), r);
        });
      } catch {
        // the connection died with the process: not acknowledged
      }
    }
  };
  const writers = Array.from({ length: 8 }, (_, w) => writer(w));
  while (acknowledged.size < 1500) await new Promise((r) => setTimeout(r, 20));
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  stop = true;
  await Promise.all(writers);

  const second = await startServiceProcess({ DATA_DIR: dataDir });
  try {
    let missing = 0;
    for (const [id, record] of acknowledged) {
      const kind = 'claim_id' in record ? 'claims' : 'transactions';
      const res = await fetch(`${second.url}/v1/${kind}/${id}`);
      if (res.status !== 200) missing++;
    }
    // Re-sending what was acknowledged is a duplicate, not a second copy.
    const [someId, someRecord] = acknowledged.entries().next().value!;
    const again = await fetch(`${second.url}/v1/${'claim_id' in someRecord ? 'claims' : 'transactions'}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(someRecord),
    });
    assert.equal(((await again.json()) as { status: string }).status, 'duplicate', `re-sent ${someId}`);

    const db = new DatabaseSync(join(dataDir, 'ingest.sqlite'), { readOnly: true });
    const rows = db.prepare('SELECT count(*) AS n, count(DISTINCT record_type || id) AS distinct_ids FROM records').get() as { n: number; distinct_ids: number };
    db.close();
    console.log(`durability: sent ${sent}, acknowledged ${acknowledged.size}, stored ${rows.n}, missing ${missing}`);
    assert.equal(missing, 0, 'acknowledged records missing after the crash');
    assert.equal(rows.n, rows.distinct_ids, 'a record stored twice');
    assert.ok(rows.n >= acknowledged.size);
  } finally {
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
  }
});

it('drains and exits cleanly on SIGTERM', async () => {
  const svc = await startServiceProcess({ DATA_DIR: dataDir });
  const pending = fetch(`${svc.url}/v1/transactions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(transaction()),
  });
  const res = await pending;
  svc.child.kill('SIGTERM');
  const [code] = await once(svc.child, 'exit');
  assert.equal(res.status, 201);
  assert.equal(code, 0, svc.output());
});
