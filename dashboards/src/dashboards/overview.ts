// Ingestor overview: RED (rate, errors, duration) per route, a latency heatmap with exemplars,
// the Node.js runtime, and the alerts.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { catalog } from '../../../service/src/telemetry/catalog.ts';
import {
  INGESTOR, SERVICE_NAME, alertListPanel, datasourceVariable, heatmapPanel, histogram, instanceVariable, labelVariable, newDashboard,
  prom, row, statPanel, timeseriesPanel,
} from '../panels.ts';

const http = histogram(catalog.httpServerRequestDuration);
const spans = histogram(catalog.spanDuration);

/** The selected instances and routes of the HTTP histogram. */
const HTTP = `${INGESTOR}, http_route=~"$route"`;
const requests = (extra = '', by = '') => `sum${by}(rate(${http.count}{${HTTP}${extra}}[$__rate_interval]))`;
/** Errors over all requests; `or <all> * 0` gives a route without errors a 0 line instead of none. */
const ratio = (status: string, by = '') =>
  `(${requests(`, http_response_status_code=~"${status}"`, by)} or ${requests('', by)} * 0) / ${requests('', by)}`;
const quantile = (q: number, by: string) => `histogram_quantile(${q}, sum by (le${by}) (rate(${http.bucket}{${HTTP}}[$__rate_interval])))`;

