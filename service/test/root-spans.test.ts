// Root spans started with the sampler's decision first (root-spans.ts): a dropped one is the SDK's
// non-recording span with the kit's ids, a sampled one is the SDK's own span with the same ids and
// the sampler asked once, and every other span goes through the SDK as before.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { context, createTraceState, diag, DiagLogLevel, ROOT_CONTEXT, SamplingDecision, SpanKind, trace, TraceFlags, type Attributes, type Span } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type IdGenerator, type Sampler, type SamplingResult, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { RootSpans, rootSpanStarter } from '../src/telemetry/root-spans.ts';

/** Ids in sequence (trace ids t...1, t...2; span ids s...1, ...), so a test can say which it got. */
function sequentialIds(): IdGenerator & { traces: number; spans: number } {
  const ids = {
    traces: 0,
    spans: 0,
    generateTraceId: () => (++ids.traces).toString(16).padStart(32, 'a'),
    generateSpanId: () => (++ids.spans).toString(16).padStart(16, 'b'),
  };
  return ids;
}

/** Answers with `results` in turn and records every call. */
function scriptedSampler(...results: SamplingResult[]): Sampler & { calls: Array<{ traceId: string; name: string; attributes: Attributes; hasSpan: boolean }> } {
  const sampler = {
    calls: [] as Array<{ traceId: string; name: string; attributes: Attributes; hasSpan: boolean }>,
    shouldSample(ctx: Parameters<Sampler['shouldSample']>[0], traceId: string, name: string, _kind: SpanKind, attributes: Attributes): SamplingResult {
      sampler.calls.push({ traceId, name, attributes, hasSpan: trace.getSpan(ctx) !== undefined });
      return results[(sampler.calls.length - 1) % results.length];
    },
    toString: () => 'scripted',
  };
  return sampler;
}

function setup(sampler: Sampler) {
  const ids = sequentialIds();
  const roots = new RootSpans(sampler, ids);
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ sampler: roots.sampler, idGenerator: roots.idGenerator, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  roots.attachTo(provider);
  return { ids, roots, exporter, provider, tracer: provider.getTracer('test') };
}

const DROP: SamplingResult = { decision: SamplingDecision.NOT_RECORD };
const KEEP: SamplingResult = { decision: SamplingDecision.RECORD_AND_SAMPLED, attributes: { 'sampler.said': 'yes' } };

afterEach(() => trace.disable());

