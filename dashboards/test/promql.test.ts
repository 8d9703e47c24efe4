// Every PromQL expression of the dashboards parses with the Prometheus parser once its template
// variables are filled in, and reads only metrics and labels the metric catalog defines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalog } from '../../service/src/telemetry/catalog.ts';
import { allQueries, dashboardQueries, substituteVariables } from '../src/index.ts';
import { analyze, labelValuesQuery } from './promql.ts';

const promQueries = allQueries().filter((q) => q.datasource.type === 'prometheus');

/** Every series name the catalog gives: counters, gauges, and histogram buckets, sums and counts. */
const catalogSeries = new Map<string, Set<string>>();
for (const m of Object.values(catalog)) {
  const p = m.prometheus;
  for (const name of [p.series, p.bucket, p.sum, p.count]) {
    if (name) catalogSeries.set(name, new Set(Object.values(p.labels)));
  }
}

/**
 * Labels every series may have besides its attributes: the target labels (job, instance), the
 * resource attributes stack/prometheus/prometheus.yml promotes, and the bucket bound.
 */
const COMMON_LABELS = ['job', 'instance', 'service_name', 'service_namespace', 'service_instance_id', 'deployment_environment_name', 'le'];

/** PromQL of the variable queries (label_values(<selector>, <label>)). */
const variableSelectors = dashboardQueries().flatMap((d) => d.variables.flatMap((v) => {
  const lv = v.type === 'query' && v.query ? labelValuesQuery(v.query) : undefined;
  return lv ? [{ where: `${d.uid} variable ${v.name}`, expr: lv.selector, label: lv.label }] : [];
}));

describe('PromQL of the dashboards', () => {
  it('has queries to check', () => {
    assert.ok(promQueries.length > 50, `${promQueries.length} PromQL queries`);
    assert.ok(variableSelectors.length >= 8, `${variableSelectors.length} variable queries`);
  });

  it('the check finds syntax errors (so passing it means something)', () => {
    for (const broken of [
      'sum(rate(fraud_flagged_total[1m])',           // missing parenthesis
      'sum by (rule) rate(fraud_flagged_total[1m])', // by-clause without parentheses around the argument
      'rte(fraud_flagged_total[1m])',                // unknown function
      'rate(fraud_flagged_total[1x])',               // bad duration
      'rate(fraud_flagged_total[$__rate_interval])', // a variable left unsubstituted
      'fraud_flagged_total{region="eu"',             // unclosed matcher
    ]) {
      assert.notDeepEqual(analyze(broken).errors, [], broken);
    }
    assert.deepEqual(analyze('sum by (rule) (rate(fraud_flagged_total{region=~".*"}[1m] offset 1d)) > 0').errors, []);
  });

  it('parses every panel query after variable substitution', () => {
    for (const q of promQueries) {
      const expr = substituteVariables(q.expr);
      assert.deepEqual(analyze(expr).errors, [], `${q.dashboard} / ${q.panel} / ${q.refId}: ${expr}`);
    }
  });

  it('parses every variable query selector', () => {
    for (const v of variableSelectors) {
      assert.deepEqual(analyze(substituteVariables(v.expr)).errors, [], `${v.where}: ${v.expr}`);
    }
  });

  it('reads only metrics of the catalog, each with labels it has', () => {
    const checked = new Set<string>();
    for (const { where, expr, extraLabels } of [
      ...promQueries.map((q) => ({ where: `${q.dashboard} / ${q.panel} / ${q.refId}`, expr: q.expr, extraLabels: [] as string[] })),
      ...variableSelectors.map((v) => ({ where: v.where, expr: v.expr, extraLabels: [v.label] })),
    ]) {
      const facts = analyze(substituteVariables(expr));
      assert.deepEqual(facts.unnamedSelectors, [], `${where}: select metrics by name`);
      assert.ok(facts.metrics.length > 0, `${where}: no metric`);
      const allowed = new Set(COMMON_LABELS);
      for (const metric of facts.metrics) {
        const labels = catalogSeries.get(metric);
        assert.ok(labels, `${where}: ${metric} is not a Prometheus series of the metric catalog`);
        for (const l of labels) allowed.add(l);
        checked.add(metric);
      }
      for (const label of [...facts.labels, ...extraLabels]) {
        assert.ok(allowed.has(label), `${where}: label ${label} is on none of ${facts.metrics.join(', ')}`);
      }
    }
    assert.ok(checked.size >= 30, `${checked.size} distinct metrics`);
  });

  it('the catalog check catches a metric that is not in the catalog', () => {
    const facts = analyze('sum(rate(financial_transaction_ingested_total[1m]))');
    assert.deepEqual(facts.errors, []);
    assert.equal(catalogSeries.has(facts.metrics[0]!), false);
  });

  it('uses template variables for every range: $__rate_interval, $__range or $window', () => {
    for (const q of promQueries) {
      for (const [, range] of q.expr.matchAll(/\[([^\]]*)\]/g)) {
        assert.match(range!, /^\$(__rate_interval|__range|window)$/, `${q.dashboard} / ${q.panel}: [${range}]`);
      }
    }
  });
});
