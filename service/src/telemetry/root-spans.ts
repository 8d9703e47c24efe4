// Root spans with the SDK's answer and less of its work. Most requests carry no trace context and
// most are not sampled. For such a span the SDK's startSpan still checks for suppressed tracing,
// cleans the (absent) attributes and links, and counts the span for its own metrics: 0.3 µs and
// six objects a request, for a span that records nothing (docs/benchmarks.md, thirteenth pass).
// A root span needs only its ids and the sampler's decision. This takes both first: a dropped
// span is then the non-recording span the SDK would return, and a sampled one is started by the
// SDK with the same ids and decision, handed to it through its id generator and sampler.
//
// Runtime imports from the API only: the HTTP hooks find it through the registered provider, and
// the benchmarks' no-telemetry mode loads no SDK code.
import {
  ROOT_CONTEXT,
  SamplingDecision,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanKind,
  type Tracer,
} from '@opentelemetry/api';
import type { IdGenerator, Sampler, SamplingResult } from '@opentelemetry/sdk-trace';

const ROOT_SPANS = Symbol.for('observability-kit.root-spans');
const NO_ATTRIBUTES: Attributes = Object.freeze({});
const NO_LINKS: Link[] = [];

/** Starts spans that have no parent; `tracer` must come from the provider it is attached to. */
export interface RootSpanStarter {
  startRootSpan(tracer: Tracer, name: string, kind: SpanKind): Span;
}

interface Prepared {
  traceId: string;
  spanId: string;
  result: SamplingResult;
}

export class RootSpans implements RootSpanStarter {
  /** Give these two to the TracerProvider: they hand a prepared span's ids and decision to the SDK. */
  readonly sampler: Sampler;
  readonly idGenerator: IdGenerator;
  /** The sampler and id generator the kit chose, which these two wrap. */
  readonly baseSampler: Sampler;
  readonly baseIds: IdGenerator;
  /** What `baseSampler` does for a span with no parent (sampler.ts, `Samplers`). */
  private readonly rootSampler: Sampler;
  /** Set only while the SDK starts a sampled root span prepared here. */
  private prepared: Prepared | undefined;
  private traceIdTaken = false;
  private spanIdTaken = false;

  constructor(sampler: Sampler, idGenerator: IdGenerator, rootSampler: Sampler = sampler) {
    this.baseSampler = sampler;
    this.baseIds = idGenerator;
    this.rootSampler = rootSampler;
    this.sampler = {
      shouldSample: (context, traceId, name, kind, attributes, links) => {
        const prepared = this.prepared;
        if (prepared !== undefined && prepared.traceId === traceId) return prepared.result;
        return sampler.shouldSample(context, traceId, name, kind, attributes, links);
      },
      toString: () => sampler.toString(),
    };
    this.idGenerator = {
      generateTraceId: () => {
        if (this.prepared !== undefined && !this.traceIdTaken) {
          this.traceIdTaken = true;
          return this.prepared.traceId;
        }
        return idGenerator.generateTraceId();
      },
      generateSpanId: () => {
        if (this.prepared !== undefined && !this.spanIdTaken) {
          this.spanIdTaken = true;
          return this.prepared.spanId;
        }
        return idGenerator.generateSpanId();
      },
    };
  }

  startRootSpan(tracer: Tracer, name: string, kind: SpanKind): Span {
    const traceId = this.baseIds.generateTraceId();
    const spanId = this.baseIds.generateSpanId();
    const result = this.rootSampler.shouldSample(ROOT_CONTEXT, traceId, name, kind, NO_ATTRIBUTES, NO_LINKS);
    if (result.decision === SamplingDecision.NOT_RECORD) {
      return trace.wrapSpanContext({ traceId, spanId, traceFlags: TraceFlags.NONE, traceState: result.traceState });
    }
    this.prepared = { traceId, spanId, result };
    this.traceIdTaken = this.spanIdTaken = false;
    try {
      return tracer.startSpan(name, { kind }, ROOT_CONTEXT);
    } finally {
      this.prepared = undefined;
    }
  }

  /** Makes this the starter `rootSpanStarter` finds while `provider` is the registered one. */
  attachTo(provider: object): void {
    (provider as Record<symbol, unknown>)[ROOT_SPANS] = this;
  }
}

/** The registered tracer provider's starter, if the kit's setup gave it one (not with the SDK disabled). */
export function rootSpanStarter(): RootSpanStarter | undefined {
  const global = trace.getTracerProvider() as { getDelegate?: () => object };
  const provider = (global.getDelegate?.() ?? global) as Record<symbol, RootSpanStarter | undefined>;
  return provider[ROOT_SPANS];
}
