// An open-loop load generator: requests leave on a fixed schedule (`rate` per second, evenly
// spaced), whatever the answers do, over a pool of keep-alive connections. Latency is measured
// from when each request was due, so a slow server cannot hide its queue by slowing the client
// (no coordinated omission).
//
// autocannon's `overallRate` is not this: each connection sends back to back until its quota
// for the current second is used, then waits for the next second, so "half load" arrives as
// bursts at full speed and measures the latency of those bursts.
import { RawConnection, requestHead, type RawAnswer } from './raw-http.ts';

export interface PacedOptions {
  url: string;
  method?: string;
  path: string;
  body: () => string;
  rate: number;
  seconds: number;
  /**
   * Seconds sent at the same rate over the same connections before the measured ones, whose
   * answers are not reported (nor their lateness, nor their errors): the closed-loop phases have a
   * warm-up too. Without it the service's JIT saw this client's requests for the first time in the
   * measured window (docs/benchmarks.md, twelfth pass).
   */
  warmupSeconds?: number;
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
  /** When the request was due, in ms from the start of the measured run (after any warm-up). */
  dueMs: number;
}

export interface PacedResult {
  seconds: number;
  sent: number;
  /** Requests that got no answer: connection errors and timeouts. */
  errors: number;
  errorMessages: Record<string, number>;
  /**
   * The generator's own lateness: how long after its due time each request was handed to a
   * connection, at the 99th percentile. Latencies include it, so it is the floor under the p99
   * this generator can measure on this machine.
   */
  lateP99Ms: number;
}

/** Sends `rate` requests per second for `seconds`, calling `onAnswer` for each answer. */
export async function pacedLoad(options: PacedOptions, onAnswer: (answer: Answer) => void): Promise<PacedResult> {
  const target = new URL(options.url);
  const host = target.hostname;
  const port = Number(target.port || 80);
  const hostHeader = target.host;
  const method = options.method ?? 'POST';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = 1000 / options.rate;
  const warmupSeconds = options.warmupSeconds ?? 0;
  if (!(Number.isFinite(warmupSeconds) && warmupSeconds >= 0)) throw new RangeError(`warmupSeconds: a number of seconds >= 0, not ${options.warmupSeconds}`);
  const warmup = Math.round(options.rate * warmupSeconds);
  const total = warmup + Math.round(options.rate * options.seconds);
  const errorMessages: Record<string, number> = {};
  const lateness: number[] = [];
  let sent = 0;
  let errors = 0;

  const pool: RawConnection[] = [];
  const idle: RawConnection[] = [];
  const queue: Array<{ resolve: (connection: RawConnection) => void; reject: (error: Error) => void }> = [];
  const fail = (error: Error) => {
    errors++;
    const key = (error as NodeJS.ErrnoException).code ?? error.message;
    errorMessages[key] = (errorMessages[key] ?? 0) + 1;
  };
  const open = async (): Promise<RawConnection> => {
    const connection = new RawConnection(host, port);
    pool.push(connection);
    try {
      await connection.ready;
    } catch (error) {
      pool.splice(pool.indexOf(connection), 1); // a failed connect must not hold a slot
      throw error;
    }
    return connection;
  };
  const release = (connection: RawConnection) => {
    if (!connection.usable) {
      pool.splice(pool.indexOf(connection), 1);
      // Its slot is free: open one for the oldest waiter, or hand the waiter the reason it cannot.
      if (queue.length) open().then(release, (error) => queue.shift()?.reject(error));
      return;
    }
    const next = queue.shift();
    if (next) next.resolve(connection);
    else idle.push(connection);
  };
  const acquire = (): Promise<RawConnection> => {
    // Oldest idle first: every connection stays in use, so no server idle timeout closes one
    // under us; one closed while idle is dropped here.
    let connection = idle.shift();
    while (connection && !connection.usable) {
      pool.splice(pool.indexOf(connection), 1);
      connection = idle.shift();
    }
    if (connection) return Promise.resolve(connection);
    if (pool.length < options.connections) return open();
    return new Promise((resolve, reject) => queue.push({ resolve, reject }));
  };

  const send = async (dueAt: number, measured: boolean): Promise<void> => {
    if (measured) lateness.push(performance.now() - dueAt);
    const payload = options.body();
    let connection: RawConnection;
    try {
      connection = await acquire();
    } catch (error) {
      if (measured) fail(error as Error);
      return;
    }
    try {
      const answer: RawAnswer = await connection.send(requestHead(method, hostHeader, options.path, payload), payload, timeoutMs);
      if (measured) onAnswer({ ...answer, latencyMs: performance.now() - dueAt, dueMs: dueAt - measuredFrom });
    } catch (error) {
      if (measured) fail(error as Error);
    } finally {
      release(connection);
    }
  };

  // Open the connections before the clock starts, with one GET /healthz each, so that the first
  // second measures the server rather than a burst of TCP handshakes (existing clients speeding
  // up, as in a real surge, rather than hundreds of new ones arriving at once).
  await Promise.all(Array.from({ length: options.connections }, async () => {
    try {
      const connection = await open();
      await connection.send(requestHead('GET', hostHeader, '/healthz', ''), '', timeoutMs);
      release(connection);
    } catch {
      // counted when a request needs it
    }
  }));
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const connection of pool) connection.expire(now);
  }, 100);
  const started = performance.now();
  const measuredFrom = started + warmup * intervalMs;
  const inFlight = new Set<Promise<void>>();
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      // Everything due by now leaves now, each with its own due time.
      while (sent < total && started + sent * intervalMs <= now) {
        const p = send(started + sent * intervalMs, sent >= warmup);
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
  clearInterval(sweep);
  for (const connection of pool) connection.destroy();
  lateness.sort((a, b) => a - b);
  return { seconds: (performance.now() - measuredFrom) / 1000, sent: sent - warmup, errors, errorMessages, lateP99Ms: percentile(lateness, 99) };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
