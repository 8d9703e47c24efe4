// Sliding window of recent record timestamps per customer, for the `velocity` rule.
// Kept in memory and bounded: old timestamps are pruned, and the least recently seen
// customers are evicted past `maxCustomers`. main.ts warms it from the store at start.

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
    } else {
      times = [];
      if (this.seen.size >= this.maxCustomers) {
        this.seen.delete(this.seen.keys().next().value as string);
      }
    }
    insertSorted(times, timestampMs);
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

  get customers(): number {
    return this.seen.size;
  }
}

function insertSorted(times: number[], value: number): void {
  let i = times.length;
  while (i > 0 && times[i - 1] > value) i--;
  times.splice(i, 0, value);
}
