// Wires the parts the app depends on (store, metrics, velocity window) from the config. Used by
// main.ts and by tests that need the whole service in-process.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.ts';
import type { Config } from './config.ts';
import { velocityWindowFor } from './fraud/velocity.ts';
import { SqliteStore } from './store/sqlite-store.ts';
import { IngestMetrics } from './telemetry/metrics.ts';

export interface Service {
  app: FastifyInstance;
  store: SqliteStore;
}

export async function createService(config: Config, options: { logger?: Logger; httpTelemetry?: boolean } = {}): Promise<Service> {
  let metrics: IngestMetrics | undefined;
  const store = new SqliteStore({
    dataDir: config.dataDir,
    commitMaxDelayMs: config.commitMaxDelayMs,
    commitMaxRecords: config.commitMaxRecords,
    onCommit: (seconds, records, failed) => metrics?.commit(seconds, records, failed),
  });
  metrics = new IngestMetrics(() => store.counts());

  // Warm the velocity rule with what arrived in the last window, so a restart does not reset it.
  const velocity = velocityWindowFor(config.fraud);
  for (const r of store.recent(Date.now() - config.fraud.velocityWindowSeconds * 1000)) velocity.observe(r.customerId, r.timestampMs);

  const app = await buildApp({ config, store, metrics, velocity, logger: options.logger, httpTelemetry: options.httpTelemetry });
  return { app, store };
}
