// The OTLP export thread against real HTTP and HTTPS servers: what one POST sends and how each
// answer is classified, TLS from the standard variables, the relay's thread (closed, or dying),
// the SDK's retry policy through the relay, and the exporters' protocols, paths and temporality.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { AggregationTemporality, InstrumentType } from '@opentelemetry/sdk-metrics';
import { TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { ExportRelay, exportSender, exportTransport } from '../src/telemetry/export-relay.ts';
import { post, retryAfterMillis } from '../src/telemetry/export-relay-worker.ts';
import { metricExporter, tlsFromEnv, traceExporter } from '../src/telemetry/exporters.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A collector stand-in that records requests and answers with the next queued reply (200 when none). */
let server: Server;
let base: string;
const received: Received[] = [];
const replies: Array<(res: ServerResponse) => void> = [];

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
      const reply = replies.shift();
      if (reply) reply(res);
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());
beforeEach(() => {
  received.length = 0;
  replies.length = 0;
});

const body = new Uint8Array([10, 20, 30, 40]);
const request = (overrides: Partial<Parameters<typeof post>[0]> = {}) => ({
  url: `${base}/v1/traces`,
  headers: { 'Content-Type': 'application/x-protobuf', 'x-tenant': 'kit' },
  compression: 'none' as const,
  body,
  timeoutMillis: 2000,
  ...overrides,
});

describe('one POST (export-relay-worker.ts)', () => {
  it('sends the bytes, the headers and the path', async () => {
    const result = await post(request());
    assert.equal(result.status, 'success');
    assert.equal(received.length, 1);
    assert.equal(received[0].method, 'POST');
    assert.equal(received[0].url, '/v1/traces');
    assert.equal(received[0].headers['content-type'], 'application/x-protobuf');
    assert.equal(received[0].headers['x-tenant'], 'kit');
    assert.deepEqual([...received[0].body], [...body]);
  });

  it('gzips the body when compression is gzip', async () => {
    assert.equal((await post(request({ compression: 'gzip' }))).status, 'success');
    assert.equal(received[0].headers['content-encoding'], 'gzip');
    assert.deepEqual([...gunzipSync(received[0].body)], [...body]);
  });

  it('answers retryable on 503 with the Retry-After delay, and failure on 400 with the body', async () => {
    replies.push((res) => res.writeHead(503, { 'retry-after': '2' }).end());
    replies.push((res) => res.writeHead(400).end('bad payload'));
    const busy = await post(request());
    assert.deepEqual([busy.status, busy.statusCode, busy.retryInMillis], ['retryable', 503, 2000]);
    const bad = await post(request());
    assert.deepEqual([bad.status, bad.statusCode], ['failure', 400]);
    assert.match(bad.error!, /bad payload/);
  });

  it('answers retryable when nothing listens and when the collector does not answer in time', async () => {
    const idle = createServer();
    idle.listen(0, '127.0.0.1');
    await once(idle, 'listening');
    const port = (idle.address() as AddressInfo).port;
    idle.close();
    await once(idle, 'close');
    const refused = await post(request({ url: `http://127.0.0.1:${port}/v1/traces` }));
    assert.equal(refused.status, 'retryable', refused.error);

    replies.push(() => {}); // never answers
    const slow = await post(request({ timeoutMillis: 100 }));
    assert.deepEqual([slow.status, slow.error], ['retryable', 'request timed out']);
  });

  it('answers failure for an endpoint that is not a URL', async () => {
    assert.equal((await post(request({ url: 'not a url' }))).status, 'failure');
  });

  it('reads Retry-After as the SDK does: whole seconds, or an HTTP date', () => {
    assert.equal(retryAfterMillis('3'), 3000);
    assert.equal(retryAfterMillis('1.5'), 1000);
    assert.equal(retryAfterMillis('0'), -1, 'retry at once');
    assert.equal(retryAfterMillis(undefined), undefined);
    assert.equal(retryAfterMillis('soon'), 0);
    const inTenSeconds = retryAfterMillis(new Date(Date.now() + 10_000).toUTCString())!;
    assert.ok(inTenSeconds > 8000 && inTenSeconds <= 10_000, String(inTenSeconds));
  });

  it('answers failure, without throwing, for a header value that cannot be sent', async () => {
    const result = await post(request({ headers: { 'x-bad': 'line\nbreak' } }));
    assert.equal(result.status, 'failure');
    assert.match(result.error!, /header/i);
    assert.equal(received.length, 0);
  });

  it('hands back a 2xx answer\'s body, and counts a 2xx cut short as sent', async () => {
    replies.push((res) => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from([8, 1])));
    const ok = await post(request());
    assert.deepEqual([...ok.data!], [8, 1]);
    replies.push((res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial', () => res.socket!.destroy());
    });
    assert.equal((await post(request())).status, 'success');
  });
});

