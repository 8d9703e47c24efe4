// Trace and span ids cut from a pool of random hex: one randomFillSync and one hex conversion per
// 16 KiB (about 680 requests), where the SDK's RandomIdGenerator calls Math.random and converts a
// buffer to hex for every id. Every request starts a span and so needs two ids, sampled or not;
// they were 0.85 µs of each request's main-thread time (docs/benchmarks.md, twelfth pass).
// crypto's generator also gives W3C Trace Context's random trace ids, which Math.random does not.
import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace';

// A call's fixed cost is most of it at 4 KiB (3.5 µs here; 10 µs for 64 KiB), and past 64 KiB the
// hex string is a large object, slower to make (100 µs for 64 KiB, against 1.5 for 4 KiB).
const POOL_BYTES = 16 * 1024;
const TRACE_ID_CHARS = 32;
const SPAN_ID_CHARS = 16;
const INVALID_TRACE_ID = '0'.repeat(TRACE_ID_CHARS);
const INVALID_SPAN_ID = '0'.repeat(SPAN_ID_CHARS);

export class PooledIdGenerator implements IdGenerator {
  private readonly bytes = Buffer.allocUnsafe(POOL_BYTES);
  private readonly fill: (bytes: Buffer) => Buffer;
  private hex = '';
  private offset = 0;

  /** `fill` refills the pool's bytes; tests give a predictable one. */
  constructor(fill: (bytes: Buffer) => Buffer = randomFillSync) {
    this.fill = fill;
  }

  generateTraceId(): string {
    return valid(this.take(TRACE_ID_CHARS), INVALID_TRACE_ID);
  }

  generateSpanId(): string {
    return valid(this.take(SPAN_ID_CHARS), INVALID_SPAN_ID);
  }

  /** The next `chars` characters of the pool; a substring, which V8 keeps as a slice of it. */
  private take(chars: number): string {
    if (this.offset + chars > this.hex.length) {
      this.hex = this.fill(this.bytes).toString('hex');
      this.offset = 0;
    }
    const id = this.hex.slice(this.offset, this.offset + chars);
    this.offset += chars;
    return id;
  }
}

/** All zeros is the invalid id; the SDK's own generator turns it into ...01 the same way. */
function valid(id: string, invalid: string): string {
  // The last digit first: comparing the whole slice to the constant cost 0.1 µs a request.
  return id.charCodeAt(id.length - 1) === 0x30 && id === invalid ? `${id.slice(0, -1)}1` : id;
}
