// The disk's floor under a durable request: how long one fdatasync takes after a small append,
// as the store's WAL commit does (SQLite, synchronous=FULL). A request that waits for its commit
// can be no faster than this, and with group commit it may wait for the sync before its own too.
//
//   node bench/disk.ts [dir] [seconds]   (npm run bench runs it in the service's data directory)
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile } from './paced.ts';

export interface SyncLatency {
  syncs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Appends 4 KiB and fdatasyncs, back to back, for `seconds`, in a new directory under `dir`. */
export function syncLatency(dir: string, seconds: number): SyncLatency {
  const scratch = mkdtempSync(join(dir, 'disk-'));
  const fd = openSync(join(scratch, 'wal'), 'w');
  const page = Buffer.alloc(4096, 1);
  const latencies: number[] = [];
  try {
    const until = performance.now() + seconds * 1000;
    while (performance.now() < until) {
      writeSync(fd, page);
      const started = performance.now();
      fdatasyncSync(fd);
      latencies.push(performance.now() - started);
    }
  } finally {
    closeSync(fd);
    rmSync(scratch, { recursive: true, force: true });
  }
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return { syncs: latencies.length, p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), maxMs: round(latencies[latencies.length - 1]) };
}

if (import.meta.main) {
  const [dir = tmpdir(), seconds = '5'] = process.argv.slice(2);
  console.log(JSON.stringify(syncLatency(dir, Number(seconds))));
}
