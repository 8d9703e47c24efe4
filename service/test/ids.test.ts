// The pooled trace and span id generator: W3C-valid ids, cut in order from the pool and refilled
// when it runs out, never the all-zero invalid id, and used by the SDK's tracer.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { PooledIdGenerator } from '../src/telemetry/ids.ts';

/**
 * Fills the pool with the 16-bit count 0, 1, 2, ... (two bytes each), continuing across refills, and
 * counts the refills: an id's digits say which bytes of which fill it came from (byte i holds half
 * of the count i / 2, so the four digits "abcd" come from bytes 2 × 0xabcd and 2 × 0xabcd + 1).
 */
function countingFill() {
  let next = 0;
  const fill = (bytes: Buffer) => {
    fill.refills++;
    for (let i = 0; i < bytes.length; i += 2) bytes.writeUInt16BE(next++ & 0xffff, i);
    return bytes;
  };
  fill.refills = 0;
  return fill;
}

it('gives 32- and 16-digit lowercase hex ids, all different, across many refills of the pool', () => {
  const ids = new PooledIdGenerator();
  const traces = Array.from({ length: 20_000 }, () => ids.generateTraceId());
  const spans = Array.from({ length: 20_000 }, () => ids.generateSpanId());
  assert.ok(traces.every((id) => /^[0-9a-f]{32}$/.test(id)));
  assert.ok(spans.every((id) => /^[0-9a-f]{16}$/.test(id)));
  assert.equal(new Set(traces).size, traces.length);
  assert.equal(new Set(spans).size, spans.length);
  // Random digits: each of the 16 appears about as often as the others (960,000 digits in all).
  const counts = new Map<string, number>();
  for (const id of [...traces, ...spans]) for (const digit of id) counts.set(digit, (counts.get(digit) ?? 0) + 1);
  assert.equal(counts.size, 16);
  for (const [digit, count] of counts) assert.ok(Math.abs(count - 60_000) < 3_000, `digit ${digit} ${count} times`);
});

it('cuts ids in order from 512-byte chunks of the pool and refills the pool every 16 KiB', () => {
  const fill = countingFill();
  const ids = new PooledIdGenerator(fill);
  assert.equal(ids.generateTraceId(), '00000001000200030004000500060007', 'bytes 0-15');
  assert.equal(ids.generateSpanId(), '00080009000a000b', 'bytes 16-23');
  assert.equal(fill.refills, 1);
  // 16 KiB hold 2,048 span ids of 8 bytes, 64 to a chunk, the count running on across chunks; the
  // two ids above took 3 of those places.
  const spans: string[] = [];
  for (let i = 3; i < 2048; i++) spans.push(ids.generateSpanId());
  assert.equal(spans[0], '000c000d000e000f', 'bytes 24-31');
  assert.equal(spans[63 - 3], '00fc00fd00fe00ff', 'bytes 504-511, the end of the first chunk');
  assert.equal(spans[64 - 3], '0100010101020103', 'bytes 512-519, the start of the second');
  assert.equal(spans.at(-1), '1ffc1ffd1ffe1fff', 'bytes 16,376-16,383, the end of the first fill');
  assert.equal(fill.refills, 1);
  assert.equal(ids.generateSpanId(), '2000200120022003', 'the first bytes of the second fill');
  assert.equal(fill.refills, 2);
});

it('skips the rest of a chunk too short for the next id', () => {
  const fill = countingFill();
  const ids = new PooledIdGenerator(fill);
  // A chunk holds 21 pairs of ids (24 bytes each) and 8 bytes more.
  for (let i = 0; i < 21; i++) {
    ids.generateTraceId();
    ids.generateSpanId();
  }
  assert.equal(ids.generateTraceId(), '01000101010201030104010501060107', 'bytes 512-527: the next chunk');
  const other = new PooledIdGenerator(countingFill());
  for (let i = 0; i < 21; i++) {
    other.generateTraceId();
    other.generateSpanId();
  }
  assert.equal(other.generateSpanId(), '00fc00fd00fe00ff', 'bytes 504-511: a span id fits in the rest');
  assert.equal(fill.refills, 1);
});

it('never gives the all-zero invalid id, and keeps ids that merely end in zeros', () => {
  const ids = new PooledIdGenerator((bytes) => bytes.fill(0));
  assert.equal(ids.generateTraceId(), `${'0'.repeat(31)}1`);
  assert.equal(ids.generateSpanId(), `${'0'.repeat(15)}1`);
  // One nonzero byte first, zeros after: valid as it is.
  const endsInZeros = new PooledIdGenerator((bytes) => bytes.fill(0).fill(1, 0, 1));
  assert.equal(endsInZeros.generateTraceId(), `01${'0'.repeat(30)}`);
});

it('is what the SDK tracer uses for new traces and spans', () => {
  const provider = new TracerProvider({ idGenerator: new PooledIdGenerator(countingFill()) });
  const span = provider.getTracer('test').startSpan('root');
  // The tracer asks for the span id first, then the trace id of a new trace.
  assert.equal(span.spanContext().spanId, '0000000100020003');
  assert.equal(span.spanContext().traceId, '000400050006000700080009000a000b');
  span.end();
});
