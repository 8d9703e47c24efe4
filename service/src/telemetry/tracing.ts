// Span helpers for the ingest pipeline: child spans with exceptions recorded, and a way to keep
// notable events (fraud flags, failures) findable in traces even when the request was not sampled.
import {
  context,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Span,
} from '@opentelemetry/api';

export const TRACER_NAME = 'ingestor';
/** A span started with this attribute is always sampled (see sampler.ts). */
export const FORCE_SAMPLE_ATTRIBUTE = 'sampling.priority';

const tracer = () => trace.getTracer(TRACER_NAME);

export function markFailed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : new Error(String(error)));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * The active span when it is not recording (its request was not sampled), so children need not be
 * created: under the parent-based sampler they would not be recorded either, and creating them
 * (ids, context, objects) is most of what tracing costs an unsampled request (docs/benchmarks.md).
 */
function unsampledParent(): Span | undefined {
  const active = trace.getActiveSpan();
  return active && !active.isRecording() ? active : undefined;
}

/** Runs `fn` in a child span of the active one; a thrown error is recorded and marks it ERROR. */
export async function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T> | T): Promise<T> {
  const parent = unsampledParent();
  if (parent) return fn(parent);
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The synchronous variant, for steps that never wait. */
export function inSpanSync<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T {
  const parent = unsampledParent();
  if (parent) return fn(parent);
  return tracer().startActiveSpan(name, { attributes }, (span) => {
    try {
      return fn(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

function activeSpanIsSampled(): boolean {
  const span = trace.getActiveSpan();
  return span !== undefined && (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
}

/**
 * Records a notable event as a span event on the active span, and runs `log` so its log line
 * carries the trace. When the request is not sampled, its trace will not reach Tempo, so the
 * event gets a sampled span of its own, linked to the request's trace, and `log` runs inside it:
 * flagged and failed records stay findable in traces at any sampling ratio.
 */
export function recordNotable(name: string, attributes: Attributes, log: () => void): void {
  if (activeSpanIsSampled()) {
    trace.getActiveSpan()!.addEvent(name, attributes);
    log();
    return;
  }
  const request = trace.getActiveSpan()?.spanContext();
  const span = tracer().startSpan(
    name,
    {
      root: true,
      attributes: { ...attributes, [FORCE_SAMPLE_ATTRIBUTE]: 1 },
      links: request ? [{ context: request, attributes: { 'app.link.reason': 'unsampled request' } }] : [],
    },
  );
  span.addEvent(name, attributes);
  context.with(trace.setSpan(context.active(), span), log);
  span.end();
}
