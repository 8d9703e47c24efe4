// The OTLP export thread: POSTs the bytes the main thread's exporters serialized and answers how
// it went. Why a thread: export requests on the main thread ran Node's HTTP client through the
// same http, net and stream functions as the server's requests, and the extra object shapes made
// V8 compile those functions for more shapes, slowing every request (docs/benchmarks.md).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { parentPort } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';

export interface RelayRequest {
  id: number;
  url: string;
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
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
}

export type RelayResponse = RelayResult & { id: number };

// The OTLP/HTTP specification's retryable statuses and the exporter's retryable network errors.
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_NETWORK_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH']);
/** A collector's answer is a small protobuf or JSON message; more is not read. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** Seconds or an HTTP date, as Retry-After allows; undefined when absent or unreadable. */
export function retryAfterMillis(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(at - Date.now(), 0);
}

function fromResponse(res: IncomingMessage, body: Buffer): RelayResult {
  const statusCode = res.statusCode ?? 0;
  if (statusCode >= 200 && statusCode <= 299) return { status: 'success', statusCode };
  const detail = `${statusCode} ${res.statusMessage ?? ''} ${body.toString('utf8', 0, 512)}`.trim();
  if (RETRYABLE_STATUS.has(statusCode)) {
    return { status: 'retryable', statusCode, error: detail, retryInMillis: retryAfterMillis(res.headers['retry-after']) };
  }
  return { status: 'failure', statusCode, error: detail };
}

/** One POST, no retries (the main thread's transport decides those). */
export function post(request: Omit<RelayRequest, 'id'>): Promise<RelayResult> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: RelayResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return settle({ status: 'failure', error: `not a URL: ${request.url}` });
    }
    const https = url.protocol === 'https:';
    const body = request.compression === 'gzip' ? gzipSync(request.body) : request.body;
    const headers: Record<string, string | number> = { ...request.headers, 'Content-Length': body.byteLength };
    if (request.compression === 'gzip') headers['Content-Encoding'] = 'gzip';
    const send = https ? httpsRequest : httpRequest;
    const req = send(url, { method: 'POST', headers, agent: https ? agents.https : agents.http }, (res) => {
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
      res.on('end', () => settle(fromResponse(res, Buffer.concat(chunks))));
      res.on('error', (error) => settle({ status: 'retryable', statusCode: res.statusCode, error: error.message }));
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
