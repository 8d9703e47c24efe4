// Shared helpers for the dashboards (one dashboard per file in ./dashboards/): datasources, query
// builders, panel builders with the kit's defaults, template variables. Metric names never appear
// here or in the dashboards as literals: they come from the metric catalog.
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as logs from '@grafana/grafana-foundation-sdk/logs';
import * as loki from '@grafana/grafana-foundation-sdk/loki';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as tempo from '@grafana/grafana-foundation-sdk/tempo';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { CatalogEntry } from '../../service/src/telemetry/catalog.ts';

/** The uids stack/grafana/provisioning/datasources/datasources.yaml gives the datasources. */
export const DATASOURCE_UIDS = { prometheus: 'prometheus', loki: 'loki', tempo: 'tempo' } as const;

// Prometheus goes through the `datasource` variable (defaulting to the provisioned one) so the
// dashboards also work against another Prometheus; Loki and Tempo are the provisioned ones.
export const PROMETHEUS: dashboard.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };
export const LOKI: dashboard.DataSourceRef = { type: 'loki', uid: DATASOURCE_UIDS.loki };
export const TEMPO: dashboard.DataSourceRef = { type: 'tempo', uid: DATASOURCE_UIDS.tempo };

/** service.name of the ingestor; Prometheus promotes it to the `service_name` label. */
export const SERVICE_NAME = 'ingestor';
/** Label matchers of the ingestor's own series, for the selected instances. */
export const INGESTOR = `service_name="${SERVICE_NAME}", instance=~"$instance"`;

/** Every dashboard carries this tag; the dashboards link to each other through it. */
export const TAG = 'observability-kit';

// ---------------------------------------------------------------------------------------------
// Queries

/** The series of a histogram of the catalog, for PromQL. */
export function histogram(entry: CatalogEntry): { bucket: string; sum: string; count: string } {
  const { bucket, sum, count } = entry.prometheus;
  if (!bucket || !sum || !count) throw new Error(`${entry.name} is not a histogram`);
  return { bucket, sum, count };
}

type Query = cog.Builder<cog.Dataquery> & { refId(refId: string): unknown };

/** A PromQL range query. `legend` is a Grafana legend format ({{label}}). */
export function prom(expr: string, legend = '__auto'): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(PROMETHEUS).expr(expr).legendFormat(legend).range();
}

/** A PromQL instant query, for stat panels: one value per series. */
export function promInstant(expr: string, legend = '__auto'): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(PROMETHEUS).expr(expr).legendFormat(legend).instant();
}

/** A PromQL instant query as a table: one row per series, its labels as columns, then Value. */
export function promTable(expr: string): prometheus.DataqueryBuilder {
  return promInstant(expr).format(prometheus.PromQueryFormat.Table);
}

/** A LogQL log query. */
export function logQuery(expr: string): loki.DataqueryBuilder {
  return new loki.DataqueryBuilder().datasource(LOKI).expr(expr).queryType('range');
}

/** A Tempo query by trace id. The `traceql` type looks a hex-only query up by id (/api/traces/<id>). */
export function traceById(traceId: string): tempo.TempoQueryBuilder {
  return new tempo.TempoQueryBuilder().datasource(TEMPO).queryType('traceql').query(traceId);
}

// ---------------------------------------------------------------------------------------------
// Panels

/** Threshold steps, lowest first: [[null, 'green'], [0.05, 'red']]. */
export type Steps = [number | null, string][];

export interface PanelOptions {
  title: string;
  /** What the panel shows and how to read it: every panel has one. */
  description: string;
  queries: Query[];
  unit?: string;
  thresholds?: Steps;
  w?: number;
  h?: number;
}

/** The methods every panel builder of the SDK shares. */
interface CommonBuilder {
  title(title: string): this;
  description(description: string): this;
  datasource(datasource: dashboard.DataSourceRef): this;
  withTarget(target: cog.Builder<cog.Dataquery>): this;
  unit(unit: string): this;
  thresholds(thresholds: cog.Builder<dashboard.ThresholdsConfig>): this;
  span(w: number): this;
  height(h: number): this;
}

