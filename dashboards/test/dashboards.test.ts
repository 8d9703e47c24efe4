// The dashboards' structure: committed JSON up to date, descriptions, units, template variables,
// and datasources that Grafana provisions.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { parse } from 'yaml';
import {
  DEFAULT_VARIABLE_VALUES, allDashboards, allQueries, dashboardQueries, fileName, panelsOf, render, substituteVariables,
} from '../src/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const GENERATED = join(ROOT, 'dashboards', 'generated');
const dashboards = allDashboards();

/** The datasources Grafana provisions: uid -> type. */
const provisioned = new Map<string, string>(
  (parse(readFileSync(join(ROOT, 'stack/grafana/provisioning/datasources/datasources.yaml'), 'utf8')).datasources as { uid: string; type: string }[])
    .map((d) => [d.uid, d.type]),
);

/** Template variables each dashboard must offer (all have `datasource`). */
const REQUIRED_VARIABLES: Record<string, string[]> = {
  'okit-ingestor-overview': ['instance', 'route'],
  'okit-business': ['instance', 'region', 'currency'],
  'okit-fraud': ['instance', 'region', 'window', 'compare', 'trace_id'],
  'okit-pipeline-health': ['instance'],
  'okit-load-test': ['testid', 'instance'],
};

/** Panel types that show no numbers, so have no unit. */
const UNITLESS = new Set(['logs', 'traces', 'alertlist']);

describe('generated dashboards', () => {
  it('are up to date: npm run dashboards writes exactly the committed files', () => {
    const expected = new Map(dashboards.map((d) => [fileName(d), render(d)]));
    const committed = readdirSync(GENERATED).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(committed, [...expected.keys()].sort(), 'dashboards/generated is stale: run npm run dashboards');
    for (const [file, json] of expected) {
      assert.ok(readFileSync(join(GENERATED, file), 'utf8') === json, `${file} is stale: run npm run dashboards`);
    }
  });

  it('are stable: two builds give the same JSON, ending in a newline', () => {
    const again = allDashboards().map(render);
    assert.deepEqual(again, dashboards.map(render));
    for (const json of again) assert.ok(json.endsWith('}\n'));
  });
});

describe('dashboards', () => {
  it('are the five of the kit, with unique uids Grafana accepts', () => {
    const uids = dashboards.map((d) => d.uid!);
    assert.deepEqual(uids.sort(), Object.keys(REQUIRED_VARIABLES).sort());
    for (const uid of uids) assert.match(uid, /^[a-z0-9-]{1,40}$/);
  });

  for (const d of dashboards) {
    describe(d.title!, () => {
      const panels = panelsOf(d);
      const variables = (d.templating?.list ?? []).map((v) => v.name);

      it('has a description on the dashboard and on every panel', () => {
        assert.ok((d.description ?? '').length > 20);
        assert.ok(panels.length >= 8, `${panels.length} panels`);
        for (const p of panels) assert.ok((p.description ?? '').length >= 20, `panel "${p.title}" needs a description`);
      });

      it('has unique panel ids and titles', () => {
        const ids = (d.panels ?? []).map((p) => p.id);
        assert.equal(new Set(ids).size, ids.length);
        const titles = panels.map((p) => p.title);
        assert.equal(new Set(titles).size, titles.length, titles.join(', '));
      });

      it('sets a unit and thresholds on every panel that shows numbers', () => {
        for (const p of panels.filter((p) => !UNITLESS.has(p.type))) {
          assert.ok(p.fieldConfig?.defaults?.unit, `panel "${p.title}" needs a unit`);
          assert.ok(p.fieldConfig?.defaults?.thresholds?.steps?.length, `panel "${p.title}" needs thresholds`);
        }
      });

      it('has the required template variables, datasource first', () => {
        assert.equal(variables[0], 'datasource');
        for (const name of REQUIRED_VARIABLES[d.uid!]!) assert.ok(variables.includes(name), `variable ${name}`);
      });

      it('uses only variables it defines or Grafana provides, and $__rate_interval', () => {
        const text = JSON.stringify({ panels: d.panels, templating: d.templating });
        const used = new Set([...text.matchAll(/\$\{?(\w+)/g)].map((m) => m[1]!));
        for (const name of used) {
          assert.ok(variables.includes(name) || (name.startsWith('__') && name in DEFAULT_VARIABLE_VALUES) || name === '__all',
            `$${name} is not a variable of ${d.uid}`);
        }
        assert.ok(used.has('__rate_interval'));
      });

      it('queries only provisioned datasources', () => {
        const dsVariable = d.templating!.list!.find((v) => v.name === 'datasource')!;
        const refs: dashboard.DataSourceRef[] = [
          ...panels.flatMap((p) => [p.datasource!, ...((p.targets ?? []) as { datasource?: dashboard.DataSourceRef }[]).map((t) => t.datasource!)]),
          ...(d.templating?.list ?? []).flatMap((v) => (v.datasource ? [v.datasource] : [])),
        ];
        for (const ref of refs) {
          assert.ok(ref?.type && ref.uid, 'every panel and query names its datasource');
          if (ref.uid === '${datasource}') {
            // The datasource variable picks among datasources of its type, the provisioned one by default.
            assert.equal(dsVariable.query, ref.type);
            assert.equal(provisioned.get(String(dsVariable.current?.value)), ref.type);
          } else {
            assert.equal(provisioned.get(ref.uid), ref.type, `datasource ${ref.uid} (${ref.type}) is not provisioned`);
          }
        }
      });
    });
  }
});

describe('queries for end-to-end tests', () => {
  it('lists every panel query with its datasource type and expression', () => {
    const queries = allQueries();
    const total = dashboardQueries().reduce((n, d) => n + d.panels.reduce((m, p) => m + p.queries.length, 0), 0);
    assert.equal(queries.length, total);
    for (const q of queries) {
      assert.ok(['prometheus', 'loki', 'tempo'].includes(q.datasource.type));
      assert.ok(q.expr.length > 0, `${q.dashboard} / ${q.panel}`);
    }
    assert.ok(queries.some((q) => q.datasource.type === 'loki'));
    assert.ok(queries.some((q) => q.datasource.type === 'tempo'));
    assert.ok(queries.some((q) => q.exemplar), 'the exemplar-bearing panel asks for exemplars');
  });

  it('fills in every template variable', () => {
    for (const q of allQueries()) assert.doesNotMatch(substituteVariables(q.expr), /\$/, q.expr);
    assert.equal(
      substituteVariables('rate(x{instance=~"$instance", region=~"${region}", r=~"${route:regex}"}[$__rate_interval] offset $compare)', { region: 'eu' }),
      'rate(x{instance=~".*", region=~"eu", r=~".*"}[1m] offset 1d)',
    );
    assert.throws(() => substituteVariables('x{a="$unknown"}'), /unknown/);
  });
});
