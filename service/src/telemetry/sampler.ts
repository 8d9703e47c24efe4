// The trace sampler: the standard OTEL_TRACES_SAMPLER choices plus a rate-limiting one, wrapped so
// that spans carrying `sampling.priority` >= 1 are always kept (tracing.ts uses that for flagged and
// failed records).
//
// Default: parentbased_ratelimiting with 25 traces per second. A caller that sent a sampled
// traceparent is always traced; of the requests that start a trace here, up to 25 per second are
// kept. At a few requests per second (someone trying the kit) every request is traced; at
// thousands per second the cost stays that of 25 traces, where a fixed ratio's cost grows with
// the load (10% of 6,000 requests/s cost about a third of the throughput: docs/benchmarks.md). The
// metrics count every request anyway; the traces are for examples and for the notable records,
// which are kept at any rate.
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace';
import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { FORCE_SAMPLE_ATTRIBUTE } from './tracing.ts';

export const DEFAULT_SAMPLER = 'parentbased_ratelimiting';
export const DEFAULT_RATIO = 1;
export const DEFAULT_TRACES_PER_SECOND = 25;

type Env = Record<string, string | undefined>;

// One result object each, not one per span: the sampler runs for every request.
const DROP: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });
const KEEP: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });

/** OTEL_TRACES_SAMPLER_ARG for the ratio samplers; the spec's default ratio is 1. */
function ratio(env: Env): number {
  const raw = env.OTEL_TRACES_SAMPLER_ARG;
  const value = raw === undefined || raw === '' ? DEFAULT_RATIO : Number(raw);
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : DEFAULT_RATIO;
}

/** OTEL_TRACES_SAMPLER_ARG for the rate-limiting samplers: new traces per second. */
function perSecond(env: Env): number {
  const raw = env.OTEL_TRACES_SAMPLER_ARG;
  const value = raw === undefined || raw === '' ? DEFAULT_TRACES_PER_SECOND : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : DEFAULT_TRACES_PER_SECOND;
}

/**
 * Samples up to `perSecond` traces per second (a token bucket holding one second's worth, and at
 * least one trace so that rates below 1/s still sample), and no more whatever the load; the name
 * and meaning follow Jaeger's `ratelimiting` sampler.
 */
export class RateLimitingSampler implements Sampler {
  private readonly perSecond: number;
  private readonly capacity: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  constructor(perSecond: number, now: () => number = () => performance.now()) {
    this.perSecond = perSecond;
    this.capacity = perSecond > 0 ? Math.max(1, perSecond) : 0;
    this.now = now;
    this.tokens = this.capacity;
    this.last = now();
  }

  shouldSample(): SamplingResult {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return DROP;
    this.tokens -= 1;
    return KEEP;
  }

  toString(): string {
    return `RateLimitingSampler{${this.perSecond}/s}`;
  }
}

/**
 * A sampler, and what it does for a span with no parent: for the parent-based samplers their root
 * sampler (the same instance, so a rate limiter's budget is shared), otherwise the sampler itself.
 * Root spans (root-spans.ts) ask `root` directly: a parent-based sampler would first look in the
 * context for a parent that a root cannot have (0.06 µs a request, docs/benchmarks.md, thirteenth
 * pass).
 */
export interface Samplers {
  sampler: Sampler;
  root: Sampler;
}

const itself = (sampler: Sampler): Samplers => ({ sampler, root: sampler });
const parentBased = (root: Sampler): Samplers => ({ sampler: new ParentBasedSampler({ root }), root });

function baseSamplersFromEnv(env: Env): Samplers {
  const name = (env.OTEL_TRACES_SAMPLER || DEFAULT_SAMPLER).trim().toLowerCase();
  switch (name) {
    case 'always_on':
      return itself(new AlwaysOnSampler());
    case 'always_off':
      return itself(new AlwaysOffSampler());
    case 'traceidratio':
      return itself(new TraceIdRatioBasedSampler(ratio(env)));
    case 'parentbased_always_on':
      return parentBased(new AlwaysOnSampler());
    case 'parentbased_always_off':
      return parentBased(new AlwaysOffSampler());
    case 'parentbased_traceidratio':
      return parentBased(new TraceIdRatioBasedSampler(ratio(env)));
    case 'ratelimiting':
      return itself(new RateLimitingSampler(perSecond(env)));
    case 'parentbased_ratelimiting':
      return parentBased(new RateLimitingSampler(perSecond(env)));
    default:
      throw new Error(`OTEL_TRACES_SAMPLER="${name}" is not supported; use a standard sampler or (parentbased_)ratelimiting`);
  }
}

export class PrioritySampler implements Sampler {
  private readonly delegate: Sampler;

  constructor(delegate: Sampler) {
    this.delegate = delegate;
  }

  shouldSample(ctx: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const priority = attributes?.[FORCE_SAMPLE_ATTRIBUTE];
    if (typeof priority === 'number' && priority >= 1) return KEEP;
    return this.delegate.shouldSample(ctx, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `PrioritySampler{${this.delegate.toString()}}`;
  }
}

/** The sampler OTEL_TRACES_SAMPLER names and its root, both keeping `sampling.priority` spans. */
export function samplersFromEnv(env: Env = process.env): Samplers {
  const { sampler, root } = baseSamplersFromEnv(env);
  const full = new PrioritySampler(sampler);
  return { sampler: full, root: root === sampler ? full : new PrioritySampler(root) };
}

export function samplerFromEnv(env: Env = process.env): Sampler {
  return samplersFromEnv(env).sampler;
}
