// Sliding window of recent record timestamps per customer, for the `velocity` rule.
// Kept in memory and bounded: old timestamps are pruned, and the least recently seen
// customers are evicted past `maxCustomers`. service.ts warms it from the store at start.
//
// Everything lives in typed arrays allocated once, outside the JS heap: a window at its cap held
// 100,000 strings, arrays and map entries that every full GC had to mark (17 MiB of a 37 MB live
// set, docs/benchmarks.md). Customers are told apart by a 64-bit hash of their id instead of the
// id itself; two customers share both halves with a probability of about n^2 / 2^65 (3 in 10^10
// for 100,000 customers), and would then be counted together.
import type { FraudThresholds } from '../config.ts';

/** Timestamps held in the typed slab per customer; a customer with more spills into a JS array. */
const MAX_INLINE = 8;

export class VelocityWindow {
  private readonly windowMs: number;
  private readonly maxCustomers: number;
  private readonly maxPerCustomer: number;
  private readonly inline: number;

  // Per slot (one customer each): its id's hash, how many timestamps it holds (0: free), when it
  // was last seen (a sequence number, for eviction), and its timestamps, sorted, in the slab.
  private readonly hashA: Uint32Array;
  private readonly hashB: Uint32Array;
  private readonly lengths: Uint32Array;
  private readonly lastSeen: Float64Array;
  private readonly slab: Float64Array;
  /** Customers holding more than `inline` timestamps (only when maxPerCustomer > MAX_INLINE). */
  private readonly spilled = new Map<number, number[]>();
  private readonly free: Int32Array;
  private freeCount: number;
  private live = 0;
  private sequence = 0;

  /** Open addressing, linear probing: slot + 1, or 0 for an empty bucket. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private hashLow = 0;
  private hashHigh = 0;

  constructor(options: { windowSeconds: number; maxCustomers?: number; maxPerCustomer?: number }) {
    this.windowMs = options.windowSeconds * 1000;
    this.maxCustomers = options.maxCustomers ?? 100_000;
    this.maxPerCustomer = options.maxPerCustomer ?? 1_000;
    if (!(this.maxCustomers >= 1 && this.maxPerCustomer >= 1)) throw new RangeError('the velocity window needs room for at least one customer and one timestamp');
    this.inline = Math.min(this.maxPerCustomer, MAX_INLINE);
    const slots = this.maxCustomers;
    this.hashA = new Uint32Array(slots);
    this.hashB = new Uint32Array(slots);
    this.lengths = new Uint32Array(slots);
    this.lastSeen = new Float64Array(slots);
    this.slab = new Float64Array(slots * this.inline);
    this.free = new Int32Array(slots);
    for (let i = 0; i < slots; i++) this.free[i] = slots - 1 - i; // slot 0 is handed out first
    this.freeCount = slots;
    // At most half full, so that probes stay short.
    let buckets = 1;
    while (buckets < slots * 2) buckets *= 2;
    this.table = new Int32Array(buckets);
    this.mask = buckets - 1;
  }

  /**
   * Records one record of `customerId` at `timestampMs` and returns how many of that customer's
   * records (this one included) have a timestamp in the window (timestampMs - window, timestampMs].
   */
  observe(customerId: string, timestampMs: number): number {
    this.hash(customerId);
    let bucket = this.hashLow & this.mask;
    for (let entry = this.table[bucket]; entry !== 0; entry = this.table[bucket]) {
      const slot = entry - 1;
      if (this.hashA[slot] === this.hashLow && this.hashB[slot] === this.hashHigh) {
        this.lastSeen[slot] = ++this.sequence;
        return this.add(slot, timestampMs);
      }
      bucket = (bucket + 1) & this.mask;
    }
    if (this.live >= this.maxCustomers) {
      this.evictLeastRecent();
      return this.observe(customerId, timestampMs); // the table was rebuilt: probe again
    }
    const slot = this.free[--this.freeCount];
    this.live++;
    this.table[bucket] = slot + 1;
    this.hashA[slot] = this.hashLow;
    this.hashB[slot] = this.hashHigh;
    this.lastSeen[slot] = ++this.sequence;
    this.lengths[slot] = 1;
    this.slab[slot * this.inline] = timestampMs;
    return this.countIn(this.slab, slot * this.inline, 1, timestampMs);
  }

  get customers(): number {
    return this.live;
  }

  /** Timestamps held, over all customers: what the window costs in memory. */
  get timestamps(): number {
    let n = 0;
    for (let slot = 0; slot < this.maxCustomers; slot++) n += this.lengths[slot];
    return n;
  }

  /** Typed-array bytes the window holds (allocated at construction, whatever it holds). */
  get bytes(): number {
    return this.hashA.byteLength + this.hashB.byteLength + this.lengths.byteLength + this.lastSeen.byteLength
      + this.slab.byteLength + this.free.byteLength + this.table.byteLength;
  }

