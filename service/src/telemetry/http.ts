// HTTP server telemetry from Fastify hooks: one SERVER span per request that continues the
// incoming W3C trace context, and the stable `http.server.request.duration` histogram with its
// semantic-convention attributes. Measured at a fraction of instrumentation-http's cost
// (docs/benchmarks.md); names, units and attributes are the same.
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import fp from 'fastify-plugin';
import { useResponseClosed } from '../plugins/response-closed.ts';
import { catalog } from './catalog.ts';
import { LIGHT_ROOT } from './light-context.ts';
import { rootSpanStarter } from './root-spans.ts';
import { tallyHistogram, type HistogramCell } from './tally-histogram.ts';
import { markFailed, TRACER_NAME } from './tracing.ts';

declare module 'fastify' {
  interface FastifyRequest {
    otel: { span: Span; ctx: Context; start: number; route: RouteTelemetry } | null;
  }
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
/** Probes would fill the trace store with noise; they are still measured in the histogram. */
const UNTRACED_ROUTES = new Set(['/healthz', '/readyz']);

const method = (request: FastifyRequest) => (KNOWN_METHODS.has(request.method) ? request.method : '_OTHER');

type CellsByMethod = Map<string, Map<string, Map<number, HistogramCell>>>;

/**
 * What the hooks need of a route, built on its first request and kept: its template, its span
 * names and its histogram cells. A request then builds no strings and hashes no attributes.
 */
interface RouteTelemetry {
  /** The matched route template; absent for unmatched requests, as the conventions say. */
  route: string | undefined;
  traced: boolean;
  spanNames: Map<string, string>;
  /** Duration cells by scheme, method, protocol version and status code (0: the client gave up). */
  cells: { http: CellsByMethod; https: CellsByMethod };
}

export interface HttpTelemetryOptions {
  /** Set false to load no HTTP telemetry at all (the benchmarks' baseline). */
  enabled?: boolean;
}

async function httpTelemetry(app: FastifyInstance, options: HttpTelemetryOptions) {
  if (options.enabled === false) return;
  const tracer = trace.getTracer(TRACER_NAME);
  // The kit's setup gives its provider one; with the SDK disabled the no-op tracer starts them.
  const roots = rootSpanStarter();
  const duration = tallyHistogram(catalog.httpServerRequestDuration);
  app.decorateRequest('otel', null);
  await useResponseClosed(app);
  // Not answered by the time the response closed: the client left before the answer.
  app.onResponseClosed((request, reply) => finish(request, reply.raw.writableEnded ? reply.statusCode : undefined));
  // A socket caches its peer address in a new property the first time it is read. Read only for
  // sampled requests, sockets got that property before or after the one Node adds on the first
  // response, and Node's HTTP and stream functions saw enough socket shapes to go megamorphic in
  // V8, slowing every request (docs/benchmarks.md). Read once per connection: one shape for all.
  app.server.on('connection', (socket: Socket) => void socket.remoteAddress);

  // Keyed by the route's config object, which Fastify keeps for the life of the route.
  const routes = new WeakMap<object, RouteTelemetry>();
  const UNMATCHED = {};
  const routeTelemetry = (request: FastifyRequest): RouteTelemetry => {
    const config = request.routeOptions.config ?? UNMATCHED;
    let state = routes.get(config);
    if (!state) {
      const route = request.is404 ? undefined : request.routeOptions.url;
      state = { route, traced: route === undefined || !UNTRACED_ROUTES.has(route), spanNames: new Map(), cells: { http: new Map(), https: new Map() } };
      routes.set(config, state);
    }
    return state;
  };
  const spanName = (state: RouteTelemetry, m: string): string => {
    let name = state.spanNames.get(m);
    if (name === undefined) state.spanNames.set(m, (name = state.route ? `${m} ${state.route}` : m));
    return name;
  };

  app.addHook('onRequest', (request, reply, done) => {
    const start = performance.now();
    const state = routeTelemetry(request);
    app.watchResponseClosed(request, reply);
    if (!state.traced) {
      request.otel = { span: trace.wrapSpanContext({ traceId: '', spanId: '', traceFlags: 0 }), ctx: context.active(), start, route: state };
      return done();
    }
    // Both propagators read only these headers; most requests carry neither.
    const headers = request.headers;
    const noContext = headers.traceparent === undefined && headers.baggage === undefined;
    // The request's context descends from a light root (light-context.ts), not the API's.
    const parent = noContext ? LIGHT_ROOT : propagation.extract(LIGHT_ROOT, headers);
    // No attributes at creation: the kit's samplers (sampler.ts) decide on the parent, a rate and
    // `sampling.priority`, never on HTTP attributes, and most requests are not sampled, so their
    // attributes would be built and cleaned for nothing. A span that records gets them here.
    const m = method(request);
    const span = noContext && roots !== undefined
      ? roots.startRootSpan(tracer, spanName(state, m), SpanKind.SERVER)
      : tracer.startSpan(spanName(state, m), { kind: SpanKind.SERVER }, parent);
    if (span.isRecording()) {
      span.setAttributes({
        'http.request.method': m,
        'url.scheme': request.protocol,
        'url.path': request.url.split('?', 1)[0],
        'network.protocol.version': request.raw.httpVersion,
        'client.address': request.ip,
      });
      if (state.route !== undefined) span.setAttribute('http.route', state.route);
      const agent = headers['user-agent'];
      if (agent) span.setAttribute('user_agent.original', agent);
    }
    const ctx = trace.setSpan(parent, span);
    request.otel = { span, ctx, start, route: state };
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

  /** The duration cell of a request's method, protocol version and status, created on first use. */
  const durationCell = (request: FastifyRequest, state: RouteTelemetry, status: number | undefined): HistogramCell => {
    const m = method(request);
    const scheme = request.protocol;
    const version = request.raw.httpVersion;
    const byMethod = scheme === 'https' ? state.cells.https : state.cells.http;
    let byVersion = byMethod.get(m);
    if (!byVersion) byMethod.set(m, (byVersion = new Map()));
    let byStatus = byVersion.get(version);
    if (!byStatus) byVersion.set(version, (byStatus = new Map()));
    let cell = byStatus.get(status ?? 0);
    if (!cell) {
      const attributes: Attributes = { 'http.request.method': m, 'url.scheme': scheme, 'network.protocol.version': version };
      if (state.route !== undefined) attributes['http.route'] = state.route;
      if (status === undefined) attributes['error.type'] = 'aborted';
      else {
        attributes['http.response.status_code'] = status;
        if (status >= 500) attributes['error.type'] = String(status);
      }
      byStatus.set(status ?? 0, (cell = duration.cell(attributes)));
    }
    return cell;
  };

  /** Ends the request's span and records its duration; `status` is absent when the client gave up. */
  const finish = (request: FastifyRequest, status: number | undefined) => {
    const otel = request.otel;
    if (!otel) return;
    request.otel = null;
    const cell = durationCell(request, otel.route, status);
    cell.record((performance.now() - otel.start) / 1000);
    if (otel.span.isRecording()) {
      otel.span.setAttributes(cell.attributes);
      if (status === undefined || status >= 500) otel.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    otel.span.end();
  };
}

export default fp(httpTelemetry, { name: 'http-telemetry', fastify: '5.x' });
