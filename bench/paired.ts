// Statistics of the benchmark: medians, the paired throughput ratio with the start order of
// the two services cancelled out, and the split of fresh processes by their GC helper threads.

/** The middle value; for an even count, the mean of the two middle ones. */
export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export interface Pair {
  /** Whether the default-mode service was started (and loaded) first. */
  defaultFirst: boolean;
  /** Throughputs of the default and the no-telemetry service in the same run. */
  def: number;
  base: number;
}

/**
 * The paired throughput ratio with the start order cancelled out. If telemetry scales throughput
 * by `ratio` and being the second-started service by `position`, the pairs that start
 * no-telemetry first measure ratio × position and the others ratio / position: the geometric mean
 * of the two orders' medians is the ratio, and the square root of their quotient the position.
 */
export function pairedRatio(pairs: readonly Pair[]): { ratio: number; position: number } {
  const order = (defaultFirst: boolean) => median(pairs.filter((p) => p.defaultFirst === defaultFirst).map((p) => p.def / p.base));
  const [baseFirst, defaultFirst] = [order(false), order(true)];
  return { ratio: Math.sqrt(baseFirst * defaultFirst), position: Math.sqrt(baseFirst / defaultFirst) };
}

/** One round of the alternating runs: each service's throughput, measured one right after the other. */
export interface Round {
  def: number;
  base: number;
}

/**
 * The alternating throughput ratio: the median of each round's ratio. The two runs of a round are
 * seconds apart, so each ratio compares runs that saw the machine at about the same speed, and
 * drift between rounds drops out of it. Also the rounds' spread, to read the noise by.
 */
export function alternatingRatio(rounds: readonly Round[]): { ratio: number; min: number; max: number } {
  const ratios = rounds.map((r) => r.def / r.base);
  return { ratio: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

/** One fresh process's measurement: its CPU per request, and the part V8's helper threads took. */
export interface FreshProcess {
  mode: string;
  rate: number;
  cpuUs: number;
  helperCpuUs: number;
}

export interface FreshSplit {
  mode: string;
  cpuUs: number[];
  helperCpuUs: number[];
  /** Processes whose helper threads took more than twice the baseline mode's median. */
  heavy: number;
}

/**
 * Per mode, the fresh processes' figures and how many of them had heavy helper threads: more than
 * twice the median of `baseline`'s processes (the mark of a process caught by pretenuring, when
 * `baseline` is the service as shipped).
 */
export function freshSplit(fresh: readonly FreshProcess[], modes: readonly string[], baseline: string): FreshSplit[] {
  const limit = 2 * median(fresh.filter((f) => f.mode === baseline).map((f) => f.helperCpuUs));
  return modes.map((mode) => {
    const of = fresh.filter((f) => f.mode === mode);
    return { mode, cpuUs: of.map((f) => f.cpuUs), helperCpuUs: of.map((f) => f.helperCpuUs), heavy: of.filter((f) => f.helperCpuUs > limit).length };
  });
}
