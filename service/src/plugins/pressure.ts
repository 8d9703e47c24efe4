// Load shedding. A request is refused with 503 and Retry-After, before its body is parsed, when
//  - `maxInFlight` requests, or request bodies of `maxInFlightBytes` in all, are already being
//    handled: past capacity, the excess is answered at once (a 503 costs a fraction of an ingest)
//    so admitted requests keep a bounded latency (Little's law: work in flight / rate) and their
//    parsed bodies a bounded share of the heap. Under overload, half of the bytes (in-flight-bytes.ts);
//  - the event loop lags: requests then wait in the kernel before the service even sees them, so
//    counting them in flight is not enough. Shedding until the lag clears drains that queue;
//  - the V8 heap is nearly full: a 503 instead of running out of memory.
// Liveness and readiness probes are never refused, so an orchestrator does not kill a busy service.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { EventLoopLag } from './event-loop-lag.ts';
import { InFlightBytes } from './in-flight-bytes.ts';
import { sendProblem } from './problems.ts';
import { useResponseClosed } from './response-closed.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body bytes an admitted request counts against the budget until it ends; -1 when not admitted. */
    inFlightBytes: number;
  }
}

export interface PressureOptions {
  /** Requests handled at once; 0 turns the limit off. */
  maxInFlight: number;
  /** Sum of the Content-Length of the requests handled at once; 0 turns the limit off. */
  maxInFlightBytes: number;
  /** How long bodies are refused, without a pause of `overloadPauseMs`, before only half of `maxInFlightBytes` is admitted; 200 ms by default. */
  overloadAfterMs?: number;
  /** A pause in the refusals that ends the overload; 100 ms by default. */
  overloadPauseMs?: number;
  /** The body limit, counted for a request that does not declare its length. */
  bodyLimitBytes: number;
  /** Smoothed event-loop lag (event-loop-lag.ts) above which requests are refused; 0 turns it off. */
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
  retryAfterSeconds: number;
}

const PROBES = new Set(['/healthz', '/readyz']);

async function pressure(app: FastifyInstance, options: PressureOptions) {
  const maxRequests = options.maxInFlight || Infinity;
  const maxLag = options.maxEventLoopDelayMs || Infinity;
  const maxHeap = options.maxHeapUsedBytes || Infinity;
  // Capped at twice the limit: one long turn adds 0.3 x 2 x limit, under the limit; two in a row trip it.
  const monitor = new EventLoopLag({ capMs: 2 * (options.maxEventLoopDelayMs || 100) });
  monitor.start();
  app.addHook('onClose', async () => monitor.stop());

  let requests = 0;
  // A burst's refusals last a few milliseconds; under overload they never pause for 100 ms.
  const bodies = new InFlightBytes(options.maxInFlightBytes || Infinity, {
    overloadAfterMs: options.overloadAfterMs ?? 200,
    pauseMs: options.overloadPauseMs ?? 100,
  });
  app.decorateRequest('inFlightBytes', -1);
  await useResponseClosed(app);
  // A request gives its place back when its response closes, however it ends (response-closed.ts
  // says why not Fastify's hooks): clients that hung up once held theirs for ever, and enough of
  // them shed every request (docs/benchmarks.md, ninth pass).
  app.onResponseClosed((request) => {
    if (request.inFlightBytes < 0) return;
    requests--;
    bodies.remove(request.inFlightBytes);
    request.inFlightBytes = -1;
  });

  /** Why a request of `size` body bytes is refused now, or undefined when it is admitted. */
  const refusal = (size: number): string | undefined => {
    if (requests >= maxRequests) return 'too many requests in flight';
    if (!bodies.fits(size)) return 'too many request bytes in flight';
    if (monitor.lagMs > maxLag) return 'event loop lagging';
    if (monitor.heapUsedBytes > maxHeap) return 'heap nearly full';
    return undefined;
  };

  app.addHook('onRequest', (request, reply, done) => {
    if (PROBES.has(request.url)) return done();
    const declared = Number(request.headers['content-length'] ?? (request.headers['transfer-encoding'] ? NaN : 0));
    const size = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, options.bodyLimitBytes) : options.bodyLimitBytes;
    const why = refusal(size);
    if (why) {
      // Answered here: done() is not called.
      sendProblem(request, reply, {
        status: 503,
        type: 'overloaded',
        detail: `The service is overloaded (${why}); retry later`,
        headers: { 'retry-after': String(options.retryAfterSeconds) },
      });
      return;
    }
    requests++;
    bodies.add(size);
    request.inFlightBytes = size;
    app.watchResponseClosed(request, reply);
    done();
  });
}

export default fp(pressure, { name: 'pressure', fastify: '5.x' });
