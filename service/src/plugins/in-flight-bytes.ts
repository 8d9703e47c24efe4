// The budget of request-body bytes in flight, with room for bursts. A burst (a GC pause or a slow
// fsync holds the requests of some tens of milliseconds, and they arrive together) may use the
// whole budget. Once bodies have been refused for `overloadAfterMs` without a pause of `pauseMs`,
// the load is more than the service can take, not a burst, and only half is admitted until the
// refusals pause.
//
// Why half under overload: admitted bodies then wait half as long, and fewer live long enough to
// be promoted to V8's old generation; at three times the capacity, 1 MiB in flight kept 0.53 of
// the capacity, 512 KiB 0.82 (docs/reliability.md, Overload). Why the whole for bursts: with
// 512 KiB for everything, one stall at half load (accepted latencies up to 69 ms) queued more than
// that and 39 requests were shed (CI, 2026-11-24). Why refusals and not the bytes in flight tell overload: the store
// commits in groups, so under overload the bytes fall to almost nothing at each commit and fill
// again at once.
export class InFlightBytes {
  /** The bytes of the requests admitted and not yet finished. */
  bytes = 0;
  private readonly limit: number;
  private readonly overloadAfterMs: number;
  private readonly pauseMs: number;
  private readonly now: () => number;
  /** When the current spell of refusals began, and the last refusal; -1 when none. */
  private refusingSince = -1;
  private lastRefusal = -1;

  constructor(limit: number, options: { overloadAfterMs: number; pauseMs: number; now?: () => number }) {
    this.limit = limit;
    this.overloadAfterMs = options.overloadAfterMs;
    this.pauseMs = options.pauseMs;
    this.now = options.now ?? (() => performance.now());
  }

  /** Whether a body of `size` bytes may be admitted now; a refusal is counted. One bigger than the budget gets in alone. */
  fits(size: number): boolean {
    if (this.bytes === 0 || this.bytes + size <= this.currentLimit()) return true;
    this.lastRefusal = this.now();
    if (this.refusingSince < 0) this.refusingSince = this.lastRefusal;
    return false;
  }

  /** The whole budget, or half of it in overload. */
  private currentLimit(): number {
    // The clock is read only during a spell of refusals: at ordinary loads this costs nothing.
    if (this.refusingSince < 0) return this.limit;
    const now = this.now();
    if (now - this.lastRefusal > this.pauseMs) {
      this.refusingSince = -1;
      return this.limit;
    }
    return now - this.refusingSince >= this.overloadAfterMs ? this.limit / 2 : this.limit;
  }

  add(size: number): void {
    this.bytes += size;
  }

  remove(size: number): void {
    this.bytes -= size;
  }
}
