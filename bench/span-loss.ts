// What each telemetry mode's spans came to: exported, or lost in the service's batch processor
// (dropped on a full queue, or in failed exports). The service counts both itself
// (otel.sdk.processor.span.processed, telemetry/setup.ts) and exports the counts through Alloy to
// Prometheus, where the bench reads them per run by the run's own service.instance.id.
import { catalog } from '../service/src/telemetry/catalog.ts';
import { endpoints } from '../stack/native.ts';
import type { Mode } from './modes.ts';

export interface SpanOutcomes {
  exported: number;
  /** By error.type: queue_full, or the name of an export's error. */
  lost: Record<string, number>;
}

/**
 * An id for one run of a mode: OTEL_RESOURCE_ATTRIBUTES values are percent-encoded, so characters
 * beyond letters, digits and `-` are left out (`ratio-10%` once made the whole variable unreadable,
 * and its service reported under a random id).
 */
export function instanceIdFor(mode: Mode, run: number, pid = process.pid): string {
  return `bench-${mode.name.replace(/[^A-Za-z0-9-]/g, '')}-${run}-${pid}`;
}

/** The mode with a service.instance.id of its own, so its counts can be told from other runs'. */
export function withInstanceId(mode: Mode, instanceId: string): Mode {
  const own = `service.instance.id=${instanceId}`;
  const others = mode.env.OTEL_RESOURCE_ATTRIBUTES;
  return { ...mode, env: { ...mode.env, OTEL_RESOURCE_ATTRIBUTES: others ? `${others},${own}` : own } };
}

/** The query for one run's totals: the counter's last value per error.type, looking back `lookbackSeconds` (the bench's length so far). */
export function spanOutcomesQuery(instanceId: string, lookbackSeconds: number): string {
  const { series, labels } = catalog.sdkSpansProcessed.prometheus;
  return `sum by (${labels['error.type']}) (last_over_time(${series}{instance="${instanceId}"}[${Math.ceil(lookbackSeconds)}s]))`;
}

/** Reads Prometheus's answer: the series without error_type are the exported spans. */
export function spanOutcomes(result: Array<{ metric: Record<string, string>; value: [number, string] }>): SpanOutcomes {
  const outcomes: SpanOutcomes = { exported: 0, lost: {} };
  for (const { metric, value } of result) {
    const count = Number(value[1]);
    if (metric.error_type) outcomes.lost[metric.error_type] = (outcomes.lost[metric.error_type] ?? 0) + count;
    else outcomes.exported += count;
  }
  return outcomes;
}

export async function querySpanOutcomes(instanceId: string, lookbackSeconds: number): Promise<SpanOutcomes> {
  const res = await fetch(`${endpoints.prometheus}/api/v1/query?query=${encodeURIComponent(spanOutcomesQuery(instanceId, lookbackSeconds))}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`span outcomes of ${instanceId}: ${body.error}`);
  return spanOutcomes(body.data.result);
}

/** "exported / lost (share)" for the results table; lost split by error.type when there is any. */
export function formatSpanOutcomes(runs: SpanOutcomes[]): string {
  const exported = runs.reduce((sum, r) => sum + r.exported, 0);
  const lostByType: Record<string, number> = {};
  for (const r of runs) for (const [type, n] of Object.entries(r.lost)) lostByType[type] = (lostByType[type] ?? 0) + n;
  const lost = Object.values(lostByType).reduce((sum, n) => sum + n, 0);
  if (exported + lost === 0) return 'no counts found';
  const share = ((100 * lost) / (exported + lost)).toFixed(lost > 0 && lost * 1000 < exported + lost ? 2 : 1);
  const types = lost > 0 ? ` (${Object.entries(lostByType).map(([t, n]) => `${t} ${n}`).join(', ')})` : '';
  return `${exported} / ${lost}${types}, ${share}% lost`;
}
