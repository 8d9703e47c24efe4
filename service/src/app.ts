// buildApp: the Fastify application, from its dependencies. External plugins first, then ours,
// then routes (the order fastify/demo uses). Tests call it with a temporary store.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { maxHeaderSize } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { velocityWindowFor, type VelocityWindow } from './fraud/velocity.ts';
import { Ingestor } from './ingest/ingest.ts';
import { claimKind, transactionKind } from './ingest/kinds.ts';
import { createLogger } from './logger.ts';
import auth from './plugins/auth.ts';
import openapi from './plugins/openapi.ts';
import pressure from './plugins/pressure.ts';
import problems, { frameworkErrors } from './plugins/problems.ts';
import healthRoutes from './routes/health.ts';
import recordRoutes from './routes/records.ts';
import type { RecordStore } from './store/store.ts';
import httpTelemetry from './telemetry/http.ts';
import { IngestMetrics } from './telemetry/metrics.ts';
import { serviceVersion } from './version.ts';

export interface AppOptions {
  config: Config;
  store: RecordStore;
  metrics?: IngestMetrics;
  velocity?: VelocityWindow;
  logger?: Logger;
  /** false loads no HTTP telemetry hooks at all (the benchmarks' no-telemetry baseline). */
  httpTelemetry?: boolean;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, store } = options;
  const app = Fastify({
    loggerInstance: (options.logger ?? createLogger(config.logLevel)) as FastifyBaseLogger,
    // Log events that matter (ingest/ingest.ts), not two lines per request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    // The router's default limit (100 characters) answered 414 to GET /v1/<kind>/<id> for ids of
    // 101 to 128 characters, which POST accepts. Above Node's header limit, which bounds the whole
    // request line, it never applies: an id over 128 gets the params schema's 400 naming /id.
    routerOptions: { maxParamLength: maxHeaderSize },
    // The router's own errors (a malformed %-escape in a path, a parameter over the limit) as
    // problems too; by default Fastify answers them in a JSON shape of its own.
    frameworkErrors,
    ajv: { customOptions: { coerceTypes: false, allErrors: true, removeAdditional: false } },
  });

  // JSON only: Fastify also parses text/plain by default, which made a JSON record sent as
  // text/plain a 400 ("must be a transaction object") instead of the documented 415.
  app.removeContentTypeParser('text/plain');
  await app.register(problems);
  await app.register(httpTelemetry, { enabled: options.httpTelemetry !== false });
  await app.register(openapi, { version: serviceVersion() });
  await app.register(pressure, {
    maxInFlight: config.maxInFlightRequests,
    maxInFlightBytes: config.maxInFlightBytes,
    bodyLimitBytes: config.bodyLimitBytes,
    maxEventLoopDelayMs: config.maxEventLoopDelayMs,
    maxHeapUsedBytes: config.maxHeapUsedBytes,
    retryAfterSeconds: config.retryAfterSeconds,
  });
  await app.register(auth, { apiKeys: config.apiKeys });

  const ingestor = new Ingestor({
    store,
    metrics: options.metrics ?? new IngestMetrics(() => store.counts()),
    velocity: options.velocity ?? velocityWindowFor(config.fraud),
    fraud: config.fraud,
    maxPendingRecords: config.maxPendingRecords,
    retryAfterSeconds: config.retryAfterSeconds,
  });
  await app.register(healthRoutes, { store });
  for (const kind of [transactionKind, claimKind]) {
    await app.register(recordRoutes, { prefix: `/v1/${kind.plural}`, kind, ingestor, store, batchMaxRecords: config.batchMaxRecords });
  }
  return app;
}