export function thresholds(steps: Steps): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

function base<B extends CommonBuilder>(builder: B, o: PanelOptions, datasource: dashboard.DataSourceRef, size: [number, number]): B {
  let b = builder.title(o.title).description(o.description).datasource(datasource).span(o.w ?? size[0]).height(o.h ?? size[1])
    .thresholds(thresholds(o.thresholds ?? [[null, 'green']]));
  if (o.unit) b = b.unit(o.unit);
  // Grafana names results by refId: A, B, C... in the order given.
  o.queries.forEach((q, i) => {
    q.refId(String.fromCharCode(65 + i));
    b = b.withTarget(q);
  });
  return b;
}

export interface TimeseriesOptions extends PanelOptions {
  stack?: boolean;
  min?: number;
  max?: number;
}

/** A time series with the defaults of Grafana's foundation-sdk examples (red-method/common.ts). */
export function timeseriesPanel(o: TimeseriesOptions): timeseries.PanelBuilder {
  let b = base(new timeseries.PanelBuilder(), o, PROMETHEUS, [12, 8])
    .lineWidth(1)
    .fillOpacity(o.stack ? 40 : 10)
    .showPoints(common.VisibilityMode.Never)
    .drawStyle(common.GraphDrawStyle.Line)
    .gradientMode(common.GraphGradientMode.Opacity)
    .spanNulls(false)
    .axisBorderShow(false)
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).placement(common.LegendPlacement.Bottom)
      .displayMode(common.LegendDisplayMode.List))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending))
    // Thresholds show as dashed lines where a panel sets meaningful ones.
    .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(o.thresholds
      ? common.GraphThresholdsStyleMode.Dashed : common.GraphThresholdsStyleMode.Off));
  if (o.stack) b = b.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (o.min !== undefined) b = b.min(o.min);
  if (o.max !== undefined) b = b.max(o.max);
  return b;
}

/** One big number: the last value of each series (instant queries give one point). */
export function statPanel(o: PanelOptions & { graph?: boolean }): stat.PanelBuilder {
  return base(new stat.PanelBuilder(), o, PROMETHEUS, [6, 4])
    .graphMode(o.graph ? common.BigValueGraphMode.Area : common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

/** A heatmap of Prometheus buckets (`format: heatmap`): Grafana does not re-bucket them. */
export function heatmapPanel(o: PanelOptions & { yUnit: string }): heatmap.PanelBuilder {
  return base(new heatmap.PanelBuilder(), o, PROMETHEUS, [12, 8])
    .calculate(false)
    .yAxis(new heatmap.YAxisConfigBuilder().unit(o.yUnit))
    .color(new heatmap.HeatmapColorOptionsBuilder().mode(heatmap.HeatmapColorMode.Scheme).scheme('Oranges')
      .scale(heatmap.HeatmapColorScale.Exponential).exponent(0.5).steps(64))
    .cellGap(1)
    .showLegend()
    .exemplarsColor('rgba(31,120,193,0.9)');
}

/** A table of instant results: one row per series, its labels as columns. */
export function tablePanel(o: PanelOptions): table.PanelBuilder {
  return base(new table.PanelBuilder(), o, PROMETHEUS, [12, 8])
    .showHeader(true)
    .filterable(true)
    // Instant table queries name their value column "Value"; widest values first.
    .sortBy([new common.TableSortByFieldStateBuilder().displayName('Value').desc(true)]);
}

/** Log lines from Loki, newest first, with their structured metadata (trace_id links to Tempo). */
export function logsPanel(o: PanelOptions): logs.PanelBuilder {
  return base(new logs.PanelBuilder(), o, LOKI, [24, 10])
    .showTime(true)
    .wrapLogMessage(true)
    .enableLogDetails(true)
    .sortOrder(common.LogsSortOrder.Descending)
    .dedupStrategy(common.LogsDedupStrategy.None);
}

/** A trace view. The SDK has no builder for the `traces` panel type, so the generic one is used. */
export function tracesPanel(o: PanelOptions): dashboard.PanelBuilder {
  return base(new dashboard.PanelBuilder().type('traces'), o, TEMPO, [24, 14]);
}

/** Firing and pending alerts. The SDK has no builder for the `alertlist` panel type either. */
export function alertListPanel(o: Omit<PanelOptions, 'queries'>): dashboard.PanelBuilder {
  return base(new dashboard.PanelBuilder().type('alertlist'), { ...o, queries: [] }, PROMETHEUS, [24, 6])
    // The unified alert list's options (public/app/plugins/panel/alertlist/types.ts in Grafana).
    .options({
      viewMode: 'list',
      groupMode: 'default',
      groupBy: [],
      maxItems: 20,
      sortOrder: 3, // importance
      dashboardAlerts: false,
      alertName: '',
      alertInstanceLabelFilter: '',
      showInstances: true,
      stateFilter: { firing: true, pending: true, noData: true, normal: false, error: true },
    });
}

export function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title);
}

