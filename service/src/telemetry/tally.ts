// A counter for the per-record hot path: counts are kept in the process, one number per attribute
// set, and an observable counter reports the running totals when the reader collects. What
// Prometheus receives is the same cumulative sum, with the same name, unit and attributes, as
// from a synchronous counter. What changes is the cost of one `add`: a map lookup per value,
// instead of the SDK's attribute cleaning, sorting and JSON hashing on every call, which was a
// few percent of a request's CPU and a large share of a 100-record batch's (docs/benchmarks.md).
//
// Only for attribute values from bounded sets: every distinct set stays in memory for the life
// of the process (as it does in the SDK's own storage).
import type { Attributes, Meter } from '@opentelemetry/api';
import { assertCatalogAttributes, type CatalogEntry } from './catalog.ts';

interface Cell {
  attributes: Attributes;
  value: number;
}

export class TallyCounter {
  private readonly keys: readonly string[];
  /** Cells by their first value, then their second, and so on: a lookup builds no key string. */
  private readonly tree = new Map<string, unknown>();
  private readonly cells: Cell[] = [];

  /** `keys` names the attribute of each value passed to `add`, in order; all from the catalog entry. */
  constructor(meter: Meter, def: CatalogEntry, keys: readonly string[]) {
    assertCatalogAttributes(def, keys);
    this.keys = keys;
    meter
      .createObservableCounter(def.name, { unit: def.unit, description: def.description })
      .addCallback((result) => {
        for (const cell of this.cells) result.observe(cell.value, cell.attributes);
      });
  }

  /** Adds `n` to the attribute set made of `values` (as many as `keys`, same order). */
  add(n: number, ...values: string[]): void {
    let node = this.tree;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = node.get(values[i]) as Map<string, unknown> | undefined;
      if (!next) node.set(values[i], (next = new Map()));
      node = next;
    }
    let cell = node.get(values[last]) as Cell | undefined;
    if (!cell) {
      const attributes: Attributes = {};
      this.keys.forEach((name, i) => (attributes[name] = values[i]));
      cell = { attributes, value: 0 };
      node.set(values[last], cell);
      this.cells.push(cell);
    }
    cell.value += n;
  }
}
