// Entry point: config, service, listen, and a bounded graceful shutdown on SIGTERM/SIGINT.
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createService } from './service.ts';
import { shutdownTelemetry } from './telemetry/lifecycle.ts';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`configuration error: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

const { app, store } = await createService(config, { httpTelemetry: process.env.INGEST_HTTP_TELEMETRY !== 'false' });
await app.listen({ host: config.host, port: config.port });
app.log.info({ data_dir: config.dataDir, auth: config.apiKeys.length > 0 }, 'ingestor ready');

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  app.log.info({ signal }, 'shutting down: draining in-flight requests');
  const deadline = setTimeout(() => {
    app.log.error('shutdown timed out; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs);
  deadline.unref();
  // Stop accepting and wait for in-flight requests; they finish their commits before the store closes.
  await app.close();
  await store.close();
  app.log.info('store closed; flushing telemetry');
  const flushed = await shutdownTelemetry(Math.min(5000, config.shutdownTimeoutMs));
  if (!flushed) process.stderr.write('telemetry flush did not finish in time\n');
  clearTimeout(deadline);
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
