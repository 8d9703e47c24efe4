// The built service (`npm run build`), as `npm start` and the image run it: JavaScript only, in a
// folder with no TypeScript source, so any module, worker thread or import still reaching for a
// `.ts` file fails here. It must start, commit through its writer thread and export through its
// OTLP export thread.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { json, tempDir, transaction } from './helpers.ts';
import { buildService, startServiceProcess, type RunningService } from './process.ts';
import { retryUntil } from './hang-up.ts';

const buildDir = tempDir('ingestor-build-');
const dataDir = tempDir('ingestor-build-data-');
const exports: Array<{ url: string; userAgent: string | undefined }> = [];
/** A collector stand-in: records what reaches it, answers 200. */
const collector = createServer((req: IncomingMessage, res) => {
  req.resume();
  req.on('end', () => {
    exports.push({ url: req.url!, userAgent: req.headers['user-agent'] });
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
let service: RunningService;

before(async () => {
  buildService(buildDir);
  collector.listen(0, '127.0.0.1');
  await once(collector, 'listening');
  service = await startServiceProcess(
    {
      DATA_DIR: dataDir,
      OTEL_SDK_DISABLED: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_METRIC_EXPORT_INTERVAL: '300',
    },
    { built: buildDir },
  );
});

after(async () => {
  service?.child.kill('SIGTERM');
  if (service && service.child.exitCode === null) await once(service.child, 'exit');
  collector.close();
  rmSync(buildDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

const builtFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));

it('emits JavaScript whose relative imports name .js files', () => {
  const files = builtFiles(join(buildDir, 'service/dist'));
  assert.ok(files.some((f) => f.endsWith('/main.js')) && files.some((f) => f.endsWith('/telemetry/sdk.js')));
  assert.deepEqual(files.filter((f) => !f.endsWith('.js')), []);
  for (const file of files) assert.doesNotMatch(readFileSync(file, 'utf8'), /from '\.{1,2}\/[^']*\.ts'/, file);
});

it('stores a record through the writer thread and reads it back', async () => {
  const record = transaction();
  const created = await fetch(`${service.url}/v1/transactions`, { method: 'POST', headers: json, body: JSON.stringify(record) });
  assert.equal(created.status, 201, await created.text());
  const read = await fetch(`${service.url}/v1/transactions/${record.transaction_id}`);
  assert.equal(read.status, 200);
  assert.equal(((await read.json()) as { transaction_id: string }).transaction_id, record.transaction_id);
});

it('names its worker threads in the OS, so that per-thread CPU (top -H, bench:profile) says whose it is', () => {
  const names = readdirSync(`/proc/${service.child.pid}/task`).map((tid) => readFileSync(`/proc/${service.child.pid}/task/${tid}/comm`, 'utf8').trim());
  assert.ok(names.includes('store-writer'), names.join(', '));
  assert.ok(names.includes('otlp-export'), names.join(', '));
});

it('exports metrics through the OTLP export thread', async () => {
  const metrics = await retryUntil(async () => exports.find((e) => e.url === '/v1/metrics'), (found) => found !== undefined, 10_000);
  assert.equal(metrics?.userAgent, 'observability-kit-ingestor (OTLP export thread)');
  assert.doesNotMatch(service.output(), /ERR_|Error/, 'no module failed to load');
});
