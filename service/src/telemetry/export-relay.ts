// The main thread's side of the OTLP export thread (export-relay-worker.ts): a relay that hands it
// serialized requests and resolves with its answers, the same POST run in the main thread for
// INGEST_EXPORT_THREAD=false, and the exporter transport that retries through either as the SDK's
// own HTTP transport does.
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { siblingModule } from '../sibling-module.ts';
import { post, type RelayRequest, type RelayResponse, type RelayResult, type RelayTls } from './export-relay-worker.ts';

/** Runs the exporters' POSTs. Never rejects: every outcome is a RelayResult. */
export interface ExportSender {
  send(request: Omit<RelayRequest, 'id'>): Promise<RelayResult>;
  close(): Promise<void>;
}

/**
 * The export thread unless INGEST_EXPORT_THREAD=false. The thread costs about 20 MiB of memory;
 * without it the main thread runs the POSTs and every request pays for it (docs/benchmarks.md).
 */
export function exportSender(env: Record<string, string | undefined>): ExportSender {
  if (env.INGEST_EXPORT_THREAD?.trim().toLowerCase() === 'false') return { send: post, close: async () => {} };
  return new ExportRelay();
}

export class ExportRelay implements ExportSender {
  /** The thread's module; tests give one that misbehaves. */
  readonly #script: URL;
  #worker: Worker | undefined;
  #pending = new Map<number, (result: RelayResult) => void>();
  #nextId = 0;
  #closed = false;

  constructor(script = siblingModule('export-relay-worker', import.meta.url)) {
    this.#script = script;
  }

  /** One POST on the export thread. Never rejects: a lost thread answers `retryable`. */
  send(request: Omit<RelayRequest, 'id'>): Promise<RelayResult> {
    if (this.#closed) return Promise.resolve({ status: 'failure', error: 'the export relay is closed' });
    const worker = (this.#worker ??= this.#spawn());
    const id = ++this.#nextId;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      // Referenced only while an export is in flight: a final flush at shutdown is not cut short,
      // and an idle relay does not keep the process up.
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ ...request, id } satisfies RelayRequest);
    });
  }

  /** Ends the thread; exports still in flight answer `failure`. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#failPending('the export relay is closed', 'failure');
    await worker?.terminate();
  }

  #spawn(): Worker {
    // No execArgv: `--import` would load the SDK's module graph into the thread for nothing.
    // Named for the OS too (top -H, /proc/<pid>/task/*/comm), as the store's writer is.
    const worker = new Worker(this.#script, { execArgv: [], name: 'otlp-export' });
    worker.unref();
    worker.on('message', ({ id, ...result }: RelayResponse) => this.#settle(id, result));
    const lost = (reason: string) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined; // the next send starts a new thread
      diag.warn(`OTLP export thread lost: ${reason}`);
      this.#failPending(reason, 'retryable');
    };
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exited with code ${code}`));
    return worker;
  }

  #settle(id: number, result: RelayResult): void {
    const resolve = this.#pending.get(id);
    if (!resolve) return;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker?.unref();
    resolve(result);
  }

  #failPending(error: string, status: 'retryable' | 'failure'): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, { status, error });
  }
}

export interface RelayTarget {
  url: string;
  headers: () => Promise<Record<string, string>>;
  compression: 'gzip' | 'none';
  tls?: RelayTls;
}

// The SDK's retry policy for OTLP/HTTP (RetryingTransport in @opentelemetry/otlp-exporter-base, not
// exported), mirrored: up to 5 retries, backoff from 1 s by 1.5x up to 5 s, ±20% jitter, a
// Retry-After from the collector taking precedence, all within the export's timeout.
const MAX_RETRIES = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const jittered = (ms: number) => Math.min(ms * (1 + (Math.random() * 0.4 - 0.2)), MAX_BACKOFF_MS);

const USER_AGENT = 'observability-kit-ingestor (OTLP export thread)';

function toExportResponse(result: RelayResult): ExportResponse {
  if (result.status === 'success') return { status: 'success', data: result.data };
  const error = new Error(result.error ?? 'OTLP export failed');
  return result.status === 'retryable' ? { status: 'retryable', error, retryInMillis: result.retryInMillis } : { status: 'failure', error };
}

/** An exporter transport that sends through `sender`, retrying as the SDK's HTTP transport does. */
export function exportTransport(sender: ExportSender, target: RelayTarget): IExporterTransport {
  return {
    async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
      const deadline = Date.now() + timeoutMillis;
      const headers = { ...(await target.headers()), 'User-Agent': USER_AGENT };
      let backoff = INITIAL_BACKOFF_MS;
      let result: RelayResult | undefined;
      for (let retries = 0; ; retries++) {
        const remaining = deadline - Date.now();
        // A retry is only sent while time is left (the first attempt always is).
        if (result && remaining <= 0) return toExportResponse(result);
        result = await sender.send({ url: target.url, headers, compression: target.compression, tls: target.tls, body: data, timeoutMillis: remaining });
        if (result.status !== 'retryable' || retries === MAX_RETRIES) return toExportResponse(result);
        const wait = Math.max(result.retryInMillis ?? jittered(backoff), 0);
        backoff *= 1.5;
        if (wait > deadline - Date.now()) return toExportResponse(result);
        await sleep(wait);
      }
    },
    shutdown() {},
  };
}