describe('TLS from the standard variables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  let tlsServer: HttpsServer;
  let tlsBase: string;
  before(async () => {
    // A self-signed certificate for 127.0.0.1: trusted only when given as the CA.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    tlsServer = createHttpsServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    tlsServer.listen(0, '127.0.0.1');
    await once(tlsServer, 'listening');
    tlsBase = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
  });
  after(() => {
    tlsServer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the CA, client certificate and key files, the signal-specific variable first', () => {
    writeFileSync(join(dir, 'other.pem'), 'other');
    const tls = tlsFromEnv('TRACES', { OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 'other.pem'), OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: certFile, OTEL_EXPORTER_OTLP_CLIENT_KEY: keyFile });
    assert.equal(tls.ca, readFileSync(certFile, 'utf8'));
    assert.equal(tls.key, readFileSync(keyFile, 'utf8'));
    assert.equal(tls.cert, undefined);
    assert.equal(tlsFromEnv('LOGS', { OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 'other.pem') }).ca, 'other');
  });

  it('trusts a collector whose certificate is the configured CA, and only then', async () => {
    const url = `${tlsBase}/v1/traces`;
    assert.equal((await post(request({ url, tls: tlsFromEnv('TRACES', { OTEL_EXPORTER_OTLP_CERTIFICATE: certFile }) }))).status, 'success');
    const untrusted = await post(request({ url }));
    assert.equal(untrusted.status, 'failure');
    assert.match(untrusted.error!, /self[- ]signed/i);
  });
});

