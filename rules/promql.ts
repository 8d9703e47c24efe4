// Small builders for PromQL text. They only assemble strings; every metric and label name they are
// given comes from the metric catalog (service/src/telemetry/catalog.ts) or from a recorded name.

/** `label="value"`, with the value escaped as a PromQL string. */
export const eq = (label: string, value: string): string => `${label}=${JSON.stringify(value)}`;

/** `label=~"regex"` (anchored by Prometheus). */
export const re = (label: string, regex: string): string => `${label}=~${JSON.stringify(regex)}`;

/** A vector selector: `metric{matcher, ...}`. */
export function vs(metric: string, ...matchers: string[]): string {
  return matchers.length ? `${metric}{${matchers.join(', ')}}` : metric;
}

/** `rate(v[window])`, optionally `offset` back in time. */
export function rate(vector: string, window: string, offset?: string): string {
  return `rate(${vector}[${window}]${offset ? ` offset ${offset}` : ''})`;
}

export function sumBy(labels: readonly string[], expr: string): string {
  return `sum by (${labels.join(', ')}) (${expr})`;
}

/** `(numerator or 0 * denominator) / denominator`: 0 rather than no value when nothing failed. */
export function ratioOrZero(numerator: string, denominator: string): string {
  return `(\n  ${numerator}\n  or\n  0 * ${denominator}\n)\n/\n${denominator}`;
}

/** Joins conditions with `and`, one per line, each in parentheses. */
export function and(...conditions: string[]): string {
  return conditions.map((c) => `(${c})`).join('\nand\n');
}

/** Prometheus durations used here (s, m, h, d) in seconds. */
export function seconds(duration: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(duration);
  if (!m) throw new Error(`unsupported duration ${duration}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** A readable number for PromQL text: 0.0144, not 0.014400000000000001. */
export function num(n: number): string {
  return String(Number(n.toPrecision(12)));
}
