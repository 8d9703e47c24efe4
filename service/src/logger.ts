// pino JSON to stdout; the OpenTelemetry pino instrumentation (telemetry/setup.ts) adds
// trace_id/span_id to every line written inside a span and sends the records over OTLP.
import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    // Never log credentials, even if a future log call passes headers.
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization', 'headers["x-api-key"]'],
  });
}
