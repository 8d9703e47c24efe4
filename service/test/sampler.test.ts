import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { samplerFromEnv } from '../src/telemetry/sampler.ts';

const ids = Array.from({ length: 4000 }, () => randomBytes(16).toString('hex'));
const sampledShare = (env: Record<string, string>, attributes = {}) => {
  const sampler = samplerFromEnv(env);
  const kept = ids.filter((id) => sampler.shouldSample(ROOT_CONTEXT, id, 'x', SpanKind.SERVER, attributes, []).decision === SamplingDecision.RECORD_AND_SAMPLED);
  return kept.length / ids.length;
};

describe('sampler', () => {
  it('defaults to parent-based with a 10% ratio for new traces', () => {
    const share = sampledShare({});
    assert.ok(share > 0.05 && share < 0.15, `sampled ${share}`);
  });

  it('follows a sampled parent whatever the ratio', () => {
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: true });
    const result = samplerFromEnv({ OTEL_TRACES_SAMPLER_ARG: '0' }).shouldSample(parent, 'a'.repeat(32), 'x', SpanKind.SERVER, {}, []);
    assert.equal(result.decision, SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('honours OTEL_TRACES_SAMPLER and its argument', () => {
    assert.equal(sampledShare({ OTEL_TRACES_SAMPLER: 'always_on' }), 1);
    assert.equal(sampledShare({ OTEL_TRACES_SAMPLER: 'always_off' }), 0);
    assert.equal(sampledShare({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' }), 1);
    assert.throws(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }), /not supported/);
  });

  it('always keeps spans marked with sampling.priority, even when sampling is off', () => {
    assert.equal(sampledShare({ OTEL_TRACES_SAMPLER: 'always_off' }, { 'sampling.priority': 1 }), 1);
  });
});
