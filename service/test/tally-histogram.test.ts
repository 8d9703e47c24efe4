// TallyHistogram and TallyProducer: per-request histograms kept in the process and handed to the
// readers at collection. What a reader collects must be what the SDK's own histogram would have
// exported for the same values, cumulative or delta.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { catalog, type CatalogEntry } from '../src/telemetry/catalog.ts';
import { TallyHistogram, tallyHistogram } from '../src/telemetry/tally-histogram.ts';
import { TallyProducer } from '../src/telemetry/tally-producer.ts';
import { PullReader } from './pull-reader.ts';

// Entries of their own, so these tests share no series with the others in this process.
const amount: CatalogEntry = { ...catalog.transactionAmount, name: 'test.tally.amount' };
const latency: CatalogEntry = { ...catalog.httpServerRequestDuration, name: 'test.tally.latency' };

async function collect(reader: MetricReader, name: string): Promise<MetricData | undefined> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
}

const byCurrency = (metric: MetricData) =>
  Object.fromEntries((metric.dataPoints as DataPoint<Histogram>[]).map((p) => [p.attributes.currency, p.value]));

it('exports the same buckets, count, sum, min and max as the SDK histogram for the same values', async () => {
  const values = [0, 1, 1.0000001, 5, 7.5, 25, 99.99, 100, 25_000, 150_000, 3];
  const sdkReader = new PullReader();
  const sdk = new MeterProvider({ readers: [sdkReader] });
  const sdkHistogram = sdk.getMeter('ingestor').createHistogram(amount.name, {
    unit: amount.unit,
    description: amount.description,
    advice: { explicitBucketBoundaries: [...amount.buckets!] },
  });
  const tallyReader = new PullReader({ metricProducers: [new TallyProducer()] });
  const tallies = new MeterProvider({ readers: [tallyReader] });
  const usd = tallyHistogram(amount).cell({ currency: 'USD' });
  for (const value of values) {
    sdkHistogram.record(value, { currency: 'USD' });
    usd.record(value);
  }
  sdkHistogram.record(-1, { currency: 'USD' }); // dropped by both
  usd.record(-1);
  usd.record(Number.NaN);

  const expected = (await collect(sdkReader, amount.name))!;
  const actual = (await collect(tallyReader, amount.name))!;
  assert.equal(actual.dataPointType, DataPointType.HISTOGRAM);
  assert.equal(actual.aggregationTemporality, AggregationTemporality.CUMULATIVE);
  assert.deepEqual(actual.descriptor, { ...expected.descriptor });
  const [want, got] = [byCurrency(expected).USD, byCurrency(actual).USD];
  assert.deepEqual(got.buckets, want.buckets);
  assert.equal(got.count, values.length);
  assert.equal(got.count, want.count);
  assert.equal(got.sum, want.sum);
  assert.equal(got.min, want.min);
  assert.equal(got.max, want.max);
  await Promise.all([sdk.shutdown(), tallies.shutdown()]);
});

it('keeps running totals per attribute set across collections (cumulative)', async () => {
  const reader = new PullReader({ metricProducers: [new TallyProducer()] });
  const provider = new MeterProvider({ readers: [reader] });
  const histogram = tallyHistogram(latency);
  const ok = histogram.cell({ 'http.request.method': 'POST', 'http.route': '/v1/x', 'http.response.status_code': 201 });
  const failed = histogram.cell({ 'http.request.method': 'POST', 'http.route': '/v1/x', 'http.response.status_code': 503, 'error.type': '503' });
  ok.record(0.002);
  ok.record(0.004);
  failed.record(1.5);
  let metric = (await collect(reader, latency.name))!;
  const count = (m: MetricData, status: number) =>
    (m.dataPoints as DataPoint<Histogram>[]).find((p) => p.attributes['http.response.status_code'] === status)!.value.count;
  assert.equal(metric.dataPoints.length, 2);
  assert.equal(count(metric, 201), 2);
  assert.equal(count(metric, 503), 1);
  const first = (metric.dataPoints[0] as DataPoint<Histogram>).startTime;

  ok.record(0.003);
  metric = (await collect(reader, latency.name))!;
  assert.equal(count(metric, 201), 3);
  assert.equal(count(metric, 503), 1);
  assert.deepEqual((metric.dataPoints[0] as DataPoint<Histogram>).startTime, first, 'a cumulative series keeps its start');
  await provider.shutdown();
});

it('exports what was recorded since the last collection when the exporter asks for delta', async () => {
  const reader = new PullReader({ metricProducers: [new TallyProducer(AggregationTemporality.DELTA)] });
  const provider = new MeterProvider({ readers: [reader] });
  const histogram = new TallyHistogram(amount);
  // A histogram of its own, not in the registry, must not be exported: record into the registry's.
  const eur = tallyHistogram(amount).cell({ currency: 'EUR' });
  histogram.cell({ currency: 'EUR' }).record(1);
  eur.record(10);
  eur.record(20);
  let metric = (await collect(reader, amount.name))!;
  assert.equal(metric.aggregationTemporality, AggregationTemporality.DELTA);
  let value = byCurrency(metric).EUR;
  assert.equal(value.count, 2);
  assert.equal(value.sum, 30);
  assert.equal(value.buckets.counts.reduce((a: number, b: number) => a + b, 0), 2);

  eur.record(5000);
  metric = (await collect(reader, amount.name))!;
  value = byCurrency(metric).EUR;
  assert.equal(value.count, 1);
  assert.equal(value.sum, 5000);
  assert.equal(value.buckets.counts[amount.buckets!.indexOf(5000)], 1);
  assert.equal(byCurrency(metric).USD, undefined, 'no point for a set with nothing new');

  const quiet = await collect(reader, amount.name);
  assert.ok(!quiet || byCurrency(quiet).EUR === undefined, 'nothing new: no point');
  await provider.shutdown();
});

it('refuses attribute keys the catalog does not list for the metric, and non-histogram entries', () => {
  assert.throws(() => tallyHistogram(amount).cell({ currency: 'USD', 'customer.id': 'c-1' }), /customer\.id/);
  assert.throws(() => new TallyHistogram(catalog.recordsRejected), /not a histogram/);
});
