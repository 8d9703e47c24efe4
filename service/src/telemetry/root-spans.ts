// Root spans with the SDK's answer and less of its work. Most requests carry no trace context and
// most are not sampled. For such a span the SDK's startSpan still checks for suppressed tracing,
// cleans the (absent) attributes and links, and counts the span for its own metrics: 0.3 µs and
// six objects a request, for a span that records nothing (docs/benchmarks.md, thirteenth pass).
// A root span needs only its ids and the sampler's decision. This takes both first: a dropped
// span is then the non-recording span the SDK would return, and a sampled one is started by the
// SDK with the same ids and decision, handed to it through its id generator and sampler. A
// dropped span skips the rest of what the SDK does: its own span metrics (no-ops here: the kit
// gives the tracer provider no meter provider) and a diag debug line.
//
// Runtime imports from the API only: the HTTP hooks find it through the registered provider, and
// the benchmarks' no-telemetry mode loads no SDK code.
import {
  diag,
  ROOT_CONTEXT,
  SamplingDecision,
  trace,
  TraceFlags,
  type Attributes,
  type Link,
  type Span,
  type SpanKind,
  type Tracer,
} from '@opentelemetry/api';
import type { IdGenerator, Sampler, SamplingResult } from '@opentelemetry/sdk-trace';

const ROOT_SPANS = Symbol.for('observability-kit.root-spans');
const NO_ATTRIBUTES: Attributes = Object.freeze({});
const NO_LINKS = Object.freeze([]) as unknown as Link[];

/** Starts spans that have no parent; `tracer` must come from the provider it is attached to. */
export interface RootSpanStarter {
  startRootSpan(tracer: Tracer, name: string, kind: SpanKind): Span;
}

/** A sampled root's ids and decision, each handed to the SDK once. */
interface Prepared {
  traceId: string;
  spanId: string;
  result: SamplingResult;
  traceIdTaken: boolean;
  spanIdTaken: boolean;
  decisionTaken: boolean;
}

export class RootSpans implements RootSpanStarter {
  /** Give these two to the TracerProvider: they hand a prepared span's ids and decision to the SDK. */
  readonly sampler: Sampler;
  readonly idGenerator: IdGenerator;
  /** The id generator the kit chose, which `idGenerator` wraps (as `sampler` wraps its sampler). */
  readonly baseIds: IdGenerator;
  /** What the kit's sampler does for a span with no parent (sampler.ts, `Samplers`). */
  private readonly rootSampler: Sampler;
  /** Set only while the SDK starts a sampled root span prepared here. */
  private prepared: Prepared | undefined;

  constructor(sampler: Sampler, idGenerator: IdGenerator, rootSampler: Sampler = sampler) {
    this.baseIds = idGenerator;
    this.rootSampler = rootSampler;
    this.sampler = {
      shouldSample: (context, traceId, name, kind, attributes, links) => {
        const prepared = this.prepared;
        if (prepared !== undefined && !prepared.decisionTaken && prepared.traceId === traceId) {
          prepared.decisionTaken = true;
          return prepared.result;
        }
        return sampler.shouldSample(context, traceId, name, kind, attributes, links);
      },
      toString: () => sampler.toString(),
    };
    this.idGenerator = {
      generateTraceId: () => {
        const prepared = this.prepared;
        if (prepared === undefined || prepared.traceIdTaken) return idGenerator.generateTraceId();
        prepared.traceIdTaken = true;
        return prepared.traceId;
      },
      generateSpanId: () => {
        const prepared = this.prepared;
        if (prepared === undefined || prepared.spanIdTaken) return idGenerator.generateSpanId();
        prepared.spanIdTaken = true;
        return prepared.spanId;
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
    const prepared: Prepared = { traceId, spanId, result, traceIdTaken: false, spanIdTaken: false, decisionTaken: false };
    this.prepared = prepared;
    let span: Span;
    try {
      span = tracer.startSpan(name, { kind }, ROOT_CONTEXT);
    } finally {
      this.prepared = undefined;
    }
    // Only a tracer of another provider leaves them: its sampler was then asked a second time.
    if (!prepared.traceIdTaken || !prepared.spanIdTaken || !prepared.decisionTaken) {
      diag.warn(`root span "${name}" was not started with its prepared ids and decision: pass a tracer of the provider RootSpans is attached to`);
    }
    return span;
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