// ---------------------------------------------------------------------------------------------
// Template variables and the dashboard itself

/** The Prometheus datasource to read from; the provisioned one by default. */
export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource')
    .label('Prometheus')
    .description('The Prometheus datasource the metric panels query.')
    .type('prometheus')
    .current({ text: 'Prometheus', value: DATASOURCE_UIDS.prometheus });
}

/**
 * A multi-value variable of the values of `label` on the series `selector` selects, "All" by
 * default. "All" is the regex `.*`, so queries match it with `=~"$name"`.
 */
export function labelVariable(o: { name: string; label: string; selector: string; labelName: string; description: string }): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(o.name)
    .label(o.label)
    .description(o.description)
    .datasource(PROMETHEUS)
    .query(`label_values(${o.selector}, ${o.labelName})`)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

/** A fixed list of values, the first selected. */
export function customVariable(name: string, label: string, values: string[], description: string): dashboard.CustomVariableBuilder {
  return new dashboard.CustomVariableBuilder(name)
    .label(label)
    .description(description)
    .values(values.join(','))
    .current({ text: values[0], value: values[0] });
}

export function textVariable(name: string, label: string, description: string): dashboard.TextBoxVariableBuilder {
  return new dashboard.TextBoxVariableBuilder(name).label(label).description(description).defaultValue('');
}

/** A dashboard with the kit's defaults: tag, time range, refresh, links to the other dashboards. */
export function newDashboard(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([TAG])
    .readonly() // provisioned from dashboards/generated: edit the code, not the dashboard
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .refresh('30s')
    .link(new dashboard.DashboardLinkBuilder('Observability kit')
      .type(dashboard.DashboardLinkType.Dashboards)
      .tags([TAG])
      .asDropdown(true)
      .includeVars(false)
      .keepTime(true));
}

/** The ingestor instances (service.instance.id, which Prometheus makes the `instance` label). */
export function instanceVariable(series: string): dashboard.QueryVariableBuilder {
  return labelVariable({
    name: 'instance',
    label: 'Instance',
    selector: `${series}{service_name="${SERVICE_NAME}"}`,
    labelName: 'instance',
    description: 'Ingestor instances: the service.instance.id resource attribute, which Prometheus makes the instance label.',
  });
}

/** The business regions (na, eu, apac, latam, mea) seen on `series`. */
export function regionVariable(series: string): dashboard.QueryVariableBuilder {
  return labelVariable({
    name: 'region',
    label: 'Region',
    selector: `${series}{${INGESTOR}}`,
    labelName: 'region',
    description: 'Region of the records (na, eu, apac, latam, mea).',
  });
}
