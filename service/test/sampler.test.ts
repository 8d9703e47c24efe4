import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { RateLimitingSampler, samplerFromEnv, samplersFromEnv } from '../src/telemetry/sampler.ts';

const ids = Array.from({ length: 4000 }, () => randomBytes(16).toString('hex'));
const sampledShare = (env: Record<string, string>, attributes = {}) => {
  const sampler = samplerFromEnv(env);
  const kept = ids.filter((id) => sampler.shouldSample(ROOT_CONTEXT, id, 'x', SpanKind.SERVER, attributes, []).decision === SamplingDecision.RECORD_AND_SAMPLED);
  return kept.length / ids.length;
};

describe('sampler', () => {
  it('defaults to parent-based, rate-limited to 25 new traces per second', () => {
    // 4,000 new traces within a few milliseconds: the bucket holds one second's worth.
    const share = sampledShare({});
    assert.ok(share * ids.length >= 25 && share * ids.length <= 27, `sampled ${share * ids.length}`);
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: true });
    const sampler = samplerFromEnv({});
    const followed = ids.filter((id) => sampler.shouldSample(parent, id, 'x', SpanKind.SERVER, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED);
    assert.equal(followed.length, ids.length, 'a sampled parent is always followed');
  });

  it('rate limiting keeps perSecond traces per second at any load, and all of a light load', () => {
    let clock = 0;
    const sampler = new RateLimitingSampler(10, () => clock);
    const sampled = () => sampler.shouldSample().decision === SamplingDecision.RECORD_AND_SAMPLED;
    // 1,000 requests/s for 5 s: the full bucket (10), then 10 per second refilled (50, the last
    // token of which is not whole yet when the 5 s end).
    let kept = 0;
    for (let i = 0; i < 5000; i++, clock += 1) if (sampled()) kept++;
    assert.equal(kept, 59);
    // 2 requests/s for 10 s: every one.
    let light = 0;
    for (let i = 0; i < 20; i++, clock += 500) if (sampled()) light++;
    assert.equal(light, 20);
    assert.equal(sampledShare({ OTEL_TRACES_SAMPLER: 'ratelimiting', OTEL_TRACES_SAMPLER_ARG: '0' }), 0);
  });

  it('rate limiting below one trace per second still samples, at that rate', () => {
    let clock = 0;
    const sampler = new RateLimitingSampler(0.5, () => clock);
    // 100 requests/s for 20 s: one trace now, then one every 2 s.
    let kept = 0;
    for (let i = 0; i < 2000; i++, clock += 10) if (sampler.shouldSample().decision === SamplingDecision.RECORD_AND_SAMPLED) kept++;
    assert.equal(kept, 10);
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
    const tenth = sampledShare({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' });
    assert.ok(tenth > 0.05 && tenth < 0.15, `sampled ${tenth}`);
    assert.throws(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }), /not supported/);
  });

  it('gives each sampler\'s root: the same decisions for spans without a parent, one rate limit between them', () => {
    const decide = (sampler: ReturnType<typeof samplerFromEnv>, id: string, attributes = {}) =>
      sampler.shouldSample(ROOT_CONTEXT, id, 'x', SpanKind.SERVER, attributes, []).decision;
    for (const name of ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']) {
      const { sampler, root } = samplersFromEnv({ OTEL_TRACES_SAMPLER: name, OTEL_TRACES_SAMPLER_ARG: '0.3' });
      assert.deepEqual(ids.map((id) => decide(root, id)), ids.map((id) => decide(sampler, id)), name);
      assert.equal(decide(root, ids[0], { 'sampling.priority': 1 }), SamplingDecision.RECORD_AND_SAMPLED, `${name}: priority kept at the root`);
    }
    // Parent-based: the root is the inner sampler, and a parent's decision is not its business.
    const { sampler, root } = samplersFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' });
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: true });
    assert.equal(sampler.shouldSample(parent, ids[0], 'x', SpanKind.SERVER, {}, []).decision, SamplingDecision.RECORD_AND_SAMPLED);
    assert.notEqual(root, sampler);
    // One bucket of 3 tokens: 2 roots through `root`, then 1 through the sampler, then none from either.
    const limited = samplersFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_ratelimiting', OTEL_TRACES_SAMPLER_ARG: '3' });
    const answers = [limited.root, limited.root, limited.sampler, limited.root, limited.sampler].map((s, i) => decide(s, ids[i]));
    assert.deepEqual(answers, [1, 1, 1, 0, 0].map((kept) => (kept ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD)));
    const plain = samplersFromEnv({ OTEL_TRACES_SAMPLER: 'ratelimiting' });
    assert.equal(plain.root, plain.sampler, 'not parent-based: the root is the sampler itself');
  });

  it('always keeps spans marked with sampling.priority, even when sampling is off', () => {
    assert.equal(sampledShare({ OTEL_TRACES_SAMPLER: 'always_off' }, { 'sampling.priority': 1 }), 1);
  });
});