describe('root spans', () => {
  it('a dropped root span is non-recording, carries the next ids, and asked the sampler once at the root', () => {
    const sampler = scriptedSampler(DROP);
    const { roots, exporter, tracer } = setup(sampler);
    const span = roots.startRootSpan(tracer, 'POST /v1/transactions', SpanKind.SERVER);
    assert.equal(span.isRecording(), false);
    assert.deepEqual(span.spanContext(), { traceId: '1'.padStart(32, 'a'), spanId: '1'.padStart(16, 'b'), traceFlags: TraceFlags.NONE, traceState: undefined });
    assert.deepEqual(sampler.calls, [{ traceId: '1'.padStart(32, 'a'), name: 'POST /v1/transactions', attributes: {}, hasSpan: false }]);
    span.end();
    assert.equal(exporter.getFinishedSpans().length, 0);
  });

  it('a sampled root span is the SDK\'s, with the ids and the decision (and its attributes) prepared, the sampler asked once', async () => {
    const sampler = scriptedSampler(KEEP);
    const { ids, roots, exporter, provider, tracer } = setup(sampler);
    const span = roots.startRootSpan(tracer, 'GET /x', SpanKind.SERVER);
    assert.equal(span.isRecording(), true);
    span.end();
    await provider.forceFlush();
    const [finished] = exporter.getFinishedSpans();
    assert.equal(finished.spanContext().traceId, '1'.padStart(32, 'a'));
    assert.equal(finished.spanContext().spanId, '1'.padStart(16, 'b'));
    assert.equal(finished.spanContext().traceFlags, TraceFlags.SAMPLED);
    assert.equal(finished.kind, SpanKind.SERVER);
    assert.equal(finished.parentSpanContext, undefined);
    assert.equal(finished.attributes['sampler.said'], 'yes');
    assert.equal(sampler.calls.length, 1);
    assert.deepEqual([ids.traces, ids.spans], [1, 1], 'no second pair of ids');
  });

  it('spans after a prepared one get fresh ids and their own decisions', async () => {
    const sampler = scriptedSampler(KEEP, DROP, KEEP, DROP);
    const { roots, exporter, provider, tracer } = setup(sampler);
    const root = roots.startRootSpan(tracer, 'root', SpanKind.SERVER);
    // A child through the SDK: parent-based decisions are the sampler's, ids from the generator.
    const child = tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root));
    const next = roots.startRootSpan(tracer, 'next', SpanKind.SERVER);
    const other = tracer.startSpan('other', { kind: SpanKind.INTERNAL }, ROOT_CONTEXT);
    for (const span of [child, other, root]) span.end();
    await provider.forceFlush();
    assert.equal(child.spanContext().traceId, root.spanContext().traceId);
    assert.equal(child.spanContext().spanId, '2'.padStart(16, 'b'));
    assert.equal(child.isRecording(), false, 'the sampler said drop for the child');
    assert.equal(next.isRecording(), true);
    assert.deepEqual([next.spanContext().traceId, next.spanContext().spanId], ['2'.padStart(32, 'a'), '3'.padStart(16, 'b')]);
    assert.equal(other.isRecording(), false);
    assert.equal(other.spanContext().traceId, '3'.padStart(32, 'a'));
    assert.deepEqual(sampler.calls.map((c) => c.name), ['root', 'child', 'next', 'other']);
    assert.equal(sampler.calls[1].hasSpan, true, 'the child was asked about with its parent');
    assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name), ['root']);
  });

  it('asks the root sampler, when it has one, about root spans, and the full sampler about the SDK\'s spans', async () => {
    const full = scriptedSampler(DROP);
    const root = scriptedSampler(KEEP);
    const ids = sequentialIds();
    const roots = new RootSpans(full, ids, root);
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ sampler: roots.sampler, idGenerator: roots.idGenerator, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = provider.getTracer('test');
    const span = roots.startRootSpan(tracer, 'root', SpanKind.SERVER);
    tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, span)).end();
    span.end();
    await provider.forceFlush();
    assert.deepEqual(root.calls.map((c) => c.name), ['root']);
    assert.deepEqual(full.calls.map((c) => c.name), ['child'], 'the prepared decision was not asked again');
    assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name), ['root']);
  });

  it('a record-only decision goes through the SDK too: recording, not sampled', async () => {
    const { roots, exporter, provider, tracer } = setup(scriptedSampler({ decision: SamplingDecision.RECORD }));
    const span = roots.startRootSpan(tracer, 'r', SpanKind.SERVER);
    assert.equal(span.isRecording(), true);
    assert.equal(span.spanContext().traceFlags, TraceFlags.NONE);
    span.end();
    await provider.forceFlush();
    assert.equal(exporter.getFinishedSpans().length, 0, 'not sampled: not exported');
  });

  it('is found through the registered provider, and not without one', () => {
    assert.equal(rootSpanStarter(), undefined, 'no provider registered: the API\'s no-op');
    const { roots, provider } = setup(scriptedSampler(DROP));
    trace.setGlobalTracerProvider(provider);
    assert.equal(rootSpanStarter(), roots);
    trace.disable();
    const plain = new TracerProvider();
    trace.setGlobalTracerProvider(plain);
    assert.equal(rootSpanStarter(), undefined, 'a provider the kit did not set up has none');
  });

  it('gives what the SDK\'s own tracer gives with the same ids and sampler, trace state included', async () => {
    const state = createTraceState('kit=1');
    for (const decision of [SamplingDecision.NOT_RECORD, SamplingDecision.RECORD, SamplingDecision.RECORD_AND_SAMPLED]) {
      const result: SamplingResult = { decision, traceState: state, attributes: { 'sampler.said': 'yes' } };
      const viaRoots = setup(scriptedSampler(result));
      const plainExporter = new InMemorySpanExporter();
      const plain = new TracerProvider({ sampler: scriptedSampler(result), idGenerator: sequentialIds(), spanProcessors: [new SimpleSpanProcessor({ exporter: plainExporter })] });
      const a = viaRoots.roots.startRootSpan(viaRoots.tracer, 'GET /x', SpanKind.SERVER);
      const b = plain.getTracer('test').startSpan('GET /x', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
      const shape = (span: Span) => ({ ...span.spanContext(), traceState: span.spanContext().traceState?.serialize(), recording: span.isRecording() });
      assert.deepEqual(shape(a), shape(b), `decision ${decision}`);
      a.end();
      b.end();
      await viaRoots.provider.forceFlush();
      await plain.forceFlush();
      const strip = (list: ReturnType<InMemorySpanExporter['getFinishedSpans']>) => list.map((s) => ({ name: s.name, kind: s.kind, attributes: s.attributes, parent: s.parentSpanContext }));
      assert.deepEqual(strip(viaRoots.exporter.getFinishedSpans()), strip(plainExporter.getFinishedSpans()), `decision ${decision}: the same exported spans`);
    }
  });

  it('hands the prepared decision over once: a span a processor starts in onStart asks the sampler itself', () => {
    const sampler = scriptedSampler(DROP);
    const root = scriptedSampler(KEEP);
    const roots = new RootSpans(sampler, sequentialIds(), root);
    let inner: Span | undefined;
    const starter: SpanProcessor = {
      onStart: (span) => {
        if (!inner) inner = provider.getTracer('test').startSpan('inner', {}, trace.setSpan(ROOT_CONTEXT, span));
      },
      onEnd: () => {},
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const provider = new TracerProvider({ sampler: roots.sampler, idGenerator: roots.idGenerator, spanProcessors: [starter] });
    const span = roots.startRootSpan(provider.getTracer('test'), 'root', SpanKind.SERVER);
    assert.equal(span.isRecording(), true);
    assert.ok(inner);
    assert.equal(inner.isRecording(), false, 'the full sampler said drop');
    assert.notEqual(inner.spanContext().spanId, span.spanContext().spanId, 'an id of its own');
    assert.deepEqual(sampler.calls.map((c) => c.name), ['inner']);
  });

  it('warns when the tracer is not its provider\'s: the prepared ids and decision went unused', () => {
    const warnings: string[] = [];
    diag.setLogger({ warn: (message: string) => warnings.push(message), error() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
    try {
      const { roots } = setup(scriptedSampler(KEEP));
      const foreign = new TracerProvider({ sampler: scriptedSampler(KEEP) }).getTracer('other');
      roots.startRootSpan(foreign, 'root', SpanKind.SERVER).end();
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /not started with its prepared ids and decision/);
    } finally {
      diag.disable();
    }
  });

  it('keeps the active context untouched', () => {
    const { roots, tracer } = setup(scriptedSampler(KEEP));
    const before = context.active();
    roots.startRootSpan(tracer, 'x', SpanKind.SERVER).end();
    assert.equal(context.active(), before);
  });
});
