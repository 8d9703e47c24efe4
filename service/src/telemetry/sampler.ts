// The trace sampler: the standard OTEL_TRACES_SAMPLER choices, wrapped so that spans carrying
// `sampling.priority` >= 1 are always kept (tracing.ts uses that for flagged and failed records).
//
// Default: parentbased_traceidratio with ratio 0.1. A caller that sent a sampled traceparent is
// always traced; of the requests that start a trace here, one in ten is kept. Tracing every
// request costs about half of a bare handler's throughput (docs/benchmarks.md, shared notes),
// and the metrics already count every request; the traces are for examples and for the notable
// records, which are kept at any ratio.
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

export const DEFAULT_SAMPLER = 'parentbased_traceidratio';
export const DEFAULT_RATIO = 0.1;

type Env = Record<string, string | undefined>;

function ratio(env: Env): number {
  const raw = env.OTEL_TRACES_SAMPLER_ARG;
  const value = raw === undefined || raw === '' ? DEFAULT_RATIO : Number(raw);
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : DEFAULT_RATIO;
}

export function baseSamplerFromEnv(env: Env = process.env): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER || DEFAULT_SAMPLER).trim().toLowerCase();
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio(env));
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio(env)) });
    default:
      throw new Error(`OTEL_TRACES_SAMPLER="${name}" is not supported; use one of the standard samplers`);
  }
}

export class PrioritySampler implements Sampler {
  private readonly delegate: Sampler;

  constructor(delegate: Sampler) {
    this.delegate = delegate;
  }

  shouldSample(ctx: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const priority = attributes?.[FORCE_SAMPLE_ATTRIBUTE];
    if (typeof priority === 'number' && priority >= 1) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    return this.delegate.shouldSample(ctx, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `PrioritySampler{${this.delegate.toString()}}`;
  }
}

export function samplerFromEnv(env: Env = process.env): Sampler {
  return new PrioritySampler(baseSamplerFromEnv(env));
}
