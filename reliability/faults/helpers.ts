// Shared pieces of the fault-injection tests: running k6 with its console lines going to a file
// that the test reads while k6 runs, percentiles, and sampling a process's resident memory.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { binary, ROOT } from '../../stack/native.ts';

export const FAULTS_DIR = fileURLToPath(new URL('./', import.meta.url));

export interface K6Run {
  child: ChildProcess;
  /** k6's own stdout and stderr (the summary, warnings); console.log lines go to `consoleFile`. */
  output(): string;
  /** Resolves with k6's exit code once it has exited. */
  exited: Promise<number>;
  /** The epoch ms that setup() logged as `START <ms>`: the scenarios begin right after it. */
  started(timeoutMs?: number): Promise<number>;
  /** Console lines written since the last call (whole lines only). */
  newLines(): string[];
}

/**
 * Starts `k6 run` on a script of this folder. Console lines go, unformatted, to `consoleFile`;
 * `summaryFile` gets k6's JSON summary (--summary-export). No REST API port, no usage report.
 */
export function runK6(script: string, env: Record<string, string>, consoleFile: string, summaryFile?: string): K6Run {
  const k6 = binary('k6');
  if (!existsSync(k6)) throw new Error(`${k6} is missing: run \`npm run stack:build\` first`);
  const args = ['run', '--quiet', '--no-color', '--no-usage-report', '--address', '127.0.0.1:0', '--log-format', 'raw', '--console-output', consoleFile];
  if (summaryFile) args.push('--summary-export', summaryFile);
  args.push(fileURLToPath(new URL(script, import.meta.url)));
  const child = spawn(k6, args, { cwd: ROOT, env: { ...process.env, K6_NO_USAGE_REPORT: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  // Killed by a signal: reported as 128, never as success.
  const exited = once(child, 'exit').then(([code]) => (code ?? 128) as number);
  const tail = tailLines(consoleFile);
  const pending: string[] = [];
  let startedAt: number | undefined;
  let exitedYet = false;
  exited.then(() => (exitedYet = true));
  const pull = () => {
    for (const line of tail()) {
      const start = /^START (\d+)$/.exec(line);
      if (start) startedAt = Number(start[1]);
      else pending.push(line);
    }
  };
  return {
    child,
    output: () => output,
    exited,
    async started(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (startedAt === undefined) {
        pull();
        if (startedAt !== undefined) break;
        if (exitedYet || Date.now() > deadline) throw new Error(`k6 did not start its scenarios:\n${output.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return startedAt;
    },
    newLines() {
      pull();
      return pending.splice(0, pending.length);
    },
  };
}

/** Reads a growing file from where the last call stopped; returns the complete lines added. */
export function tailLines(path: string): () => string[] {
  let offset = 0;
  let partial = '';
  return () => {
    if (!existsSync(path)) return [];
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= offset) return [];
      const buffer = Buffer.alloc(size - offset);
      const read = readSync(fd, buffer, 0, buffer.length, offset);
      offset += read;
      const text = partial + buffer.subarray(0, read).toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      return lines.filter((l) => l.length > 0);
    } finally {
      closeSync(fd);
    }
  };
}

/** The q-quantile (0..1) of `values` by the nearest-rank method, as k6 reports p(99); NaN if empty. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

/** Resident memory of a process in MiB, from /proc; NaN when it is gone. */
export function rssMiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

/** Samples the RSS of `pid` every `everyMs`, each sample with its epoch ms. */
export function sampleRss(pid: number, everyMs = 1000): { samples: Array<{ at: number; mib: number }>; stop(): void } {
  const samples: Array<{ at: number; mib: number }> = [];
  const take = () => samples.push({ at: Date.now(), mib: rssMiB(pid) });
  take();
  const timer = setInterval(take, everyMs);
  return { samples, stop: () => clearInterval(timer) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A random W3C trace id or span id (hex), never all zeros. */
export function randomHex(bytes: number): string {
  let hex = '';
  while (hex.length < bytes * 2) hex += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  hex = hex.slice(0, bytes * 2);
  return /^0+$/.test(hex) ? randomHex(bytes) : hex;
}

/** Rounds for printing. */
export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

export interface MachineSample {
  /** Epoch ms at the end of the interval. */
  at: number;
  /** Shares of the machine's CPU time over the interval, in % of all cores. */
  busy: number;
  iowait: number;
  steal: number;
  /** Milliseconds the disk was busy (diskstats io_ticks) during the interval. */
  diskBusyMs: number;
  /** CPU % (of one core) of the watched processes, by name. */
  watched: Record<string, number>;
  /** CPU % (of one core) of everything else, and its three biggest consumers ("comm:pid"). */
  others: number;
  topOthers: Array<[string, number]>;
  /** Longest lateness of a 10 ms timer in this (the test's) process: a stall of the whole machine shows here too. */
  lagMs: number;
  /**
   * The `diskWaitOf` process's threads, polled every 10 ms: time during which one of them was
   * seen in uninterruptible sleep (state D: waiting for the disk, as in an fsync; the service
   * commits in a worker thread), and the longest such run.
   */
  diskWaitMs: number;
  longestDiskWaitMs: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

function cpuTicksOf(pid: string): { comm: string; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/**
 * Samples the machine every `everyMs`: CPU, I/O wait, steal, disk busy time, the CPU of the
 * processes in `watch()` (name -> pid, read at each sample: pids change on restarts) and of all
 * the others. Diagnosis only: it tells what else ran when the service was slow.
 */
export function monitorMachine(watch: () => Record<string, number | undefined>, diskWaitOf: () => number | undefined, everyMs = 1000): { samples: MachineSample[]; stop(): void } {
  const samples: MachineSample[] = [];
  const readCpu = () => readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const readDisk = () => {
    const lines = readFileSync('/proc/diskstats', 'utf8').split('\n').map((l) => l.trim().split(/\s+/));
    // Whole disks only (vda, sda, nvme0n1): their io_ticks (field 13) cover the partitions.
    return lines.filter((f) => /^(vd[a-z]|sd[a-z]|nvme\d+n\d+|xvd[a-z])$/.test(f[2] ?? '')).reduce((sum, f) => sum + Number(f[12]), 0);
  };
  const readProcs = () => {
    const out = new Map<string, { comm: string; ticks: number }>();
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const t = cpuTicksOf(pid);
      if (t) out.set(pid, t);
    }
    return out;
  };
  let cpu = readCpu();
  let disk = readDisk();
  let procs = readProcs();
  let last = Date.now();
  let lag = 0;
  let expected = Date.now() + TICK_MS;
  let diskWait = 0;
  let longestDiskWait = 0;
  let diskWaitSince: number | undefined;
  /** Is any thread of `pid` in state D? */
  const inDiskWait = (pid: number | undefined) => {
    if (!pid) return false;
    try {
      return readdirSync(`/proc/${pid}/task`).some((tid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
          return stat[stat.lastIndexOf(')') + 2] === 'D';
        } catch {
          return false; // the thread ended meanwhile
        }
      });
    } catch {
      return false;
    }
  };
  const lagTimer = setInterval(() => {
    const now = Date.now();
    lag = Math.max(lag, now - expected);
    // Blocked in D since the last poll: count the time between polls (a lagging poll counts its lag).
    if (inDiskWait(diskWaitOf())) {
      diskWait += now - (expected - TICK_MS);
      diskWaitSince ??= expected - TICK_MS;
      longestDiskWait = Math.max(longestDiskWait, now - diskWaitSince);
    } else diskWaitSince = undefined;
    expected = now + TICK_MS;
  }, TICK_MS);
  const timer = setInterval(() => {
    const now = Date.now();
    const cpuNow = readCpu();
    const diskNow = readDisk();
    const procsNow = readProcs();
    const d = cpuNow.map((v, i) => v - (cpu[i] ?? 0));
    const total = d.reduce((a, b) => a + b, 0) || 1;
    const idle = d[3] + d[4];
    const elapsedTicks = (now - last) / TICK_MS;
    const pct = (ticks: number) => Math.round((ticks / elapsedTicks) * 100);
    const watchedPids = Object.entries(watch()).filter(([, pid]) => pid !== undefined) as Array<[string, number]>;
    const watchedSet = new Set(watchedPids.map(([, pid]) => String(pid)));
    watchedSet.add(String(process.pid));
    const delta = (pid: string) => {
      const nowT = procsNow.get(pid);
      if (!nowT) return 0;
      return nowT.ticks - (procs.get(pid)?.ticks ?? nowT.ticks);
    };
    const watched: Record<string, number> = { test: pct(delta(String(process.pid))) };
    for (const [name, pid] of watchedPids) watched[name] = pct(delta(String(pid)));
    const others: Array<[string, number]> = [];
    for (const [pid, t] of procsNow) if (!watchedSet.has(pid)) {
      const ticks = delta(pid);
      if (ticks > 0) others.push([`${t.comm}:${pid}`, pct(ticks)]);
    }
    others.sort((a, b) => b[1] - a[1]);
    samples.push({
      at: now,
      busy: Math.round(((total - idle) / total) * 100),
      iowait: Math.round((d[4] / total) * 100),
      steal: Math.round(((d[7] ?? 0) / total) * 100),
      diskBusyMs: diskNow - disk,
      watched,
      others: others.reduce((sum, [, p]) => sum + p, 0),
      topOthers: others.slice(0, 3),
      lagMs: lag,
      diskWaitMs: diskWait,
      longestDiskWaitMs: longestDiskWait,
    });
    diskWait = 0;
    longestDiskWait = 0;
    cpu = cpuNow;
    disk = diskNow;
    procs = procsNow;
    last = now;
    lag = 0;
  }, everyMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      clearInterval(lagTimer);
    },
  };
}

/** One line per sample: for printing the seconds around a slow spell. */
export function describeSample(s: MachineSample): string {
  const watched = Object.entries(s.watched).map(([k, v]) => `${k} ${v}%`).join(', ');
  const top = s.topOthers.map(([k, v]) => `${k} ${v}%`).join(', ');
  return `${new Date(s.at).toISOString().slice(11, 19)} cpu ${s.busy}% (iowait ${s.iowait}%, steal ${s.steal}%), disk busy ${s.diskBusyMs} ms, ` +
    `service in disk wait ${s.diskWaitMs} ms (longest ${s.longestDiskWaitMs}), test-process lag ${s.lagMs} ms; ${watched}; ` +
    `others ${s.others}%${top ? ` (${top})` : ''}`;
}
