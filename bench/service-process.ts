// Running the service for the benchmarks: started on core 0 in a mode (bench/modes.ts), loaded by
// bench/load.ts from core 1, and measured from /proc (CPU per process and per thread, peak RSS).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, type RunningStack } from '../stack/native.ts';
import { MAIN, type Mode } from './modes.ts';

export interface LoadResult {
  requestsPerSecond: number; recordsPerSecond: number; p50Ms: number; p99Ms: number; non2xx: number;
  /** Count of each status other than 2xx. */
  statuses: Record<string, number>;
  errors: number; generatorLateP99Ms?: number;
}

/** Builds the service into service/dist, as `npm run build` does: every mode but from-source runs that. */
export function buildService(): void {
  execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

/** Starts the service in `mode` on core 0 and waits until it is ready. `extraArgs` go before the entry point. */
export async function startService(mode: Mode, dataDir: string, port: number, extraArgs: string[] = []): Promise<ChildProcess> {
  const child = spawn('taskset', ['-c', '0', process.execPath, ...mode.nodeArgs, ...extraArgs, mode.entry ?? MAIN], {
    cwd: ROOT,
    env: {
      // MALLOC_ARENA_MAX as npm start and the Dockerfile set it.
      ...process.env, MALLOC_ARENA_MAX: '2', ...mode.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', MAX_EVENT_LOOP_DELAY_MS: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return child;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`service (${mode.name}) did not start`);
}

/**
 * Starts services of the given modes on core 0, each on its port with a data directory of its own,
 * runs `body` with them, then stops them and removes their data, whatever `body` did.
 */
export async function withServices<T>(modes: Mode[], ports: number[], body: (services: ChildProcess[]) => Promise<T>, extraArgs: (mode: Mode) => string[] = () => []): Promise<T> {
  const dirs = modes.map(() => mkdtempSync(join(tmpdir(), 'bench-')));
  const services: ChildProcess[] = [];
  try {
    for (const [i, mode] of modes.entries()) services.push(await startService(mode, dirs[i], ports[i], extraArgs(mode)));
    return await body(services);
  } finally {
    for (const service of services) service.kill('SIGTERM');
    await Promise.all(services.map((service) => (service.exitCode === null && service.signalCode === null ? once(service, 'exit') : undefined)));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

function loadArgs(port: number, kind: 'single' | 'batch', connections: number, seconds: number, rate?: number, warmupSeconds = 0): string[] {
  const args = ['-c', '1', process.execPath, 'bench/load.ts', `http://127.0.0.1:${port}`, kind, String(connections), String(seconds)];
  if (rate) args.push(String(Math.round(rate)), String(warmupSeconds));
  return args;
}

function parseLoad(kind: string, out: string): LoadResult {
  const result = JSON.parse(out.trim().split('\n').pop()!) as LoadResult;
  if (result.non2xx > 0 || result.errors > 0) console.warn(`  ${kind}: ${result.non2xx} non-2xx ${JSON.stringify(result.statuses)}, ${result.errors} errors`);
  return result;
}

/** Loads the service on `port` from core 1: closed loop, or paced at `rate` requests/s after `warmupSeconds` unmeasured. */
export function load(port: number, kind: 'single' | 'batch', connections: number, seconds: number, rate?: number, warmupSeconds = 0): LoadResult {
  return parseLoad(kind, execFileSync('taskset', loadArgs(port, kind, connections, seconds, rate, warmupSeconds), { cwd: ROOT, encoding: 'utf8' }));
}

/** `load`, without blocking this process: for two generators at once. */
export async function loadAsync(port: number, kind: 'single' | 'batch', connections: number, seconds: number): Promise<LoadResult> {
  const child = spawn('taskset', loadArgs(port, kind, connections, seconds), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return parseLoad(kind, out);
}

/** CPU time of a process and all its threads (or of one thread: `pid/task/tid`), in seconds (utime + stime). */
export function cpuSeconds(pid: number | string): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; 100 per second on Linux
}

/** CPU seconds of each of a process's threads, summed by thread name (V8 names its helper threads `V8Worker`). */
export function threadCpuByName(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      byName.set(name, (byName.get(name) ?? 0) + cpuSeconds(`${pid}/task/${tid}`));
    } catch {
      // the thread ended
    }
  }
  return byName;
}

/** CPU seconds of a process's threads named `name`. */
export function threadCpuSeconds(pid: number, name: string): number {
  return threadCpuByName(pid).get(name) ?? 0;
}

export function peakRssMiB(pid: number): number {
  // taskset execs node, so the child's pid is node's.
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024);
}

/** The stack shares core 1 with the load generator, at the lowest priority so it never starves it. */
export function pinToCore1(stack: RunningStack) {
  for (const pid of Object.values(stack.pids)) {
    execFileSync('taskset', ['-a', '-p', '-c', '1', String(pid)], { stdio: 'ignore' });
    lowestPriority(pid);
  }
}

/**
 * Nice 19 for a process's threads and, where the kernel groups processes by session (autogroup
 * scheduling), for its group: the stack's components run detached, each in a session of its own,
 * and between groups only the group's niceness counts. With the threads' alone, Tempo's periodic
 * bursts (half a core for seconds) still took core 1 from the load generator (docs/benchmarks.md,
 * fifteenth pass). And SCHED_IDLE for every thread (threads started later inherit it): a niced
 * thread keeps the core for the rest of its slice when the generator wakes, an idle-policy one is
 * preempted at once. (It did not stop the default's runs with 78-83% of the core in the sixteenth
 * pass: their cause is still open.)
 */
export function lowestPriority(pid: number): void {
  for (const thread of readdirSync(`/proc/${pid}/task`)) execFileSync('renice', ['-n', '19', '-p', thread], { stdio: 'ignore' });
  execFileSync('chrt', ['--all-tasks', '--idle', '-p', '0', String(pid)], { stdio: 'ignore' });
  // Absent without autogroup scheduling, where the threads' niceness is all there is.
  if (existsSync(`/proc/${pid}/autogroup`)) writeFileSync(`/proc/${pid}/autogroup`, '19');
}
