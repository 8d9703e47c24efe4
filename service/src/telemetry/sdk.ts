// Loaded with `node --import` (`./service/dist/telemetry/sdk.js` as built for `npm start`, or this
// file from source) so the SDK is registered (and pino patched) before the app is imported.
// OTEL_SDK_DISABLED=true leaves the no-op API in place.
import { isMainThread } from 'node:worker_threads';
import { register } from 'import-in-the-middle/register-hooks.mjs';
import { batchLogs, batchSpans, startTelemetry } from './setup.ts';
import { exportSender } from './export-relay.ts';
import { logExporter, metricReader, traceExporter } from './exporters.ts';
import { onTelemetryShutdown } from './lifecycle.ts';

const env = process.env;

// Worker threads inherit --import: without the isMainThread check the store's writer thread ran a
// second SDK (its own resource and runtime metrics, exported every 10 s, ~20 MiB).
if (isMainThread && env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true') {
  // The app imports pino as an ES module: this in-thread loader hook lets the pino
  // instrumentation patch it. Limited to pino, so no other import pays for it.
  register({ include: ['pino'] });
  // One sender for the three signals: the export thread (export-relay-worker.ts says why), or the
  // main thread with INGEST_EXPORT_THREAD=false.
  const sender = exportSender(env);
  const telemetry = startTelemetry(env, {
    spanProcessors: (selfMetrics) => [batchSpans(traceExporter(env, sender), selfMetrics, env)],
    metricReaders: [metricReader(env, sender)],
    logProcessors: (selfMetrics) => [batchLogs(logExporter(env, sender), selfMetrics, env)],
  });
  onTelemetryShutdown(async () => {
    try {
      await telemetry.shutdown(); // the final flush goes out through the sender
    } finally {
      await sender.close();
    }
  });
}