describe('the relay and its thread', () => {
  it('posts through its thread and answers failure once closed', async () => {
    const relay = new ExportRelay();
    assert.equal((await relay.send(request())).status, 'success');
    assert.equal(received.length, 1);
    await relay.close();
    assert.equal((await relay.send(request())).status, 'failure');
    assert.equal(received.length, 1, 'nothing sent after close');
  });

  it('answers failure for an export in flight when closed', async () => {
    const relay = new ExportRelay();
    replies.push(() => {}); // never answers
    const inFlight = relay.send(request());
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await relay.close();
    assert.equal((await inFlight).status, 'failure');
  });

  it('keeps its thread when an export cannot be sent (a bad header fails that export only)', async () => {
    const relay = new ExportRelay();
    try {
      assert.equal((await relay.send(request({ headers: { 'x-bad': 'line\nbreak' } }))).status, 'failure');
      assert.equal((await relay.send(request())).status, 'success');
    } finally {
      await relay.close();
    }
  });

  it('answers retryable when its thread dies, and starts a new one for the next export', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-'));
    const script = join(dir, 'dying-relay.mjs');
    // Exits on a request for /die; otherwise relays for real.
    writeFileSync(script, `import { parentPort } from 'node:worker_threads';
      import { post } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../src/telemetry/export-relay-worker.ts')).href)};
      parentPort.on('message', async (r) => { if (r.url.endsWith('/die')) process.exit(3); parentPort.postMessage({ id: r.id, ...(await post(r)) }); });`);
    const relay = new ExportRelay(pathToFileURL(script));
    try {
      const lost = await relay.send(request({ url: `${base}/die` }));
      assert.equal(lost.status, 'retryable');
      assert.match(lost.error!, /exited with code 3/);
      assert.equal((await relay.send(request())).status, 'success', 'a new thread relays the next export');
      assert.deepEqual(received.map((r) => r.url), ['/v1/traces']);
    } finally {
      await relay.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

it('sends from the main thread with INGEST_EXPORT_THREAD=false, and from the thread otherwise', async () => {
  const direct = exportSender({ INGEST_EXPORT_THREAD: 'false' });
  const threaded = exportSender({});
  try {
    assert.ok(!(direct instanceof ExportRelay));
    assert.ok(threaded instanceof ExportRelay);
    assert.equal((await direct.send(request())).status, 'success');
    assert.equal(received.length, 1);
  } finally {
    await direct.close();
    await threaded.close();
  }
});

describe('the retry policy (exportTransport)', () => {
  const relay = new ExportRelay();
  after(() => relay.close());
  const target = { url: `http://placeholder/v1/logs`, headers: async () => ({ 'Content-Type': 'application/x-protobuf' }), compression: 'none' as const };

  it('retries a retryable answer and succeeds', async () => {
    replies.push((res) => res.writeHead(503, { 'retry-after': '0' }).end());
    replies.push((res) => res.writeHead(429, { 'retry-after': '0' }).end());
    const response = await exportTransport(relay, { ...target, url: `${base}/v1/logs` }).send(body, 5000);
    assert.equal(response.status, 'success');
    assert.equal(received.length, 3);
    assert.match(String(received[0].headers['user-agent']), /observability-kit/);
  });

  it('does not retry a failure, nor past the export timeout', async () => {
    replies.push((res) => res.writeHead(400).end());
    assert.equal((await exportTransport(relay, { ...target, url: `${base}/v1/logs` }).send(body, 5000)).status, 'failure');
    assert.equal(received.length, 1);

    replies.push((res) => res.writeHead(503, { 'retry-after': '30' }).end());
    const started = Date.now();
    const response = await exportTransport(relay, { ...target, url: `${base}/v1/logs` }).send(body, 1000);
    assert.equal(response.status, 'retryable');
    assert.equal(received.length, 2, 'a 30 s Retry-After does not fit in a 1 s timeout: no second attempt');
    assert.ok(Date.now() - started < 1000);
  });

  it('sends no retry once the export timeout has passed', async () => {
    replies.push(() => {}); // never answers: the attempt times out and uses up the whole timeout
    const response = await exportTransport(relay, { ...target, url: `${base}/v1/logs` }).send(body, 300);
    assert.equal(response.status, 'retryable');
    assert.equal(received.length, 1);
  });
});

describe('the exporters', () => {
  const relay = new ExportRelay();
  const saved = { ...process.env };
  before(() => {
    // The SDK's configuration reads the endpoint from the process environment.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = base;
  });
  after(async () => {
    process.env = saved;
    await relay.close();
  });

  const oneSpan = (): ReadableSpan[] => {
    const spans: ReadableSpan[] = [];
    const provider = new TracerProvider({ spanProcessors: [{ onStart() {}, onEnd: (s) => spans.push(s), forceFlush: async () => {}, shutdown: async () => {} }] });
    provider.getTracer('test').startSpan('relay me', { kind: SpanKind.SERVER }, ROOT_CONTEXT).end();
    return spans;
  };
  const exportWith = (exporter: SpanExporter) =>
    new Promise<ExportResultCode>((resolve) => exporter.export(oneSpan(), (result) => resolve(result.code)));

  it('sends protobuf to /v1/traces by default, and JSON when the protocol says so', async () => {
    assert.equal(await exportWith(traceExporter({}, relay)), ExportResultCode.SUCCESS);
    assert.equal(received[0].url, '/v1/traces');
    assert.equal(received[0].headers['content-type'], 'application/x-protobuf');
    assert.ok(received[0].body.includes(Buffer.from('relay me')));

    assert.equal(await exportWith(traceExporter({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }, relay)), ExportResultCode.SUCCESS);
    assert.equal(received[1].headers['content-type'], 'application/json');
    const json = JSON.parse(received[1].body.toString());
    assert.equal(json.resourceSpans[0].scopeSpans[0].spans[0].name, 'relay me');
  });

  it('asks for the temporality OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE gives', () => {
    assert.equal(metricExporter({}, relay).selectAggregationTemporality!(InstrumentType.HISTOGRAM), AggregationTemporality.CUMULATIVE);
    process.env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE = 'delta';
    assert.equal(metricExporter({}, relay).selectAggregationTemporality!(InstrumentType.HISTOGRAM), AggregationTemporality.DELTA);
  });
});
