// Trace and span ids cut from hex strings of crypto-random bytes, where the SDK's RandomIdGenerator
// calls Math.random and converts a buffer to hex for every id. Every request starts a span and so
// needs two ids, sampled or not; they were 0.85 µs of each request's main-thread time
// (docs/benchmarks.md, twelfth pass). crypto's generator also gives W3C Trace Context's random
// trace ids, which Math.random does not.
import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace';

/**
 * Random bytes per randomFillSync. In the service each call cost about 30 µs whatever its size
 * (profiled at 4 KiB), so one call serves about 680 requests.
 */
const POOL_BYTES = 16 * 1024;
/**
 * Bytes per hex string that ids are cut from. An id is a slice of its string and keeps all of it
 * alive while it lives: the ids of spans and logs awaiting export (seconds) then hold 1 KiB each at
 * most, where slices of one string per pool held 32 KiB.
 */
const CHUNK_BYTES = 512;
const TRACE_ID_CHARS = 32;
const SPAN_ID_CHARS = 16;
const INVALID_TRACE_ID = '0'.repeat(TRACE_ID_CHARS);
const INVALID_SPAN_ID = '0'.repeat(SPAN_ID_CHARS);

export class PooledIdGenerator implements IdGenerator {
  private readonly bytes = Buffer.allocUnsafe(POOL_BYTES);
  private readonly fill: (bytes: Buffer) => Buffer;
  /** Where the next chunk starts in `bytes`; past the end, the pool is refilled first. */
  private chunkStart = POOL_BYTES;
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

  /** The next `chars` hex digits; the rest of a chunk too short for them is skipped. */
  private take(chars: number): string {
    if (this.offset + chars > this.hex.length) {
      if (this.chunkStart + CHUNK_BYTES > POOL_BYTES) {
        this.fill(this.bytes);
        this.chunkStart = 0;
      }
      this.hex = this.bytes.toString('hex', this.chunkStart, this.chunkStart + CHUNK_BYTES);
      this.chunkStart += CHUNK_BYTES;
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
