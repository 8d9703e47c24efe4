// Load shedding: when the event loop lags past the limit, requests get 503 with Retry-After
// instead of piling up; liveness stays answered so an orchestrator does not kill a busy service.
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sendProblem } from './problems.ts';

export interface PressureOptions {
  maxEventLoopDelayMs: number;
  retryAfterSeconds: number;
}

async function pressure(app: FastifyInstance, options: PressureOptions) {
  if (options.maxEventLoopDelayMs <= 0) return;
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    retryAfter: options.retryAfterSeconds,
    pressureHandler: (request, reply, type) => {
      if (request.url === '/healthz') return;
      sendProblem(request, reply, {
        status: 503,
        type: 'overloaded',
        detail: `The service is overloaded (${type}); retry later`,
        headers: { 'retry-after': String(options.retryAfterSeconds) },
      });
    },
  });
}

export default fp(pressure, { name: 'pressure', fastify: '5.x' });
