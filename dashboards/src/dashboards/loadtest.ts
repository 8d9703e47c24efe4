// Load test: k6 as the client sees it (virtual users, iterations, request duration, failures,
// checks), from k6's Prometheus remote-write output, beside the ingestor as the server sees it.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { catalog } from '../../../service/src/telemetry/catalog.ts';
import {
  INGESTOR, datasourceVariable, histogram, instanceVariable, labelVariable, newDashboard, prom, promTable, row, statPanel,
  tablePanel, timeseriesPanel,
} from '../panels.ts';

const k6 = {
  vus: catalog.k6Vus.prometheus.series,
  iterations: catalog.k6Iterations.prometheus.series,
  reqs: catalog.k6HttpReqs.prometheus.series,
  p95: catalog.k6HttpReqDurationP95.prometheus.series,
  p99: catalog.k6HttpReqDurationP99.prometheus.series,
  max: catalog.k6HttpReqDurationMax.prometheus.series,
  failed: catalog.k6HttpReqFailed.prometheus.series,
  checks: catalog.k6Checks.prometheus.series,
};
const http = histogram(catalog.httpServerRequestDuration);

const TEST = 'testid=~"$testid"';
const reqRate = (extra = '') => `sum by (testid) (rate(${k6.reqs}{${TEST}${extra}}[$__rate_interval]))`;
/** Failed requests are those k6 tags expected_response="false": the ones http_req_failed counts. */
const failureRatio = `(${reqRate(', expected_response="false"')} or ${reqRate()} * 0) / ${reqRate()}`;

const HOW_TO_RUN = 'Run k6 with -o experimental-prometheus-rw, K6_PROMETHEUS_RW_TREND_STATS=p(95),p(99),max and --tag testid=<name>.';

export function loadTestDashboard(): dashboard.Dashboard {
  return newDashboard('okit-load-test', 'Load test (k6)',
    `k6 load tests against the ingestor, client side and server side. ${HOW_TO_RUN}`)
    .withVariable(datasourceVariable())
    .withVariable(labelVariable({
      name: 'testid',
      label: 'Test id',
      selector: k6.vus,
      labelName: 'testid',
      description: 'The testid tag of the k6 run (k6 run --tag testid=<name>).',
    }))
    .withVariable(instanceVariable(http.count))

    .withRow(row('k6: client side'))
    .withPanel(statPanel({
      title: 'Virtual users',
      description: `Virtual users k6 runs now (${k6.vus}), summed over the selected tests. ${HOW_TO_RUN}`,
      unit: units.Short,
      graph: true,
      queries: [prom(`sum(${k6.vus}{${TEST}})`, 'VUs')],
    }))
    .withPanel(statPanel({
      title: 'Request rate',
      description: 'HTTP requests per second k6 sends, over the selected tests.',
      unit: units.RequestsPerSecond,
      graph: true,
      queries: [prom(`sum(rate(${k6.reqs}{${TEST}}[$__rate_interval]))`, 'requests/s')],
    }))
    .withPanel(statPanel({
      title: 'Failed requests',
      description: 'Share of k6 requests that failed (expected_response="false", what http_req_failed counts) over the last interval. Green under 0.1%, red from 1%.',
      unit: units.PercentUnit,
      graph: true,
      thresholds: [[null, 'green'], [0.001, 'orange'], [0.01, 'red']],
      queries: [prom(`sum(rate(${k6.reqs}{${TEST}, expected_response="false"}[$__rate_interval]) or vector(0)) / sum(rate(${k6.reqs}{${TEST}}[$__rate_interval]))`, 'failed')],
    }))
    .withPanel(statPanel({
      title: 'p99 since start',
      description: 'The slowest request group\'s 99th percentile of k6 request duration since the test started (k6 computes trend stats per tag set over the whole run).',
      unit: units.Seconds,
      thresholds: [[null, 'green'], [0.25, 'orange'], [1, 'red']],
      graph: true,
      queries: [prom(`max(${k6.p99}{${TEST}})`, 'p99')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Virtual users by test',
      description: 'Virtual users over time, per test.',
      unit: units.Short,
      w: 8,
      queries: [prom(`sum by (testid) (${k6.vus}{${TEST}})`, '{{testid}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Iterations by test',
      description: 'Iterations of the k6 script completed per second, per test.',
      unit: units.OpsPerSecond,
      w: 8,
      queries: [prom(`sum by (testid) (rate(${k6.iterations}{${TEST}}[$__rate_interval]))`, '{{testid}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Failed request ratio',
      description: 'Share of requests that failed (expected_response="false") per test, over each interval. Dashed line: 1%.',
      unit: units.PercentUnit,
      min: 0,
      w: 8,
      thresholds: [[null, 'green'], [0.01, 'red']],
      queries: [prom(failureRatio, '{{testid}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Request duration p95 / p99 / max',
      description: 'k6 HTTP request duration (http_req_duration) since the test started, per test and request name: 95th and 99th percentiles and maximum, the trend stats k6 writes (K6_PROMETHEUS_RW_TREND_STATS).',
      unit: units.Seconds,
      thresholds: [[null, 'green'], [0.25, 'orange'], [1, 'red']],
      queries: [
        prom(`max by (testid, name) (${k6.p95}{${TEST}})`, 'p95 {{testid}} {{name}}'),
        prom(`max by (testid, name) (${k6.p99}{${TEST}})`, 'p99 {{testid}} {{name}}'),
        prom(`max by (testid, name) (${k6.max}{${TEST}})`, 'max {{testid}} {{name}}'),
      ],
    }))
    .withPanel(timeseriesPanel({
      title: 'Checks passed',
      description: `Share of passed k6 checks since the test started, per test and check (${k6.checks}). Dashed lines: 99% and 100%.`,
      unit: units.PercentUnit,
      min: 0,
      max: 1,
      thresholds: [[null, 'red'], [0.99, 'orange'], [1, 'green']],
      queries: [prom(`min by (testid, check) (${k6.checks}{${TEST}})`, '{{testid}} {{check}}')],
    }))
    .withPanel(tablePanel({
      title: 'http_req_failed by request',
      description: 'k6\'s own http_req_failed rate (share of failed requests since the start) per test, method, request name and status, as k6 reports it; the worst tag set where several share these.',
      unit: units.PercentUnit,
      thresholds: [[null, 'green'], [0.01, 'red']],
      w: 24,
      queries: [promTable(`max by (testid, method, name, status) (${k6.failed}{${TEST}})`)],
    }))

    .withRow(row('Ingestor: server side'))
    .withPanel(timeseriesPanel({
      title: 'Ingestor responses by status',
      description: 'Responses per second the selected ingestor instances sent, by status code: 201/200 accepted, 400 invalid, 503 overloaded (load shedding), 500 failures.',
      unit: units.RequestsPerSecond,
      stack: true,
      queries: [prom(`sum by (http_response_status_code) (rate(${http.count}{${INGESTOR}}[$__rate_interval]))`, '{{http_response_status_code}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Latency: server p99 vs k6 p99',
      description: 'The ingestor\'s p99 request duration over each interval (server side) beside k6\'s slowest p99 since the test started (client side: network and queueing included).',
      unit: units.Seconds,
      thresholds: [[null, 'green'], [0.25, 'orange'], [1, 'red']],
      queries: [
        prom(`histogram_quantile(0.99, sum by (le) (rate(${http.bucket}{${INGESTOR}}[$__rate_interval])))`, 'server p99'),
        prom(`max(${k6.p99}{${TEST}})`, 'k6 p99 since start'),
      ],
    }))
    .build();
}
