// The real ingestor as a child process for the reliability tests: a temporary DATA_DIR, no
// telemetry SDK, and a port from 18300 up (the ports below belong to the stack and CI).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, createServer } from 'node:net';
import { startServiceProcess, type RunningService } from '../service/test/process.ts';
import { tempDir } from '../service/test/helpers.ts';

export const PROBLEM_TYPE = /^application\/problem\+json/;

async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  server.on('error', () => undefined);
  server.listen(port, '127.0.0.1');
  const [event] = await Promise.race([once(server, 'listening').then(() => ['listening']), once(server, 'error').then(() => ['error'])]);
  if (event === 'listening') {
    server.close();
    await once(server, 'close');
    return true;
  }
  return false;
}

/** The first free port at or above `from` (18300 by default), below 18400. */
export async function reliabilityPort(from = 18300): Promise<number> {
  for (let port = from; port < 18400; port++) if (await portIsFree(port)) return port;
  throw new Error(`no free port in ${from}..18399`);
}

export interface Ingestor extends RunningService {
  dataDir: string;
  /** SIGTERM (graceful), SIGKILL after 10 s; removes the data folder. */
  stop(): Promise<void>;
  /** Log lines at error or fatal level (pino 50/60): a 5xx or a crash leaves one. */
  errorLogs(): string[];
}

export async function startIngestor(env: Record<string, string> = {}, portFrom = 18300): Promise<Ingestor> {
  const dataDir = tempDir('ingestor-reliability-');
  const port = await reliabilityPort(portFrom);
  const running = await startServiceProcess({ DATA_DIR: dataDir, OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'warn', ...env, PORT: String(port) });
  return {
    ...running,
    dataDir,
    errorLogs: () => running.output().split('\n').filter((line) => /"level":(50|60)/.test(line)),
    async stop() {
      const { child } = running;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

/**
 * One HTTP request with node:http, which sends exactly the bytes and headers given (fetch would
 * add a content type, refuse some headers and re-encode the body). `chunked` sends the body
 * without Content-Length. The body is written in 64 KiB pieces with backpressure, and writing
 * stops once the answer has come: the server may answer 413 before it has read everything.
 */
export function rawRequest(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean },
): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (body && !options.chunked && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
    let answered = false;
    const req = httpRequest(
      { host: target.hostname, port: target.port, method: options.method ?? 'POST', path: options.path, headers, agent: false },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the answer is the server closing a connection whose body it refused.
      if (answered && (error.code === 'EPIPE' || error.code === 'ECONNRESET')) return;
      reject(error);
    });
    if (!body) {
      req.end();
      return;
    }
    if (options.chunked) req.flushHeaders();
    const step = 64 * 1024;
    let offset = 0;
    const write = () => {
      while (offset < body.length && !answered && !req.destroyed) {
        const piece = body.subarray(offset, offset + step);
        offset += piece.length;
        if (!req.write(piece)) {
          req.once('drain', write);
          return;
        }
      }
      if (!req.destroyed) req.end();
    };
    write();
  });
}

/**
 * Sends a large body over a bare socket and returns the answer, or status 0 when the connection
 * was closed without one. Once the service has refused a body (413) it closes the connection with
 * the rest unread; a client still writing then fails with EPIPE or a reset, and Node's socket
 * drops an answer it had not read yet (Node's server does no "lingering close"). So the body is
 * written in 64 KiB pieces, reading in between, and not at all once an answer has come; with
 * `headStartMs` the client waits that long after the headers before the first byte of body.
 */
export async function largeRequest(
  url: string,
  options: { path: string; headers: Record<string, string>; body: Buffer; chunked?: boolean; headStartMs?: number },
): Promise<RawResponse & { bodyBytesSent: number }> {
  const target = new URL(url);
  const socket = connect(Number(target.port), target.hostname);
  let received = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  socket.on('error', () => undefined); // EPIPE / ECONNRESET: the answer (or its absence) tells
  // Not events.once: it rejects when the socket emits 'error', which is expected here.
  const done = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  done.then(() => (closed = true));
  await once(socket, 'connect');
  const lines = [`POST ${options.path} HTTP/1.1`, `host: ${target.host}`, 'connection: close'];
  for (const [name, value] of Object.entries(options.headers)) lines.push(`${name}: ${value}`);
  lines.push(options.chunked ? 'transfer-encoding: chunked' : `content-length: ${options.body.length}`);
  socket.write(lines.join('\r\n') + '\r\n\r\n');
  const deadline = Date.now() + (options.headStartMs ?? 0);
  while (Date.now() < deadline && received.length === 0 && !closed) await new Promise((r) => setTimeout(r, 5));
  let sent = 0;
  while (sent < options.body.length && received.length === 0 && !closed) {
    const piece = options.body.subarray(sent, sent + 64 * 1024);
    const frame = options.chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
    sent += piece.length;
    if (!socket.write(frame)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), done]);
    await new Promise((r) => setImmediate(r));
  }
  if (options.chunked && sent >= options.body.length && received.length === 0 && !closed) socket.write('0\r\n\r\n');
  await done;
  const raw = received.toString('utf8');
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const match = /^HTTP\/1\.1 (\d{3})/.exec(head);
  if (!match) return { status: 0, headers: {}, text: raw, json: () => undefined, bodyBytesSent: sent };
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = Buffer.from(raw.slice(split + 4));
  const length = Number(headers['content-length']);
  const text = (Number.isFinite(length) ? rest.subarray(0, length) : rest).toString('utf8');
  return { status: Number(match[1]), headers, text, json: () => JSON.parse(text), bodyBytesSent: sent };
}

/** An RFC 9457 problem of this status, with no internals; returns its body. */
export function assertProblem(res: RawResponse, status: number, what = ''): any {
  assert.equal(res.status, status, `${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
  assert.match(String(res.headers['content-type']), PROBLEM_TYPE, `${what}: content type`);
  const body = res.json();
  assert.equal(body.status, status, `${what}: body.status`);
  assert.match(body.type, /^urn:problem:[a-z-]+$/, `${what}: type`);
  assert.equal(typeof body.title, 'string', `${what}: title`);
  assert.equal(body.stack, undefined, `${what}: no stack`);
  assert.doesNotMatch(res.text, /node_modules|at [A-Za-z.<>]+ \(/, `${what}: no stack frames`);
  return body;
}

/** A problem naming `field` in `errors`. */
export function assertFieldProblem(res: RawResponse, field: string, what = ''): any {
  const body = assertProblem(res, 400, what);
  const fields = (body.errors ?? []).map((e: { field: string }) => e.field);
  assert.ok(fields.includes(field), `${what}: errors should name ${field}, got ${JSON.stringify(fields)}`);
  return body;
}
