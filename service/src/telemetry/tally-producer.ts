// Hands the tally histograms (tally-histogram.ts) to a metric reader: a MetricProducer, which a
// reader collects together with the SDK's own instruments (`metricProducers` in its options), so
// they are exported in the same request, under the service's meter scope.
//
// One producer per reader: with delta temporality it remembers what it exported last. Delta points
// carry no min and max (the SDK's carry the interval's): the cells keep lifetime extremes only,
// shared by every reader.
import { ValueType } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  InstrumentType,
  type CollectionResult,
  type DataPoint,
  type HistogramMetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { METER_NAME } from './metrics.ts';
import { tallyHistograms, type HistogramCell } from './tally-histogram.ts';

type HistogramValue = HistogramMetricData['dataPoints'][number]['value'];

interface Exported {
  atMs: number;
  count: number;
  sum: number;
  counts: Float64Array;
}

export class TallyProducer implements MetricProducer {
  private readonly temporality: AggregationTemporality;
  private readonly exported = new WeakMap<HistogramCell, Exported>();

  constructor(temporality: AggregationTemporality = AggregationTemporality.CUMULATIVE) {
    this.temporality = temporality;
  }

  async collect(): Promise<CollectionResult> {
    const nowMs = Date.now();
    const endTime = millisToHrTime(nowMs);
    const metrics: HistogramMetricData[] = [];
    for (const histogram of tallyHistograms()) {
      const boundaries = [...histogram.boundaries];
      const dataPoints: DataPoint<HistogramValue>[] = [];
      for (const cell of histogram.cells()) {
        const point = this.temporality === AggregationTemporality.DELTA
          ? this.delta(cell, boundaries, nowMs)
          : cumulative(cell, boundaries);
        if (point) dataPoints.push({ ...point, endTime, attributes: cell.attributes });
      }
      if (dataPoints.length === 0) continue;
      const { name, description, unit } = histogram.def;
      // As the SDK describes a histogram (its type and bucket advice included), so exporters that
      // look at them treat both alike.
      const descriptor = { name, type: InstrumentType.HISTOGRAM, description, unit, valueType: ValueType.DOUBLE, advice: { explicitBucketBoundaries: boundaries } };
      metrics.push({
        descriptor,
        aggregationTemporality: this.temporality,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints,
      });
    }
    return {
      // The reader replaces the resource with the SDK's; only the scope metrics are used.
      resourceMetrics: { resource: emptyResource(), scopeMetrics: metrics.length ? [{ scope: { name: METER_NAME }, metrics }] : [] },
      errors: [],
    };
  }

  /** What was recorded since the last collection; nothing when nothing was. No min/max: the cell keeps lifetime extremes only. */
  private delta(cell: HistogramCell, boundaries: number[], nowMs: number) {
    const last = this.exported.get(cell);
    if (cell.count === (last?.count ?? 0)) return undefined;
    const counts = Array.from(cell.counts, (n, i) => n - (last?.counts[i] ?? 0));
    const value: HistogramValue = {
      buckets: { boundaries, counts },
      count: cell.count - (last?.count ?? 0),
      sum: cell.sum - (last?.sum ?? 0),
    };
    this.exported.set(cell, { atMs: nowMs, count: cell.count, sum: cell.sum, counts: Float64Array.from(cell.counts) });
    return { startTime: millisToHrTime(last?.atMs ?? cell.startMs), value };
  }
}

function cumulative(cell: HistogramCell, boundaries: number[]) {
  if (cell.count === 0) return undefined;
  const value: HistogramValue = {
    buckets: { boundaries, counts: Array.from(cell.counts) },
    count: cell.count,
    sum: cell.sum,
    min: cell.min,
    max: cell.max,
  };
  return { startTime: millisToHrTime(cell.startMs), value };
}
