// Liveness answers while the process runs; readiness only while the store answers.
import type { FastifyInstance } from 'fastify';
import { Health, problemResponses } from '../schemas/responses.ts';
import type { RecordStore } from '../store/store.ts';
import { sendProblem } from '../plugins/problems.ts';

export default async function healthRoutes(app: FastifyInstance, options: { store: RecordStore }) {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['health'], response: { 200: Health } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Readiness: the store answers', tags: ['health'], response: { 200: Health, ...problemResponses(503) } } },
    async (request, reply) => {
      if (options.store.ready()) return { status: 'ready' };
      return sendProblem(request, reply, { status: 503, type: 'not-ready', detail: 'The store does not answer', headers: { 'retry-after': '5' } });
    });
}
