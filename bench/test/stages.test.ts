// bench/stages.ts runs the real pipeline modules and a real SQLite file: a short run must report
// every stage with a measured time, and a sum and ceiling that follow from them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { it } from 'node:test';

it('reports each stage, their sum and the one-core ceiling', () => {
  const out = execFileSync(process.execPath, ['bench/stages.ts'], { encoding: 'utf8', env: { ...process.env, STAGES_BATCHES: '10' } });
  const rows = [...out.matchAll(/^\| ([^|*]+) \| ([\d.]+) \|$/gm)].map((m) => ({ stage: m[1], us: Number(m[2]) }));
  assert.deepEqual(rows.map((r) => r.stage.split(' ')[0]), ['JSON', 'validate', 'canonical', 'fraud', 'SQLite', 'idempotency']);
  for (const row of rows) assert.ok(row.us > 0 && Number.isFinite(row.us), `${row.stage}: ${row.us}`);
  const sum = Number(/\*\*sum\*\* \| \*\*([\d.]+)\*\*/.exec(out)![1]);
  assert.ok(Math.abs(sum - rows.reduce((a, r) => a + r.us, 0)) < 0.05, 'the sum of the rows');
  const ceiling = Number(/one core: (\d+) records\/s/.exec(out)![1]);
  assert.ok(Math.abs(ceiling - 1e6 / sum) / ceiling < 0.01, 'ceiling = 1 / sum');
  assert.match(out, /synchronous=FULL .*: [\d.]+ µs per record, \d+ records\/s alone/);
  const [, perRow, times] = /one statement run per row .*: ([\d.]+) µs per record, ([\d.]+) times the multi-row figure/.exec(out)!.map(Number);
  const multiRow = rows.find((r) => r.stage.startsWith('SQLite'))!.us;
  assert.ok(Math.abs(times - perRow / multiRow) < 0.02, `per-row ${perRow} / multi-row ${multiRow} = ${times}`);
  const [, heap, typed] = /velocity window at its cap of 100,000 customers: ([\d.]+) MiB of heap, ([\d.]+) MiB of typed arrays/.exec(out)!.map(Number);
  assert.ok(heap < 2, `velocity window: ${heap} MiB of heap`);
  assert.ok(typed > 1 && typed < 50, `velocity window: ${typed} MiB of typed arrays`);
  const disk = /fdatasync after a 4 KiB append, p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms over (\d+) syncs/.exec(out)!.slice(1).map(Number);
  assert.ok(disk[0] <= disk[1] && disk[1] <= disk[2] && disk[3] > 0, `disk ${disk}`);
});
