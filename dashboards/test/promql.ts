// PromQL checks with Prometheus's own parser (@prometheus-io/lezer-promql, the one its web UI uses).
import { parser } from '@prometheus-io/lezer-promql';

export interface PromqlFacts {
  /** Syntax errors: the text around each error node of the tree. */
  errors: string[];
  /** Metric names of the vector selectors. */
  metrics: string[];
  /** Label names in matchers, by/without, on/ignoring, group_left/right. */
  labels: string[];
  /** Selectors that name no metric (`{__name__=...}` or a quoted name), which the catalog check cannot see. */
  unnamedSelectors: string[];
}

/** Parses `expr` (template variables already filled in) and reports what it contains. */
export function analyze(expr: string): PromqlFacts {
  const facts: PromqlFacts = { errors: [], metrics: [], labels: [], unnamedSelectors: [] };
  const text = (from: number, to: number) => expr.slice(from, to);
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) {
        facts.errors.push(`at ${node.from}: "${text(Math.max(0, node.from - 20), Math.min(expr.length, node.to + 20))}"`);
      } else if (node.name === 'VectorSelector') {
        const name = node.node.getChild('Identifier');
        if (name) facts.metrics.push(text(name.from, name.to));
        else facts.unnamedSelectors.push(text(node.from, node.to));
      } else if (node.name === 'LabelName') {
        facts.labels.push(text(node.from, node.to));
      }
    },
  });
  return facts;
}

/** The series selector of a Grafana `label_values(<selector>, <label>)` variable query. */
export function labelValuesQuery(query: string): { selector: string; label: string } | undefined {
  const m = /^label_values\((.*),\s*(\w+)\)$/.exec(query.trim());
  return m ? { selector: m[1]!, label: m[2]! } : undefined;
}
