// Random draws for the data generator. Everything takes a `Random` (a function returning a
// uniform number in [0, 1), like Math.random) so k6 can use Math.random and a unit test a seeded one.
// No k6 or Node imports: this runs in both.

export type Random = () => number;

/** A value with its relative weight; weights need not add up to anything in particular. */
export type Weighted<T> = ReadonlyArray<readonly [T, number]>;

/** The item whose cumulative weight band contains `u` (a uniform number in [0, 1)). */
export function pickAt<T>(items: Weighted<T>, u: number): T {
  let total = 0;
  for (const [, weight] of items) total += weight;
  let threshold = u * total;
  for (const [item, weight] of items) {
    if (threshold < weight) return item;
    threshold -= weight;
  }
  return items[items.length - 1][0];
}

export const pickWeighted = <T>(random: Random, items: Weighted<T>): T => pickAt(items, random());

export const pickOne = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

export const chance = (random: Random, probability: number): boolean => random() < probability;

/** An integer in [min, max], both included. */
export const intBetween = (random: Random, min: number, max: number): number =>
  min + Math.floor(random() * (max - min + 1));

/** A standard normal draw by the Box–Muller transform (1 - u keeps the logarithm finite). */
export function standardNormal(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Log-normal around a median: amounts of money are skewed (many small, a few large), which a
 * normal distribution cannot give. `sigma` is the spread of the logarithm (1 ≈ a factor e).
 */
export const logNormal = (random: Random, median: number, sigma: number): number =>
  median * Math.exp(sigma * standardNormal(random));

/** mulberry32: a small seeded generator, so a test sees the same records on every run. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