  /** Adds a timestamp to a known customer; returns its count in the window ending there. */
  private add(slot: number, timestampMs: number): number {
    let times = this.spilled.get(slot);
    const length = this.lengths[slot];
    const base = slot * this.inline;
    if (!times && length < this.inline) {
      // Room in the slab: insert in order, prune, count, all in place.
      let i = length;
      while (i > 0 && this.slab[base + i - 1] > timestampMs) {
        this.slab[base + i] = this.slab[base + i - 1];
        i--;
      }
      this.slab[base + i] = timestampMs;
      const held = length + 1;
      const drop = this.toDrop(this.slab, base, held);
      if (drop > 0) this.slab.copyWithin(base, base + drop, base + held);
      this.lengths[slot] = held - drop;
      return this.countIn(this.slab, base, held - drop, timestampMs);
    }
    // The slab's share is full: work on an array, and move it back if it fits again.
    times ??= Array.from(this.slab.subarray(base, base + length));
    let i = times.length;
    while (i > 0 && times[i - 1] > timestampMs) i--;
    times.splice(i, 0, timestampMs);
    const drop = this.toDrop(times, 0, times.length);
    if (drop > 0) times.splice(0, drop);
    this.lengths[slot] = times.length;
    if (times.length <= this.inline) {
      this.slab.set(times, base);
      this.spilled.delete(slot);
    } else {
      this.spilled.set(slot, times);
    }
    return this.countIn(times, 0, times.length, timestampMs);
  }

  /**
   * How many of the oldest timestamps to forget: those a window or more before the newest seen
   * (they can no longer count, except for records arriving that late, which then see a smaller
   * count), and any beyond maxPerCustomer.
   */
  private toDrop(times: ArrayLike<number>, base: number, length: number): number {
    const cutoff = times[base + length - 1] - this.windowMs;
    let drop = 0;
    // The newest always stays: a slot with no timestamps is a free slot.
    while (drop < length - 1 && times[base + drop] <= cutoff) drop++;
    if (length - drop > this.maxPerCustomer) drop = length - this.maxPerCustomer;
    return drop;
  }

  private countIn(times: ArrayLike<number>, base: number, length: number, timestampMs: number): number {
    let count = 0;
    for (let i = base; i < base + length; i++) if (times[i] > timestampMs - this.windowMs && times[i] <= timestampMs) count++;
    return count;
  }

  /**
   * Forgets the least recently seen tenth of the customers, in one pass over the slots, then
   * rebuilds the table without them (open addressing has no cheap delete).
   */
  private evictLeastRecent(): void {
    const evict = Math.max(1, Math.ceil(this.maxCustomers / 10));
    const seen = new Float64Array(this.live);
    let n = 0;
    for (let slot = 0; slot < this.maxCustomers; slot++) if (this.lengths[slot] > 0) seen[n++] = this.lastSeen[slot];
    // Sequence numbers are unique: everything at or below the evict-th smallest goes.
    const cutoff = kthSmallest(seen, evict - 1);
    this.table.fill(0);
    for (let slot = 0; slot < this.maxCustomers; slot++) {
      if (this.lengths[slot] === 0) continue;
      if (this.lastSeen[slot] <= cutoff) {
        this.lengths[slot] = 0;
        this.spilled.delete(slot);
        this.free[this.freeCount++] = slot;
        this.live--;
        continue;
      }
      let bucket = this.hashA[slot] & this.mask;
      while (this.table[bucket] !== 0) bucket = (bucket + 1) & this.mask;
      this.table[bucket] = slot + 1;
    }
  }

  /** Two independent 32-bit hashes of `id` (FNV-1a and a multiply-xorshift), into hashLow/hashHigh. */
  private hash(id: string): void {
    let a = 0x811c9dc5;
    let b = 0x9e3779b9 ^ id.length;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    // Finalizers, so that the low bits that pick a bucket depend on every character.
    a ^= a >>> 16;
    a = Math.imul(a, 0x85ebca6b);
    a ^= a >>> 13;
    b = Math.imul(b ^ (b >>> 16), 0xc2b2ae35);
    b ^= b >>> 16;
    this.hashLow = a >>> 0;
    this.hashHigh = b >>> 0;
  }
}

/** The k-th smallest (0-based) of `values`, which it reorders (quickselect, Hoare partition). */
export function kthSmallest(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k];
  }
  return values[k];
}

/**
 * The window the `velocity` rule needs: it only asks whether a customer's count exceeds
 * `velocityMaxRecords`, so one timestamp more than that per customer is enough. Keeping every
 * timestamp made the window grow with the ingest rate (1.8 M numbers at 30,000 records/s over
 * 60 s) until overload ran the heap out (docs/reliability.md).
 */
export function velocityWindowFor(fraud: FraudThresholds): VelocityWindow {
  return new VelocityWindow({ windowSeconds: fraud.velocityWindowSeconds, maxPerCustomer: fraud.velocityMaxRecords + 1 });
}
