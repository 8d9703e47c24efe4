// API keys for the /v1/* routes: `Authorization: Bearer <key>` or `x-api-key: <key>`, compared in
// constant time against every configured key. Health and documentation endpoints stay open.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sendProblem } from './problems.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares digests (equal lengths) with every key, without stopping early on a match. */
export function keyMatches(candidate: string, keyDigests: Buffer[]): boolean {
  const candidateDigest = digest(candidate);
  let match = false;
  for (const key of keyDigests) match = timingSafeEqual(candidateDigest, key) || match;
  return match;
}

function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) return apiKey;
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  return undefined;
}

async function auth(app: FastifyInstance, options: { apiKeys: string[] }) {
  if (options.apiKeys.length === 0) return;
  const keyDigests = options.apiKeys.map(digest);
  app.addHook('onRequest', async (request, reply) => {
    // Decided by the route that matched, not by the raw URL: the router also matches a
    // percent-encoded path (/%761/transactions) and an absolute-form target
    // (POST http://host/v1/transactions), which a prefix test on request.url let through keyless.
    // An unmatched /v1/ path needs a key too, as before: without one it gets 401, not 404.
    const path = request.is404 ? request.url : request.routeOptions.url;
    if (!path?.startsWith('/v1/')) return;
    const key = presentedKey(request.headers);
    if (key !== undefined && keyMatches(key, keyDigests)) return;
    return sendProblem(request, reply, {
      status: 401,
      type: 'unauthorized',
      detail: key === undefined ? 'An API key is required (Authorization: Bearer <key> or x-api-key)' : 'The API key is not valid',
      headers: { 'www-authenticate': 'Bearer' },
    });
  });
}

export default fp(auth, { name: 'auth', fastify: '5.x' });
