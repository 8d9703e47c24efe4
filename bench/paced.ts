// An open-loop load generator: requests leave on a fixed schedule (`rate` per second, evenly
// spaced), whatever the answers do, over a pool of keep-alive connections. Latency is measured
// from when each request was due, so a slow server cannot hide its queue by slowing the client
// (no coordinated omission).
//
// autocannon's `overallRate` is not this: each connection sends back to back until its quota
// for the current second is used, then waits for the next second, so "half load" arrives as
// bursts at full speed and measures the latency of those bursts.
import { Agent, request } from 'node:http';

export interface PacedOptions {
  url: string;
  method?: string;
  path: string;
  body: () => string;
  rate: number;
  seconds: number;
  /** Keep-alive connections; a request due while all are busy waits for one (and that wait counts). */
  connections: number;
  timeoutMs?: number;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** From when the request was due to the end of the answer. */
  latencyMs: number;
  /** When the request was due, in ms from the start of the run. */
  dueMs: number;
}

export interface PacedResult {
  seconds: number;
  sent: number;
  /** Requests that got no answer: connection errors and timeouts. */
  errors: number;
  errorMessages: Record<string, number>;
}

/** Sends `rate` requests per second for `seconds`, calling `onAnswer` for each answer. */
export async function pacedLoad(options: PacedOptions, onAnswer: (answer: Answer) => void): Promise<PacedResult> {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const intervalMs = 1000 / options.rate;
  const total = Math.round(options.rate * options.seconds);
  const errorMessages: Record<string, number> = {};
  let sent = 0;
  let errors = 0;

  const send = (dueAt: number) => new Promise<void>((resolve) => {
    const payload = options.body();
    const req = request({
      agent, host: target.hostname, port: target.port, method: options.method ?? 'POST', path: options.path,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      timeout: options.timeoutMs ?? 30_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        onAnswer({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), latencyMs: performance.now() - dueAt, dueMs: dueAt - started });
        resolve();
      });
      res.on('error', fail);
    });
    function fail(error: Error) {
      errors++;
      const key = (error as NodeJS.ErrnoException).code ?? error.message;
      errorMessages[key] = (errorMessages[key] ?? 0) + 1;
      resolve();
    }
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end(payload);
  });

  // Open the connections before the clock starts, with one GET /healthz each, so that the first
  // second measures the server rather than a burst of TCP handshakes (existing clients speeding
  // up, as in a real surge, rather than hundreds of new ones arriving at once).
  await Promise.all(Array.from({ length: options.connections }, () => new Promise<void>((resolve) => {
    request({ agent, host: target.hostname, port: target.port, path: '/healthz' }, (res) => res.resume().on('end', resolve))
      .on('error', () => resolve()).end();
  })));
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      // Everything due by now leaves now, each with its own due time.
      while (sent < total && started + sent * intervalMs <= now) {
        const p = send(started + sent * intervalMs);
        sent++;
        inFlight.add(p);
        p.then(() => inFlight.delete(p));
      }
      if (sent >= total) return done();
      setTimeout(tick, Math.max(0, Math.min(1, started + sent * intervalMs - performance.now())));
    };
    tick();
  });
  await Promise.all(inFlight);
  agent.destroy();
  return { seconds: (performance.now() - started) / 1000, sent, errors, errorMessages };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
