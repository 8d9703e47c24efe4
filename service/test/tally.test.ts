// TallyCounter: per-record counts kept in the process and reported by an observable counter.
// What a reader collects must be what a synchronous counter would have exported.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AggregationTemporality, DataPointType, MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import { catalog } from '../src/telemetry/catalog.ts';
import { TallyCounter } from '../src/telemetry/tally.ts';
import { PullReader } from './pull-reader.ts';

async function collect(reader: MetricReader) {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === catalog.recordsRejected.name);
  assert.ok(metric, 'the counter was exported');
  return metric;
}

const byReason = (points: DataPoint<number>[]) =>
  Object.fromEntries(points.map((p) => [`${p.attributes['record.type']}/${p.attributes.reason}`, p.value]));

it('exports running totals per attribute set as a monotonic cumulative sum, with the catalog name and unit', async () => {
  const reader = new PullReader();
  const provider = new MeterProvider({ readers: [reader] });
  const tally = new TallyCounter(provider.getMeter('test'), catalog.recordsRejected, ['record.type', 'reason']);
  tally.add(1, 'transaction', 'validation');
  tally.add(1, 'transaction', 'validation');
  tally.add(3, 'claim', 'conflict');

  let metric = await collect(reader);
  assert.equal(metric.dataPointType, DataPointType.SUM);
  assert.equal(metric.isMonotonic, true);
  assert.equal(metric.aggregationTemporality, AggregationTemporality.CUMULATIVE);
  assert.equal(metric.descriptor.unit, catalog.recordsRejected.unit);
  assert.deepEqual(byReason(metric.dataPoints as DataPoint<number>[]), { 'transaction/validation': 2, 'claim/conflict': 3 });
  assert.deepEqual(Object.keys(metric.dataPoints[0].attributes).sort(), ['reason', 'record.type']);

  tally.add(1, 'claim', 'conflict');
  metric = await collect(reader);
  assert.deepEqual(byReason(metric.dataPoints as DataPoint<number>[]), { 'transaction/validation': 2, 'claim/conflict': 4 });
  await provider.shutdown();
});

it('keeps attribute sets apart that one joined key would have merged', async () => {
  const reader = new PullReader();
  const provider = new MeterProvider({ readers: [reader] });
  const tally = new TallyCounter(provider.getMeter('test'), catalog.recordsRejected, ['record.type', 'reason']);
  tally.add(1, 'a\u001fb', 'c');
  tally.add(2, 'a', 'b\u001fc');
  tally.add(4, 'a', 'c');
  const metric = await collect(reader);
  assert.deepEqual(byReason(metric.dataPoints as DataPoint<number>[]), { 'a\u001fb/c': 1, 'a/b\u001fc': 2, 'a/c': 4 });
  await provider.shutdown();
});

it('refuses attribute keys the catalog does not list for the metric', () => {
  const provider = new MeterProvider();
  assert.throws(() => new TallyCounter(provider.getMeter('test'), catalog.recordsRejected, ['record.type', 'customer.id']), /customer\.id/);
});
