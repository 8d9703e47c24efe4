// Event-loop lag as a smoothed signal for load shedding. A timer due every `intervalMs` measures
// how late it fires; each lag, capped at `capMs`, is averaged with an exponential weight. So one
// long turn, however long (a GC pause, a large batch, start-up compilation), does not trip a limit
// of capMs / 2, while two or more long turns in a row (a queue building up) do, and a few short
// turns clear it.
import { getHeapStatistics } from 'node:v8';

export class EventLoopLag {
  private readonly intervalMs: number;
  private readonly weight: number;
  private readonly capMs: number;
  private smoothed = 0;
  private heapUsed = 0;
  private ticks = 0;
  private due = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: { intervalMs?: number; weight?: number; capMs?: number } = {}) {
    this.intervalMs = options.intervalMs ?? 10;
    this.weight = options.weight ?? 0.3;
    this.capMs = options.capMs ?? Infinity;
  }

  start(): void {
    this.heapUsed = getHeapStatistics().used_heap_size;
    this.schedule(performance.now());
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** The smoothed lag, in milliseconds. */
  get lagMs(): number {
    return this.smoothed;
  }

  /** V8 heap in use, in bytes, sampled every tenth tick. */
  get heapUsedBytes(): number {
    return this.heapUsed;
  }

  private schedule(now: number): void {
    this.due = now + this.intervalMs;
    // unref: the monitor alone does not keep the process alive.
    this.timer = setTimeout(this.tick, this.intervalMs).unref();
  }

  private readonly tick = () => {
    const now = performance.now();
    this.smoothed += this.weight * (Math.min(this.capMs, Math.max(0, now - this.due)) - this.smoothed);
    if (++this.ticks % 10 === 0) this.heapUsed = getHeapStatistics().used_heap_size;
    this.schedule(now);
  };
}
