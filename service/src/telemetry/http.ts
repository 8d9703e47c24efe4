// HTTP server telemetry from Fastify hooks: one SERVER span per request that continues the
// incoming W3C trace context, and the stable `http.server.request.duration` histogram with its
// semantic-convention attributes. Measured at a fraction of instrumentation-http's cost
// (docs/benchmarks.md); names, units and attributes are the same.
import {
  context,
  metrics,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { catalog } from './catalog.ts';
import { createHistogram, METER_NAME } from './metrics.ts';
import { markFailed, TRACER_NAME } from './tracing.ts';

declare module 'fastify' {
  interface FastifyRequest {
    otel: { span: Span; ctx: Context; start: number } | null;
  }
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
/** Probes would fill the trace store with noise; they are still measured in the histogram. */
const UNTRACED_ROUTES = new Set(['/healthz', '/readyz']);

const method = (request: FastifyRequest) => (KNOWN_METHODS.has(request.method) ? request.method : '_OTHER');
/** The matched route template; absent for unmatched requests, as the conventions say. */
const routeOf = (request: FastifyRequest): string | undefined =>
  request.is404 ? undefined : request.routeOptions.url;

export interface HttpTelemetryOptions {
  /** Set false to load no HTTP telemetry at all (the benchmarks' baseline). */
  enabled?: boolean;
}

async function httpTelemetry(app: FastifyInstance, options: HttpTelemetryOptions) {
  if (options.enabled === false) return;
  const tracer = trace.getTracer(TRACER_NAME);
  const duration = createHistogram(metrics.getMeter(METER_NAME), catalog.httpServerRequestDuration);
  app.decorateRequest('otel', null);

  app.addHook('onRequest', (request, _reply, done) => {
    const start = performance.now();
    const route = routeOf(request);
    if (route !== undefined && UNTRACED_ROUTES.has(route)) {
      request.otel = { span: trace.wrapSpanContext({ traceId: '', spanId: '', traceFlags: 0 }), ctx: context.active(), start };
      return done();
    }
    // Both propagators read only these headers; most requests carry neither.
    const headers = request.headers;
    const parent = headers.traceparent === undefined && headers.baggage === undefined
      ? ROOT_CONTEXT
      : propagation.extract(ROOT_CONTEXT, headers);
    // No attributes at creation: the kit's samplers (sampler.ts) decide on the parent, a rate and
    // `sampling.priority`, never on HTTP attributes, and most requests are not sampled, so their
    // attributes would be built and cleaned for nothing. A span that records gets them here.
    const span = tracer.startSpan(route ? `${method(request)} ${route}` : method(request), { kind: SpanKind.SERVER }, parent);
    if (span.isRecording()) {
      span.setAttributes({
        'http.request.method': method(request),
        'url.scheme': request.protocol,
        'url.path': request.url.split('?', 1)[0],
        'network.protocol.version': request.raw.httpVersion,
        'client.address': request.ip,
      });
      if (route !== undefined) span.setAttribute('http.route', route);
      const agent = headers['user-agent'];
      if (agent) span.setAttribute('user_agent.original', agent);
    }
    const ctx = trace.setSpan(parent, span);
    request.otel = { span, ctx, start };
    context.with(ctx, done);
  });

  // Body parsing breaks the async context chain; re-enter it for the handler and what it awaits.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.otel) context.with(request.otel.ctx, done);
    else done();
  });

  app.addHook('onError', (request, reply, error, done) => {
    if (request.otel && reply.statusCode >= 500) markFailed(request.otel.span, error);
    done();
  });

  // One attributes object per distinct combination, reused: the set is small and bounded
  // (methods, routes, status codes), and a request then allocates none for its histogram entry.
  const attributeSets = new Map<string, Attributes>();
  const durationAttributes = (request: FastifyRequest, status: number | undefined): Attributes => {
    const route = routeOf(request);
    const key = `${method(request)} ${route ?? ''} ${status ?? ''} ${request.protocol} ${request.raw.httpVersion}`;
    let attributes = attributeSets.get(key);
    if (attributes) return attributes;
    attributes = {
      'http.request.method': method(request),
      'url.scheme': request.protocol,
      'network.protocol.version': request.raw.httpVersion,
    };
    if (route !== undefined) attributes['http.route'] = route;
    if (status === undefined) attributes['error.type'] = 'aborted';
    else {
      attributes['http.response.status_code'] = status;
      if (status >= 500) attributes['error.type'] = String(status);
    }
    attributeSets.set(key, Object.freeze(attributes));
    return attributes;
  };

  /** Ends the request's span and records its duration; `status` is absent when the client gave up. */
  const finish = (request: FastifyRequest, status: number | undefined) => {
    const otel = request.otel;
    if (!otel) return;
    request.otel = null; // onResponse and onRequestAbort may both fire: count once
    const attributes = durationAttributes(request, status);
    duration.record((performance.now() - otel.start) / 1000, attributes);
    if (otel.span.isRecording()) {
      otel.span.setAttributes(attributes);
      if (status === undefined || status >= 500) otel.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    otel.span.end();
  };

  app.addHook('onResponse', (request, reply, done) => {
    finish(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    finish(request, undefined);
    done();
  });
}

export default fp(httpTelemetry, { name: 'http-telemetry', fastify: '5.x' });
