// With telemetry on and no collector listening, the service serves normally and its memory stays
// bounded: exports fail in the background, their queues drop what does not fit.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { after, it } from 'node:test';
import { tempDir, transaction } from './helpers.ts';
import { freePort, startServiceProcess } from './process.ts';

const dataDir = tempDir('ingestor-no-collector-');
after(() => rmSync(dataDir, { recursive: true, force: true }));

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

it('serves every request with no collector listening, in bounded memory', async () => {
  const deadPort = await freePort(); // nothing listens there
  const svc = await startServiceProcess({
    DATA_DIR: dataDir,
    OTEL_SDK_DISABLED: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${deadPort}`,
    OTEL_METRIC_EXPORT_INTERVAL: '500',
    OTEL_TRACES_SAMPLER: 'always_on', // every span queued for export: the worst case for memory
    LOG_LEVEL: 'info',
  });
  try {
    const statuses = new Map<number, number>();
    const send = async () => {
      // Some invalid and some fraud-like records, so logs are exported (and fail) too.
      for (let i = 0; i < 500; i++) {
        const res = await fetch(`${svc.url}/v1/transactions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(transaction({ amount: i % 10 === 0 ? 20_000 : i % 10 === 1 ? -1 : 10 + i })),
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    };
    const rssBefore = rssMiB(svc.child.pid!);
    await Promise.all(Array.from({ length: 8 }, send));
    const rssAfter = rssMiB(svc.child.pid!);
    console.log(`no collector: statuses ${JSON.stringify(Object.fromEntries(statuses))}, RSS ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MiB`);
    assert.deepEqual([...statuses.keys()].sort(), [201, 400]);
    assert.equal(statuses.get(201), 3600);
    assert.ok(rssAfter < 250, `RSS ${rssAfter} MiB`);
    assert.equal((await fetch(`${svc.url}/readyz`)).status, 200);
  } finally {
    svc.child.kill('SIGTERM');
    const [code] = await once(svc.child, 'exit');
    assert.equal(code, 0, 'a clean exit, within the telemetry flush bound');
  }
});
