// Every dashboard of the kit, their JSON as committed in dashboards/generated/, and the queries
// each panel runs, with a helper to fill in template variables, for tests against real backends.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { businessDashboard } from './dashboards/business.ts';
import { fraudDashboard } from './dashboards/fraud.ts';
import { loadTestDashboard } from './dashboards/loadtest.ts';
import { overviewDashboard } from './dashboards/overview.ts';
import { pipelineDashboard } from './dashboards/pipeline.ts';

export { DATASOURCE_UIDS } from './panels.ts';

/** The dashboards, built, with panel ids numbered from 1 in layout order. */
export function allDashboards(): dashboard.Dashboard[] {
  return [overviewDashboard(), businessDashboard(), fraudDashboard(), pipelineDashboard(), loadTestDashboard()].map(numberPanels);
}

/** Grafana needs unique panel ids (links to one panel use them); the builders leave rows at 0. */
function numberPanels(d: dashboard.Dashboard): dashboard.Dashboard {
  let id = 0;
  for (const p of d.panels ?? []) {
    p.id = ++id;
    for (const inner of ('panels' in p ? p.panels : []) ?? []) inner.id = ++id;
  }
  return d;
}

/** The file name in dashboards/generated/. */
export function fileName(d: dashboard.Dashboard): string {
  return `${d.uid}.json`;
}

/** The committed form: two-space JSON with a trailing newline, keys in builder order. */
export function render(d: dashboard.Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Queries, for tests that run them

export type DatasourceType = 'prometheus' | 'loki' | 'tempo';

export interface PanelQuery {
  refId: string;
  datasource: { type: DatasourceType; uid: string };
  /** PromQL, LogQL, or (Tempo) a trace id, with template variables still in it. */
  expr: string;
  /** Prometheus: an instant query (else range). */
  instant: boolean;
  /** Prometheus: exemplars asked for. */
  exemplar: boolean;
}

export interface PanelQueries {
  id: number;
  title: string;
  type: string;
  description: string;
  queries: PanelQuery[];
}

export interface VariableInfo {
  name: string;
  type: string;
  /** Query variables: the datasource query (label_values(<selector>, <label>)); custom: the values. */
  query?: string;
  datasource?: { type: string; uid: string };
}

export interface DashboardQueries {
  uid: string;
  title: string;
  variables: VariableInfo[];
  panels: PanelQueries[];
}

/** The fields of Prometheus, Loki and Tempo queries read here. */
interface Target {
  refId: string;
  datasource?: dashboard.DataSourceRef;
  expr?: string;
  query?: string;
  instant?: boolean;
  exemplar?: boolean;
}

/** Every dashboard, its variables and, for each panel (rows excluded), its queries. */
export function dashboardQueries(dashboards = allDashboards()): DashboardQueries[] {
  return dashboards.map((d) => ({
    uid: d.uid!,
    title: d.title!,
    variables: (d.templating?.list ?? []).map((v) => ({
      name: v.name,
      type: v.type,
      query: typeof v.query === 'string' ? v.query : undefined,
      datasource: v.datasource ? { type: v.datasource.type!, uid: v.datasource.uid! } : undefined,
    })),
    panels: panelsOf(d).map((p) => ({
      id: p.id!,
      title: p.title!,
      type: p.type,
      description: p.description ?? '',
      queries: ((p.targets ?? []) as unknown as Target[]).map((t) => {
        const ds = (t.datasource ?? p.datasource)!;
        return {
          refId: t.refId,
          datasource: { type: ds.type as DatasourceType, uid: ds.uid! },
          expr: (ds.type === 'tempo' ? t.query : t.expr) ?? '',
          instant: t.instant === true,
          exemplar: t.exemplar === true,
        };
      }),
    })),
  }));
}

/** The panels of a dashboard, rows left out (and the panels of collapsed rows brought in). */
export function panelsOf(d: dashboard.Dashboard): dashboard.Panel[] {
  return (d.panels ?? []).flatMap((p) => (p.type === 'row' ? ((p as dashboard.RowPanel).panels ?? []) : [p as dashboard.Panel]));
}

/** Every query of every panel, flattened, with where it comes from. */
export function allQueries(dashboards = allDashboards()): (PanelQuery & { dashboard: string; panel: string })[] {
  return dashboardQueries(dashboards).flatMap((d) =>
    d.panels.flatMap((p) => p.queries.map((q) => ({ ...q, dashboard: d.uid, panel: p.title }))));
}

/**
 * Values for the template variables, as Grafana would fill them in: "All" is `.*` (the
 * variables' allValue), Grafana's own intervals get fixed durations. A test can override any.
 */
export const DEFAULT_VARIABLE_VALUES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '15s',
  __range: '1h',
  __auto: '1m',
  datasource: 'prometheus',
  instance: '.*',
  route: '.*',
  region: '.*',
  currency: '.*',
  testid: '.*',
  window: '30m',
  compare: '1d',
  trace_id: '',
};

/**
 * Replaces `$name`, `${name}` and `${name:format}` with values (DEFAULT_VARIABLE_VALUES, then
 * `values`). A variable without a value throws, so a new variable cannot slip through untested.
 */
export function substituteVariables(text: string, values: Record<string, string> = {}): string {
  const all: Record<string, string> = { ...DEFAULT_VARIABLE_VALUES, ...values };
  return text.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (match, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    if (!Object.hasOwn(all, name)) throw new Error(`no value for template variable ${match} in: ${text}`);
    return all[name]!;
  });
}
