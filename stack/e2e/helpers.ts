// Helpers for the end-to-end tests: bounded polling and small clients of the backends' HTTP APIs.
import { readFileSync } from 'node:fs';
import { endpoints } from '../native.ts';

/** Calls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000, everyMs = 1000): Promise<T> {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`);
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export async function promQuery(query: string): Promise<PromSample[]> {
  const res = await fetch(`${endpoints.prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: PromSample[] } };
  if (body.status !== 'success') throw new Error(`${query}: ${body.error}`);
  return body.data.result;
}

export async function promExemplars(query: string, sinceMs: number): Promise<Array<{ labels: Record<string, string> }>> {
  const start = (sinceMs / 1000).toFixed(3);
  const end = (Date.now() / 1000 + 60).toFixed(3);
  const res = await fetch(`${endpoints.prometheus}/api/v1/query_exemplars?query=${encodeURIComponent(query)}&start=${start}&end=${end}`);
  const body = (await res.json()) as { status: string; data: Array<{ exemplars: Array<{ labels: Record<string, string> }> }> };
  if (body.status !== 'success') throw new Error(JSON.stringify(body));
  return body.data.flatMap((s) => s.exemplars);
}

export async function tempoTrace(traceId: string): Promise<string | undefined> {
  const res = await fetch(`${endpoints.tempo}/api/traces/${traceId}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`tempo ${res.status}: ${await res.text()}`);
  return res.text();
}

export async function lokiQuery(query: string, sinceMs: number): Promise<Array<{ stream: Record<string, string>; values: Array<[string, string, Record<string, string>?]> }>> {
  const params = new URLSearchParams({ query, start: `${sinceMs}000000`, end: `${Date.now() + 60_000}000000`, limit: '100' });
  const res = await fetch(`${endpoints.loki}/loki/api/v1/query_range?${params}`);
  const body = (await res.json()) as { status: string; data: { result: Array<{ stream: Record<string, string>; values: Array<[string, string]> }> } };
  if (body.status !== 'success') throw new Error(JSON.stringify(body));
  return body.data.result;
}

/** Resident memory of a process in MiB, from /proc; NaN when it is gone. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024);
  } catch {
    return NaN;
  }
}
