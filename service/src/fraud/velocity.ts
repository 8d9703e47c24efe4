// Sliding window of recent record timestamps per customer, for the `velocity` rule.
// Kept in memory and bounded: old timestamps are pruned, and the least recently seen
// customers are evicted past `maxCustomers`. main.ts warms it from the store at start.
import type { FraudThresholds } from '../config.ts';

export class VelocityWindow {
  private readonly windowMs: number;
  private readonly maxCustomers: number;
  private readonly maxPerCustomer: number;
  private readonly seen = new Map<string, number[]>();

  constructor(options: { windowSeconds: number; maxCustomers?: number; maxPerCustomer?: number }) {
    this.windowMs = options.windowSeconds * 1000;
    this.maxCustomers = options.maxCustomers ?? 100_000;
    this.maxPerCustomer = options.maxPerCustomer ?? 1_000;
  }

  /**
   * Records one record of `customerId` at `timestampMs` and returns how many of that customer's
   * records (this one included) have a timestamp in the window (timestampMs - window, timestampMs].
   */
  observe(customerId: string, timestampMs: number): number {
    let times = this.seen.get(customerId);
    if (times) {
      this.seen.delete(customerId); // re-inserted below: Map order is the LRU order
      insertSorted(times, timestampMs);
    } else {
      // An array literal holds exactly one number; an empty array grown by insertion reserves
      // room for 17, and most customers are seen once per window (docs/benchmarks.md: memory).
      times = [timestampMs];
      if (this.seen.size >= this.maxCustomers) this.evictOldest();
    }
    // Forget what is older than a window before the newest timestamp seen: it can no longer
    // count, except for records arriving that late, which then see a smaller count.
    const newest = times[times.length - 1];
    let drop = 0;
    while (drop < times.length && times[drop] <= newest - this.windowMs) drop++;
    if (times.length - drop > this.maxPerCustomer) drop = times.length - this.maxPerCustomer;
    if (drop > 0) times.splice(0, drop);
    this.seen.set(customerId, times);

    let count = 0;
    for (const t of times) if (t > timestampMs - this.windowMs && t <= timestampMs) count++;
    return count;
  }

  /**
   * Forgets the least recently seen tenth of the customers, in one pass. One at a time was
   * quadratic: a Map keeps deleted entries as holes until it is rehashed, so finding the first
   * live key walked over every customer evicted before it (17% of the CPU under overload with
   * new customers only, docs/reliability.md).
   */
  private evictOldest(): void {
    let evict = Math.max(1, Math.ceil(this.maxCustomers / 10));
    for (const customer of this.seen.keys()) {
      this.seen.delete(customer);
      if (--evict === 0) break;
    }
  }

  get customers(): number {
    return this.seen.size;
  }

  /** Timestamps held, over all customers: what the window costs in memory. */
  get timestamps(): number {
    let n = 0;
    for (const times of this.seen.values()) n += times.length;
    return n;
  }
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

function insertSorted(times: number[], value: number): void {
  let i = times.length;
  while (i > 0 && times[i - 1] > value) i--;
  times.splice(i, 0, value);
}
