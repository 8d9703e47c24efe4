// One 'close' listener per response for every plugin that must know when a request is over. The
// response's 'close' is its last event however the request ends: answered, failed, or the client
// hung up. Fastify's hooks each miss a case: onRequestAbort fires only while the body is still
// arriving, onResponse only once the answer is sent (docs/reliability.md, Overload).
//
// One listener, not one per plugin: with two, Node keeps an array of listeners on each response
// and copies it on every emit, and each plugin allocates a closure per request. No hook of its own
// either: the plugins that need the end of a request ask for it from theirs.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** Called once per watched request when its response closes; `reply.raw.writableEnded` says whether it was answered. */
export type ClosedHandler = (request: FastifyRequest, reply: FastifyReply) => void;

declare module 'fastify' {
  interface FastifyInstance {
    /** Adds a handler for the end of every watched request; handlers run in the order added. */
    onResponseClosed(handler: ClosedHandler): void;
    /** Runs the handlers when this request's response closes; a second call for it does nothing. */
    watchResponseClosed(request: FastifyRequest, reply: FastifyReply): void;
  }
  interface FastifyRequest {
    responseClosedWatched: boolean;
  }
}

async function responseClosed(app: FastifyInstance) {
  const handlers: ClosedHandler[] = [];
  app.decorateRequest('responseClosedWatched', false);
  app.decorate('onResponseClosed', (handler: ClosedHandler) => void handlers.push(handler));
  app.decorate('watchResponseClosed', (request: FastifyRequest, reply: FastifyReply) => {
    if (request.responseClosedWatched) return;
    request.responseClosedWatched = true;
    reply.raw.on('close', () => {
      for (const handler of handlers) handler(request, reply);
    });
  });
}

const plugin = fp(responseClosed, { name: 'response-closed', fastify: '5.x' });

/** Registers the plugin unless it is already there: the plugins that need it call this first. */
export async function useResponseClosed(app: FastifyInstance): Promise<void> {
  if (!app.hasDecorator('onResponseClosed')) await app.register(plugin);
}
