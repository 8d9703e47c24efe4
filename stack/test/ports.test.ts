// The native stack refuses to start over a port that something else holds: a component that cannot
// bind (Alloy keeps running without its OTLP listener) would let telemetry go elsewhere unnoticed.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { assertPortsFree, components, startStack } from '../native.ts';

/** Listens on `port` (0: any free one); resolves undefined when the port is taken already. */
async function hold(port: number): Promise<Server | undefined> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  const [event] = await Promise.race([once(server, 'listening').then(() => ['listening']), once(server, 'error').then(() => ['error'])]);
  return event === 'listening' ? server : undefined;
}

it('names the component and the port that is taken, and passes free ports', async () => {
  const held = (await hold(0))!;
  const free = (await hold(0))!;
  const freePort = (free.address() as AddressInfo).port;
  free.close();
  await once(free, 'close');
  const runDir = mkdtempSync(join(tmpdir(), 'stack-ports-'));
  const [template] = components(runDir);
  try {
    const heldPort = (held.address() as AddressInfo).port;
    await assert.rejects(assertPortsFree([{ ...template, name: 'alloy', ports: [freePort, heldPort] }]), new RegExp(`alloy: port ${heldPort} on 127\\.0\\.0\\.1 is already in use`));
    await assertPortsFree([{ ...template, ports: [freePort] }]);
  } finally {
    held.close();
    rmSync(runDir, { recursive: true, force: true });
  }
});

it('refuses to start the stack while its OTLP port is taken', async () => {
  // Taken by this test, or already by a running stack: either way startStack must refuse.
  const squatter = await hold(4318);
  const runDir = mkdtempSync(join(tmpdir(), 'stack-ports-'));
  try {
    await assert.rejects(startStack(runDir), /port 4318 on 127\.0\.0\.1 is already in use/);
  } finally {
    squatter?.close();
    rmSync(runDir, { recursive: true, force: true });
  }
});
