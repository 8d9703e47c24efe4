// `--import ./service/src/telemetry/sdk.ts` is inherited by worker threads. The SDK must start in
// the main thread only: a second one in the store's writer thread exported its own runtime
// metrics under another service.instance.id and cost about 20 MiB.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { it } from 'node:test';

const sdk = fileURLToPath(new URL('../src/telemetry/sdk.ts', import.meta.url));

it('starts no SDK in a worker thread that inherits --import', async () => {
  // A file, as the store's writer is: `eval` workers do not run --import preloads.
  const dir = mkdtempSync(join(tmpdir(), 'sdk-threads-'));
  const script = join(dir, 'worker.mjs');
  writeFileSync(script, `import { parentPort } from 'node:worker_threads';
    parentPort.postMessage(Object.getOwnPropertySymbols(globalThis).some((s) => s === Symbol.for('opentelemetry.js.api.1')));`);
  const worker = new Worker(script, {
    execArgv: ['--import', sdk],
    env: { ...process.env, OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' },
  });
  const [registered] = await once(worker, 'message');
  await worker.terminate();
  rmSync(dir, { recursive: true, force: true });
  assert.equal(registered, false, 'the OpenTelemetry API has globals registered in the worker');
});

it('does start the SDK in the main thread (the check above can fail)', async () => {
  const { spawnSync } = await import('node:child_process');
  const out = spawnSync(process.execPath, ['--import', sdk, '--input-type=module', '-e',
    `console.log(Object.getOwnPropertySymbols(globalThis).some((s) => s === Symbol.for('opentelemetry.js.api.1'))); process.exit(0);`],
  { env: { ...process.env, OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }, encoding: 'utf8' });
  assert.equal(out.stdout.trim(), 'true', out.stderr);
});
