// The OTLP export thread: POSTs the bytes the main thread's exporters serialized and answers how
// it went. Why a thread: export requests on the main thread ran Node's HTTP client through the
// same http, net and stream functions as the server's requests, and the extra object shapes made
// V8 compile those functions for more shapes, slowing every request (docs/benchmarks.md).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { parentPort } from 'node:worker_threads';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

/** PEM files from OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE, _CLIENT_CERTIFICATE and _CLIENT_KEY. */
export interface RelayTls {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface RelayRequest {
  id: number;
  url: string;
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  tls?: RelayTls;
  body: Uint8Array;
  timeoutMillis: number;
}

/** A plain-object ExportResponse (errors do not cross threads as Error instances). */
export interface RelayResult {
  status: 'success' | 'retryable' | 'failure';
  /** From Retry-After on a retryable status. */
  retryInMillis?: number;
  error?: string;
  statusCode?: number;
  /** A 2xx answer's body: the SDK reads OTLP partial-success messages from it. */
  data?: Uint8Array;
}

export type RelayResponse = RelayResult & { id: number };

// What follows mirrors the SDK's own Node transport (sendWithHttp in @opentelemetry/otlp-exporter-base,
// not exported): its retryable statuses and network errors, its 4 MiB answer cap, its Retry-After
// reading and its handling of an answer cut short. Keep them in step when the SDK changes.
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_NETWORK_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH']);
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

const gzip = promisify(gzipCallback);

const httpAgent = new HttpAgent({ keepAlive: true });
/** One keep-alive agent per TLS setting (in practice one: the settings come from the environment). */
const httpsAgents = new Map<string, HttpsAgent>();
function httpsAgent(tls: RelayTls = {}): HttpsAgent {
  const key = JSON.stringify([tls.ca, tls.cert, tls.key]);
  let agent = httpsAgents.get(key);
  if (!agent) httpsAgents.set(key, (agent = new HttpsAgent({ keepAlive: true, ...tls })));
  return agent;
}

/** Whole seconds or an HTTP date, as the SDK reads Retry-After; undefined when absent. */
export function retryAfterMillis(value: string | undefined): number | undefined {
  if (value == null) return undefined;
  const seconds = Number.parseInt(value, 10);
  if (Number.isInteger(seconds)) return seconds > 0 ? seconds * 1000 : -1; // -1: retry at once
  const delay = new Date(value).getTime() - Date.now();
  return delay >= 0 ? delay : 0;
}

function fromStatus(res: IncomingMessage, body: Buffer): RelayResult {
  const statusCode = res.statusCode ?? 0;
  if (statusCode >= 200 && statusCode <= 299) return { status: 'success', statusCode, data: body };
  const detail = `${statusCode} ${res.statusMessage ?? ''} ${body.toString('utf8', 0, 512)}`.trim();
  if (RETRYABLE_STATUS.has(statusCode)) {
    return { status: 'retryable', statusCode, error: detail, retryInMillis: retryAfterMillis(res.headers['retry-after']) };
  }
  return { status: 'failure', statusCode, error: detail };
}

/** One POST, no retries (the transport decides those). Never rejects. */
export async function post(request: Omit<RelayRequest, 'id'>): Promise<RelayResult> {
  try {
    const body = request.compression === 'gzip' ? await gzip(request.body) : request.body;
    return await send(request, body);
  } catch (error) {
    // A malformed header value or an endpoint that is not http(s): no retry will fix it.
    return { status: 'failure', error: error instanceof Error ? error.message : String(error) };
  }
}

function send(request: Omit<RelayRequest, 'id'>, body: Uint8Array): Promise<RelayResult> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: RelayResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const url = new URL(request.url);
    const https = url.protocol === 'https:';
    if (!https && url.protocol !== 'http:') throw new Error(`not an http(s) endpoint: ${request.url}`);
    const headers: Record<string, string | number> = { ...request.headers, 'Content-Length': body.byteLength };
    if (request.compression === 'gzip') headers['Content-Encoding'] = 'gzip';
    const options = { method: 'POST', headers, agent: https ? httpsAgent(request.tls) : httpAgent };
    const req = (https ? httpsRequest : httpRequest)(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          settle({ status: 'failure', statusCode: res.statusCode, error: `response body over ${MAX_RESPONSE_BYTES} bytes` });
          res.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => settle(fromStatus(res, Buffer.concat(chunks))));
      // An answer cut short still says how the export went: its status decides, as in the SDK.
      res.on('error', (error) => {
        const result = fromStatus(res, Buffer.alloc(0));
        settle(result.status === 'success' ? { status: 'success', statusCode: res.statusCode } : { ...result, error: error.message });
      });
    });
    req.setTimeout(Math.max(request.timeoutMillis, 1), () => {
      req.destroy();
      settle({ status: 'retryable', error: 'request timed out' });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      settle({ status: error.code && RETRYABLE_NETWORK_ERRORS.has(error.code) ? 'retryable' : 'failure', error: error.message });
    });
    req.end(body);
  });
}

// Serves only as a thread's entry module, so tests can import `post` without side effects.
if (parentPort && import.meta.main) {
  const port = parentPort;
  port.on('message', async (request: RelayRequest) => {
    const result = await post(request);
    port.postMessage({ id: request.id, ...result } satisfies RelayResponse);
  });
}
