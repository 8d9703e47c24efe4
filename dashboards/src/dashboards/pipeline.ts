// Pipeline health: what the ingestor's batch processors exported and dropped; what Alloy received,
// refused, exported and failed to export per signal, its
// queues, Prometheus ingestion, and the ingestor's store (group commit latency and size).
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { catalog, type CatalogEntry } from '../../../service/src/telemetry/catalog.ts';
import {
  INGESTOR, datasourceVariable, histogram, instanceVariable, newDashboard, prom, row, timeseriesPanel,
} from '../panels.ts';

/** Alloy scrapes itself with job "alloy" and remote-writes to Prometheus (alloy/config.alloy). */
const ALLOY = 'job="alloy"';
/** Prometheus scrapes itself with job "prometheus" (stack/prometheus/prometheus.yml). */
const PROM = 'job="prometheus"';

const SIGNALS = ['spans', 'metric points', 'log records'] as const;
type PerSignal = readonly [CatalogEntry, CatalogEntry, CatalogEntry];
const accepted: PerSignal = [catalog.alloyReceiverAcceptedSpans, catalog.alloyReceiverAcceptedMetricPoints, catalog.alloyReceiverAcceptedLogRecords];
const refused: PerSignal = [catalog.alloyReceiverRefusedSpans, catalog.alloyReceiverRefusedMetricPoints, catalog.alloyReceiverRefusedLogRecords];
const sent: PerSignal = [catalog.alloyExporterSentSpans, catalog.alloyExporterSentMetricPoints, catalog.alloyExporterSentLogRecords];
const failed: PerSignal = [catalog.alloyExporterFailedSpans, catalog.alloyExporterFailedMetricPoints, catalog.alloyExporterFailedLogRecords];
const dropped: PerSignal = [
  catalog.alloyExporterEnqueueFailedSpans, catalog.alloyExporterEnqueueFailedMetricPoints, catalog.alloyExporterEnqueueFailedLogRecords,
];

/**
 * Items an exporter could not even queue. The collector creates these counters on the first drop,
 * so `or <sent> * 0` shows each exporter at 0 until then instead of an empty panel.
 */
function droppedPerSignal() {
  return dropped.map((e, i) => prom(
    `sum by (exporter) (rate(${e.prometheus.series}{${ALLOY}}[$__rate_interval])) or sum by (exporter) (rate(${sent[i].prometheus.series}{${ALLOY}}[$__rate_interval])) * 0`,
    `${SIGNALS[i]} dropped {{exporter}}`));
}

/** One query per signal: `sum by (<by>) (rate(<counter>[$__rate_interval]))`. */
function perSignal(entries: PerSignal, by: string, legend: string) {
  return entries.map((e, i) => prom(`sum by (${by}) (rate(${e.prometheus.series}{${ALLOY}}[$__rate_interval]))`,
    `${SIGNALS[i]}${legend}`));
}

/** The ingestor's batch processors, before anything reaches Alloy: [signal legend, processed, queue size, queue capacity]. */
const SDK_SIGNALS = [
  ['spans', catalog.sdkSpansProcessed, catalog.sdkSpanQueueSize, catalog.sdkSpanQueueCapacity],
  ['log records', catalog.sdkLogsProcessed, catalog.sdkLogQueueSize, catalog.sdkLogQueueCapacity],
] as const;
/** `rate()` of a processed counter, its error.type label matched by `errors` (`=""`: exported; `!=""`: lost). */
const sdkRate = (e: CatalogEntry, errors: string) => `rate(${e.prometheus.series}{${INGESTOR}, ${e.prometheus.labels['error.type']}${errors}}[$__rate_interval])`;

const commit = histogram(catalog.storeCommitDuration);
const group = histogram(catalog.storeCommitRecords);
const batch = histogram(catalog.batchSize);
const quantile = (q: number, bucket: string, by = '') =>
  `histogram_quantile(${q}, sum by (le${by}) (rate(${bucket}{${INGESTOR}}[$__rate_interval])))`;

