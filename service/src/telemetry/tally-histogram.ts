// A histogram for the per-request hot path: bucket counts are kept in the process, one cell per
// attribute set, and tally-producer.ts hands them to the metric readers at collection. Prometheus
// receives the same explicit-bucket histogram, with the same name, unit, attributes and buckets,
// as from the SDK's histogram. What changes is the cost of one record: the caller keeps the cell
// of its attribute set and records into it, instead of the SDK sorting, JSON-hashing and looking
// up the attributes on every call, which was the largest share of the telemetry's own CPU per
// request in the profiles (docs/benchmarks.md).
//
// Only for attribute values from bounded sets: every cell lives as long as the process (as the
// SDK's own storage does).
import type { Attributes } from '@opentelemetry/api';
import { assertCatalogAttributes, type CatalogEntry } from './catalog.ts';

/** Index of the bucket for `value`: the first boundary >= value (buckets are upper-inclusive, as in OTLP). */
function bucketIndex(boundaries: readonly number[], value: number): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (boundaries[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The running totals of one attribute set. */
export class HistogramCell {
  readonly attributes: Attributes;
  /** When the cell was created (epoch ms): the start of its cumulative series. */
  readonly startMs: number;
  readonly counts: Float64Array;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private readonly boundaries: readonly number[];

  constructor(attributes: Attributes, boundaries: readonly number[]) {
    this.attributes = attributes;
    this.boundaries = boundaries;
    this.counts = new Float64Array(boundaries.length + 1);
    this.startMs = Date.now();
  }

  /**
   * Records one value. Negative values and NaN are dropped, as the SDK's histogram drops them;
   * so are infinite ones, which the SDK would count in the last bucket and which would leave the
   * sum infinite for the life of the process.
   */
  record(value: number): void {
    if (typeof value !== 'number' || !(value >= 0) || value === Infinity) return;
    this.counts[bucketIndex(this.boundaries, value)]++;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }
}

export class TallyHistogram {
  readonly def: CatalogEntry;
  readonly boundaries: readonly number[];
  private readonly cellsByKey = new Map<string, HistogramCell>();

  constructor(def: CatalogEntry) {
    if (def.kind !== 'histogram' || !def.buckets) throw new Error(`${def.name} is not a histogram with buckets in the catalog`);
    this.def = def;
    this.boundaries = Object.freeze([...def.buckets]);
  }

  /**
   * The cell of an attribute set, created on first use. Callers keep it (per route and status,
   * per currency) so that recording needs no lookup; this lookup is for the cold path.
   */
  cell(attributes: Attributes): HistogramCell {
    const keys = Object.keys(attributes).sort();
    assertCatalogAttributes(this.def, keys);
    const key = JSON.stringify(keys.map((k) => [k, attributes[k]]));
    let cell = this.cellsByKey.get(key);
    if (!cell) {
      cell = new HistogramCell(Object.freeze({ ...attributes }), this.boundaries);
      this.cellsByKey.set(key, cell);
    }
    return cell;
  }

  cells(): IterableIterator<HistogramCell> {
    return this.cellsByKey.values();
  }
}

/**
 * One histogram per catalog entry in the process, as the SDK keeps one storage per instrument
 * name: two apps in one process (the tests) record into the same series.
 */
const registry = new Map<string, TallyHistogram>();

export function tallyHistogram(def: CatalogEntry): TallyHistogram {
  let histogram = registry.get(def.name);
  if (!histogram) {
    histogram = new TallyHistogram(def);
    registry.set(def.name, histogram);
  }
  return histogram;
}

export function tallyHistograms(): IterableIterator<TallyHistogram> {
  return registry.values();
}
