// The catalog entries added for dashboards name the series their producers really write. The
// expected names were read in the sources of the pinned versions (stack/versions.env):
// Alloy v1.11.0 with go.opentelemetry.io/collector v0.134.0 (receiverhelper, exporterhelper
// metadata.yaml), Prometheus v0.316.0 (tsdb/head.go, web/web.go), k6 v1.8.1
// (internal/output/prometheusrw/remotewrite), spanmetrics connector v0.134.0.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { catalog, prometheusNames, serviceInstruments } from '../../service/src/telemetry/catalog.ts';
import { analyze } from './promql.ts';

describe('metric catalog: metrics from other components', () => {
  it('gives the series names Alloy, Prometheus, k6 and the spanmetrics connector write', () => {
    const expected: Record<string, string> = {
      spanDuration: 'traces_span_metrics_duration_seconds_bucket',
      spanCalls: 'traces_span_metrics_calls_total',
      alloyReceiverAcceptedSpans: 'otelcol_receiver_accepted_spans_total',
      alloyReceiverRefusedMetricPoints: 'otelcol_receiver_refused_metric_points_total',
      alloyReceiverAcceptedLogRecords: 'otelcol_receiver_accepted_log_records_total',
      alloyExporterSentSpans: 'otelcol_exporter_sent_spans_total',
      alloyExporterFailedLogRecords: 'otelcol_exporter_send_failed_log_records_total',
      alloyExporterEnqueueFailedMetricPoints: 'otelcol_exporter_enqueue_failed_metric_points_total',
      alloyExporterQueueSize: 'otelcol_exporter_queue_size',
      prometheusSamplesAppended: 'prometheus_tsdb_head_samples_appended_total',
      prometheusHeadSeries: 'prometheus_tsdb_head_series',
      prometheusHttpRequests: 'prometheus_http_requests_total',
      k6Vus: 'k6_vus',
      k6Iterations: 'k6_iterations_total',
      k6HttpReqs: 'k6_http_reqs_total',
      k6HttpReqDurationP95: 'k6_http_req_duration_p95',
      k6HttpReqDurationP99: 'k6_http_req_duration_p99',
      k6HttpReqDurationMax: 'k6_http_req_duration_max',
      k6HttpReqFailed: 'k6_http_req_failed_rate',
      k6Checks: 'k6_checks_rate',
    };
    for (const [key, series] of Object.entries(expected)) {
      assert.equal(catalog[key as keyof typeof catalog].prometheus.series, series, key);
    }
    assert.equal(catalog.spanDuration.prometheus.labels['http.route'], 'http_route');
    assert.ok(Object.values(catalog.k6Checks.prometheus.labels).includes('testid'));
  });

  it('applies promName instead of the OTLP translation, keeping the kind suffix', () => {
    const def = { name: 'http_req_duration_p95', kind: 'gauge', unit: 's', description: '', attributes: [], source: 'k6' } as const;
    assert.equal(prometheusNames(def).series, 'http_req_duration_p95_seconds');
    assert.equal(prometheusNames({ ...def, promName: 'k6_http_req_duration_p95' }).series, 'k6_http_req_duration_p95');
    assert.equal(prometheusNames({ ...def, kind: 'counter', unit: '', promName: 'k6_iterations' }).series, 'k6_iterations_total');
  });

  it('keeps serviceInstruments to what the ingestor creates', () => {
    assert.ok(serviceInstruments.every((m) => m.source === 'ingestor'));
    assert.ok(!serviceInstruments.some((m) => m.name.startsWith('traces.') || m.name.startsWith('otelcol')));
  });

  it("has the metrics Grafana's provisioned Tempo datasource queries (traces to metrics)", () => {
    const yaml = readFileSync(join(import.meta.dirname, '../../stack/grafana/provisioning/datasources/datasources.yaml'), 'utf8');
    const queries = [...yaml.matchAll(/query: (.+)/g)].map((m) => m[1]!.replaceAll('$$__tags', 'service_name="ingestor"'));
    assert.ok(queries.length >= 2);
    const series = new Set(Object.values(catalog).flatMap((m) => [m.prometheus.series, m.prometheus.count ?? '']));
    for (const q of queries) {
      const facts = analyze(q);
      assert.deepEqual(facts.errors, [], q);
      for (const metric of facts.metrics) assert.ok(series.has(metric), metric);
    }
  });
});

describe('dashboard code', () => {
  it('writes no Prometheus metric name as a literal: they all come from the catalog', () => {
    const names = new Set(Object.values(catalog).flatMap((m) => {
      const p = m.prometheus;
      return [p.base, p.series, p.bucket, p.sum, p.count].filter((n): n is string => !!n && n.includes('_'));
    }));
    const src = join(import.meta.dirname, '..', 'src');
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(src, file), 'utf8');
      for (const name of names) assert.ok(!new RegExp(`\\b${name}\\b`).test(text), `${file} writes ${name}: use the catalog`);
    }
  });
});