export function pipelineDashboard(): dashboard.Dashboard {
  return newDashboard('okit-pipeline-health', 'Pipeline health',
    'Telemetry pipeline: Alloy receivers and exporters per signal, Prometheus ingestion, and the ingestor store.')
    .withVariable(datasourceVariable())
    .withVariable(instanceVariable(commit.count))

    .withRow(row('Ingestor: export'))
    .withPanel(timeseriesPanel({
      title: 'Exported by the ingestor',
      description: "Spans and log records per second the ingestor's batch processors exported to Alloy (otel.sdk.processor.*.processed without error.type). Metrics are not batched there: the reader sends each interval's.",
      unit: units.CountsPerSecond,
      w: 8,
      queries: SDK_SIGNALS.map(([signal, processed]) => prom(`sum(${sdkRate(processed, '=""')})`, signal)),
    }))
    .withPanel(timeseriesPanel({
      title: 'Dropped or failed in the ingestor',
      description: 'Spans and log records per second the ingestor lost before Alloy, by error.type: queue_full when its batch queue was full (more to export than the exporter keeps up with, as with every trace sampled at full load, or while Alloy was unreachable: that shows once it is back, since these counts travel through Alloy too), or the error of an export that failed after its retries. A first loss of its kind creates its series, and rate() does not count that first sample. Anything above zero is worth a look.',
      unit: units.CountsPerSecond,
      thresholds: [[null, 'green'], [0.001, 'red']],
      w: 8,
      // The SDK adds the error series on the first loss; `or on() ... * 0` shows 0 until then, and only then.
      queries: SDK_SIGNALS.map(([signal, processed]) => prom(
        `sum by (${processed.prometheus.labels['error.type']}) (${sdkRate(processed, '!=""')}) or on() sum(${sdkRate(processed, '=""')}) * 0`,
        `${signal} {{${processed.prometheus.labels['error.type']}}}`,
      )),
    }))
    .withPanel(timeseriesPanel({
      title: 'Ingestor batch queue fill',
      description: "Spans and log records waiting in each ingestor instance's batch processors, as a share of their queues' capacity (2,048 each), sampled at each metric export (10 s). A queue can fill and drop between two samples (at full load with every trace sampled it fills in about 65 ms): the panel beside this one counts the drops.",
      unit: units.PercentUnit,
      min: 0,
      max: 1,
      thresholds: [[null, 'green'], [0.5, 'orange'], [0.8, 'red']],
      w: 8,
      queries: SDK_SIGNALS.map(([signal, , size, capacity]) => prom(
        `max by (instance) (${size.prometheus.series}{${INGESTOR}}) / max by (instance) (${capacity.prometheus.series}{${INGESTOR}})`,
        `${signal} {{instance}}`,
      )),
    }))

    .withRow(row('Alloy: received'))
    .withPanel(timeseriesPanel({
      title: 'Accepted by Alloy, per signal',
      description: 'Items per second Alloy\'s OTLP receiver pushed into its pipeline, per signal (otelcol_receiver_accepted_*), over all transports (gRPC, HTTP).',
      unit: units.CountsPerSecond,
      queries: perSignal(accepted, 'receiver', ''),
    }))
    .withPanel(timeseriesPanel({
      title: 'Refused by Alloy, per signal',
      description: 'Items per second Alloy\'s OTLP receiver refused (otelcol_receiver_refused_*), mostly the memory limiter under pressure; the SDKs retry them. Anything above zero is worth a look.',
      unit: units.CountsPerSecond,
      thresholds: [[null, 'green'], [0.001, 'red']],
      queries: perSignal(refused, 'receiver', ''),
    }))

    .withRow(row('Alloy: exported'))
    .withPanel(timeseriesPanel({
      title: 'Sent by Alloy exporters',
      description: 'Items per second each exporter delivered (otelcol_exporter_sent_*): metrics and span metrics to Prometheus, spans to Tempo, logs to Loki.',
      unit: units.CountsPerSecond,
      queries: perSignal(sent, 'exporter', ' {{exporter}}'),
    }))
    .withPanel(timeseriesPanel({
      title: 'Failed sends by Alloy exporters',
      description: 'Items per second an exporter failed to deliver (otelcol_exporter_send_failed_*: a backend is down or refusing, retried) or could not even queue (otelcol_exporter_enqueue_failed_*: queue full, dropped). Anything above zero is worth a look.',
      unit: units.CountsPerSecond,
      thresholds: [[null, 'green'], [0.001, 'red']],
      queries: [...perSignal(failed, 'exporter', ' {{exporter}}'), ...droppedPerSignal()],
    }))
    .withPanel(timeseriesPanel({
      title: 'Exporter queue fill',
      description: 'Batches waiting in each exporter\'s sending queue, as a share of its capacity. A queue that stays full drops data.',
      unit: units.PercentUnit,
      min: 0,
      max: 1,
      thresholds: [[null, 'green'], [0.5, 'orange'], [0.8, 'red']],
      w: 24,
      queries: [prom(
        `max by (exporter, data_type) (${catalog.alloyExporterQueueSize.prometheus.series}{${ALLOY}})`
        + ` / max by (exporter, data_type) (${catalog.alloyExporterQueueCapacity.prometheus.series}{${ALLOY}})`,
        '{{exporter}} {{data_type}}',
      )],
    }))

    .withRow(row('Prometheus ingestion'))
    .withPanel(timeseriesPanel({
      title: 'Samples appended',
      description: 'Samples per second Prometheus appended to its head block, by type (float, histogram): everything it ingests, over OTLP, remote write and scrapes.',
      unit: units.CountsPerSecond,
      w: 8,
      queries: [prom(`sum by (type) (rate(${catalog.prometheusSamplesAppended.prometheus.series}{${PROM}}[$__rate_interval]))`, '{{type}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Head series',
      description: 'Series in the Prometheus head block (active series). A steady climb means a label with unbounded values.',
      unit: units.Short,
      w: 8,
      queries: [prom(`sum(${catalog.prometheusHeadSeries.prometheus.series}{${PROM}})`, 'series')],
    }))
    .withPanel(timeseriesPanel({
      title: 'OTLP and remote-write requests',
      description: 'Write requests per second Prometheus served, by handler and status code: /api/v1/otlp/v1/metrics (from Alloy) and /api/v1/write (Alloy self-metrics, k6).',
      unit: units.RequestsPerSecond,
      w: 8,
      queries: [prom(
        `sum by (handler, code) (rate(${catalog.prometheusHttpRequests.prometheus.series}{${PROM}, handler=~"/api/v1/otlp/v1/metrics|/api/v1/write"}[$__rate_interval]))`,
        '{{handler}} {{code}}',
      )],
    }))

    .withRow(row('Ingestor store'))
    .withPanel(timeseriesPanel({
      title: 'Group commit latency',
      description: 'Duration of one durable group commit of the SQLite store, fsync included: median and 99th percentile. Every 2xx waits for one.',
      unit: units.Seconds,
      thresholds: [[null, 'green'], [0.05, 'orange'], [0.25, 'red']],
      queries: [
        prom(quantile(0.5, commit.bucket), 'p50'),
        prom(quantile(0.99, commit.bucket), 'p99'),
      ],
    }))
    .withPanel(timeseriesPanel({
      title: 'Group commits by outcome',
      description: 'Group commits per second, by outcome. Failed commits answer 500 to every request in the group.',
      unit: units.OpsPerSecond,
      queries: [prom(`sum by (outcome) (rate(${commit.count}{${INGESTOR}}[$__rate_interval]))`, '{{outcome}}')],
    }))
    .withPanel(timeseriesPanel({
      title: 'Records per group commit',
      description: 'How many records shared one commit (and one fsync): average, median and 99th percentile. Bigger groups under load are how durability keeps up with throughput.',
      unit: units.Short,
      queries: [
        prom(`sum(rate(${group.sum}{${INGESTOR}}[$__rate_interval])) / sum(rate(${group.count}{${INGESTOR}}[$__rate_interval]))`, 'average'),
        prom(quantile(0.5, group.bucket), 'p50'),
        prom(quantile(0.99, group.bucket), 'p99'),
      ],
    }))
    .withPanel(timeseriesPanel({
      title: 'Records per batch request',
      description: 'Records per batch request (ingest.batch.size), median and 99th percentile, by record type.',
      unit: units.Short,
      queries: [
        prom(quantile(0.5, batch.bucket, ', record_type'), 'p50 {{record_type}}'),
        prom(quantile(0.99, batch.bucket, ', record_type'), 'p99 {{record_type}}'),
      ],
    }))
    .build();
}