export function overviewDashboard(): dashboard.Dashboard {
  return newDashboard('okit-ingestor-overview', 'Ingestor overview',
    'RED metrics of the ingestor HTTP API per route, latency with exemplars linking to traces, Node.js runtime, and alerts.')
    .withVariable(datasourceVariable())
    .withVariable(instanceVariable(http.count))
    .withVariable(labelVariable({
      name: 'route',
      label: 'Route',
      selector: `${http.count}{${INGESTOR}}`,
      labelName: 'http_route',
      description: 'HTTP route template (http.route), e.g. /v1/transactions.',
    }))

    .withRow(row('Requests: rate, errors, duration'))
    .withPanel(statPanel({
      title: 'Request rate',
      description: 'HTTP requests per second over the selected instances and routes (http.server.request.duration count).',
      unit: units.RequestsPerSecond,
      queries: [prom(requests(), 'requests/s')],
      graph: true,
    }))
    .withPanel(statPanel({
      title: '5xx ratio',
      description: 'Share of requests answered with a 5xx status: server failures, overload (503) included. Green under 1%, red from 5%.',
      unit: units.PercentUnit,
      thresholds: [[null, 'green'], [0.01, 'orange'], [0.05, 'red']],
      // No 5xx series at all means a ratio of 0, not "no data".
      queries: [prom(`(${requests(', http_response_status_code=~"5.."')} or vector(0)) / ${requests()}`, '5xx')],
      graph: true,
    }))
    .withPanel(statPanel({
      title: '4xx ratio',
      description: 'Share of requests answered with a 4xx status: invalid records (400), unknown ids (404), conflicts (409), too large (413). Client errors, so the thresholds are looser.',
      unit: units.PercentUnit,
      thresholds: [[null, 'green'], [0.05, 'orange'], [0.25, 'red']],
      queries: [prom(`(${requests(', http_response_status_code=~"4.."')} or vector(0)) / ${requests()}`, '4xx')],
      graph: true,
    }))
    .withPanel(statPanel({
      title: 'p99 latency',
      description: '99th percentile of HTTP request duration over the selected instances and routes, interpolated from the histogram buckets.',
      unit: units.Seconds,
      thresholds: [[null, 'green'], [0.25, 'orange'], [1, 'red']],
      queries: [prom(quantile(0.99, ''), 'p99')],
      graph: true,
    }))
    .withPanel(timeseriesPanel({
      title: 'Request rate by route',
      description: 'HTTP requests per second, by method and route.',
      unit: units.RequestsPerSecond,
      stack: true,
      queries: [prom(requests('', ' by (http_request_method, http_route) '), '{{http_request_method}} {{http_route}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Error ratio by route',
      description: 'Share of requests per route answered 5xx (server errors) and 4xx (client errors). A route without errors draws a line at 0.',
      unit: units.PercentUnit,
      min: 0,
      thresholds: [[null, 'green'], [0.05, 'red']],
      queries: [
        prom(ratio('5..', ' by (http_route) '), '5xx {{http_route}}'),
        prom(ratio('4..', ' by (http_route) '), '4xx {{http_route}}'),
      ],
    }))
    .withPanel(timeseriesPanel({
      title: 'Latency p50 / p90 / p99 by route',
      description: 'Request duration percentiles per route from the http.server.request.duration histogram (buckets 5 ms to 10 s). Dashed lines: 250 ms and 1 s.',
      unit: units.Seconds,
      thresholds: [[null, 'green'], [0.25, 'orange'], [1, 'red']],
      queries: [
        prom(quantile(0.5, ', http_route'), 'p50 {{http_route}}'),
        prom(quantile(0.9, ', http_route'), 'p90 {{http_route}}'),
        prom(quantile(0.99, ', http_route'), 'p99 {{http_route}}'),
      ],
    }))
    .withPanel(heatmapPanel({
      title: 'Latency heatmap with exemplars (span metrics)',
      description: [
        'Distribution of server span durations over time, from the histogram Alloy\'s spanmetrics connector builds from traces',
        `(${catalog.spanDuration.prometheus.base}). It is used here instead of http.server.request.duration because the`,
        'OpenTelemetry JS metrics SDK records no exemplars, while the span metrics carry one per bucket with its trace_id:',
        'hover a dot and open the trace in Tempo. It counts sampled spans only (10% of requests by default, plus every',
        'flagged, rejected or conflicting record), and is not split by instance (Alloy keys it by service, not instance).',
      ].join(' '),
      unit: units.Short,
      yUnit: units.Seconds,
      queries: [
        prom(`sum by (le) (rate(${spans.bucket}{service_name="${SERVICE_NAME}", span_kind="SPAN_KIND_SERVER", http_route=~"$route"}[$__rate_interval]))`, '{{le}}')
          .format(prometheus.PromQueryFormat.Heatmap)
          .exemplar(true),
      ],
    }))

    .withRow(row('Node.js runtime'))
    .withPanel(timeseriesPanel({
      title: 'Event loop delay p99',
      description: 'Event loop delay, 99th percentile, per instance (@opentelemetry/instrumentation-runtime-node). Above MAX_EVENT_LOOP_DELAY_MS (1 s by default) the service answers 503.',
      unit: units.Seconds,
      min: 0,
      thresholds: [[null, 'green'], [0.1, 'orange'], [1, 'red']],
      w: 8,
      queries: [prom(`max by (instance) (${catalog.eventLoopDelayP99.prometheus.series}{${INGESTOR}})`, '{{instance}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Event loop utilization',
      description: 'Share of time the event loop was busy, per instance. Near 100% the process is CPU-bound and latency grows.',
      unit: units.PercentUnit,
      min: 0,
      max: 1,
      thresholds: [[null, 'green'], [0.7, 'orange'], [0.9, 'red']],
      w: 8,
      queries: [prom(`max by (instance) (${catalog.eventLoopUtilization.prometheus.series}{${INGESTOR}})`, '{{instance}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'V8 heap used',
      description: 'V8 heap in use, by instance and heap space (stacked). A steady climb that never drops after GC suggests a leak.',
      unit: units.BytesIEC,
      stack: true,
      w: 8,
      queries: [prom(`sum by (instance, v8js_heap_space_name) (${catalog.heapUsed.prometheus.series}{${INGESTOR}})`, '{{instance}} {{v8js_heap_space_name}}')],
    }))

    .withRow(row('Alerts'))
    .withPanel(alertListPanel({
      title: 'Alerts',
      description: 'Firing and pending alerts from Grafana-managed and Prometheus rules, most important first; errors and no-data states too.',
    }))
    .build();
}
