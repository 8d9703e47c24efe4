// Runs dashboard and cookbook queries against the real backends and reports what came back.
import { endpoints } from '../native.ts';
import { lokiQuery, tempoTrace } from './helpers.ts';

export interface QueryOutcome {
  series: number;
  error?: string;
}

/** A PromQL query, instant or over the last `rangeSeconds`; counts the series with any value. */
export async function runPromQL(expr: string, instant: boolean, rangeSeconds = 300): Promise<QueryOutcome> {
  const now = Date.now() / 1000;
  const params = new URLSearchParams({ query: expr });
  let path = 'query';
  if (!instant) {
    path = 'query_range';
    params.set('start', String(now - rangeSeconds));
    params.set('end', String(now));
    params.set('step', '15');
  }
  const res = await fetch(`${endpoints.prometheus}/api/v1/${path}`, { method: 'POST', body: params });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Array<{ value?: unknown; values?: unknown[] }> } };
  if (body.status !== 'success') return { series: 0, error: body.error };
  const series = body.data!.result.filter((s) => s.value !== undefined || (s.values?.length ?? 0) > 0).length;
  return { series };
}

export async function runLogQL(expr: string, sinceMs: number): Promise<QueryOutcome> {
  try {
    const streams = await lokiQuery(expr, sinceMs);
    return { series: streams.filter((s) => s.values.length > 0).length };
  } catch (error) {
    return { series: 0, error: String(error) };
  }
}

export async function runTraceLookup(traceId: string): Promise<QueryOutcome> {
  try {
    return { series: (await tempoTrace(traceId)) ? 1 : 0 };
  } catch (error) {
    return { series: 0, error: String(error) };
  }
}

/** Prints rows as an aligned text table. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
}
