// Runs the telemetry stack natively (no Docker): the binaries that stack/build.sh built from their
// Go modules, on loopback, with the very config files docker-compose.yml mounts. Each process logs
// to one folder; `stop` ends them with SIGTERM (SIGKILL after a grace period).
//
//   node stack/native.ts up     start and wait until every component is ready
//   node stack/native.ts down   stop what `up` started
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));

export function stackVersions(): Record<string, string> {
  const text = readFileSync(join(ROOT, 'stack/versions.env'), 'utf8');
  return Object.fromEntries([...text.matchAll(/^([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1], m[2].trim()]));
}

export const binDir = () => process.env.STACK_CACHE_DIR ? join(process.env.STACK_CACHE_DIR, 'bin') : join(homedir(), '.cache/observability-kit/stack/bin');

export function binary(name: 'prometheus' | 'promtool' | 'loki' | 'tempo' | 'alloy' | 'k6'): string {
  const versions = stackVersions();
  const key = name === 'promtool' ? 'PROMETHEUS_VERSION' : `${name.toUpperCase()}_VERSION`;
  return join(binDir(), `${name}-${versions[key]}`);
}

/** Loopback endpoints of the native stack (compose uses service names and default ports instead). */
export const endpoints = {
  prometheus: 'http://127.0.0.1:9090',
  loki: 'http://127.0.0.1:3100',
  tempo: 'http://127.0.0.1:3200',
  alloy: 'http://127.0.0.1:12345',
  otlpHttp: 'http://127.0.0.1:4318',
} as const;

interface Component {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  ready: string;
  /** The loopback ports it listens on, checked free before the stack starts. */
  ports: number[];
}

export interface StackOptions {
  /** Prometheus config file; tests pass a copy with extra rule files (rules/e2e/config.ts). */
  prometheusConfig?: string;
}

export function components(runDir: string, options: StackOptions = {}): Component[] {
  const data = (name: string) => {
    const dir = join(runDir, 'data', name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  return [
    {
      name: 'prometheus',
      command: binary('prometheus'),
      args: [
        `--config.file=${options.prometheusConfig ?? join(ROOT, 'stack/prometheus/prometheus.yml')}`,
        `--storage.tsdb.path=${data('prometheus')}`,
        '--web.listen-address=127.0.0.1:9090',
        '--web.enable-otlp-receiver',
        '--web.enable-remote-write-receiver',
        '--enable-feature=exemplar-storage',
        '--web.enable-lifecycle',
      ],
      ready: `${endpoints.prometheus}/-/ready`,
      ports: [9090],
    },
    {
      name: 'loki',
      command: binary('loki'),
      args: [`-config.file=${join(ROOT, 'stack/loki/loki.yaml')}`, '-config.expand-env=true', '-server.http-listen-address=127.0.0.1', '-server.grpc-listen-address=127.0.0.1'],
      env: { LOKI_DATA_DIR: data('loki') },
      ready: `${endpoints.loki}/ready`,
      ports: [3100, 9096],
    },
    {
      name: 'tempo',
      command: binary('tempo'),
      args: [`-config.file=${join(ROOT, 'stack/tempo/tempo.yaml')}`, '-config.expand-env=true'],
      env: { TEMPO_DATA_DIR: data('tempo'), TEMPO_LISTEN_ADDRESS: '127.0.0.1', TEMPO_OTLP_GRPC_LISTEN: '127.0.0.1:4417', TEMPO_OTLP_HTTP_LISTEN: '127.0.0.1:4418' },
      ready: `${endpoints.tempo}/ready`,
      ports: [3200, 9097, 4417, 4418],
    },
    {
      name: 'alloy',
      command: binary('alloy'),
      args: ['run', join(ROOT, 'alloy/config.alloy'), '--server.http.listen-addr=127.0.0.1:12345', `--storage.path=${data('alloy')}`, '--disable-reporting'],
      env: {
        ALLOY_OTLP_GRPC_LISTEN: '127.0.0.1:4317',
        ALLOY_OTLP_HTTP_LISTEN: '127.0.0.1:4318',
        PROMETHEUS_OTLP_ENDPOINT: `${endpoints.prometheus}/api/v1/otlp`,
        PROMETHEUS_REMOTE_WRITE_URL: `${endpoints.prometheus}/api/v1/write`,
        TEMPO_OTLP_GRPC_ENDPOINT: '127.0.0.1:4417',
        LOKI_OTLP_ENDPOINT: `${endpoints.loki}/otlp`,
      },
      ready: `${endpoints.alloy}/-/ready`,
      ports: [12345, 4317, 4318],
    },
  ];
}

async function waitReady(url: string, timeoutMs: number, alive: () => boolean): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (!alive()) throw new Error(`exited before ${url} was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

export type ComponentName = 'prometheus' | 'loki' | 'tempo' | 'alloy';

export interface RunningStack {
  runDir: string;
  pids: Record<string, number>;
  /** Milliseconds from spawn to ready, per component (updated by startComponent). */
  readyAfterMs: Record<string, number>;
  stop(): Promise<void>;
  /**
   * Stops one component, for fault-injection tests: SIGTERM with a grace period (then SIGKILL),
   * or SIGKILL at once. Resolves once the process is gone; its data folder stays.
   */
  stopComponent(name: ComponentName, options?: { signal?: 'SIGTERM' | 'SIGKILL'; graceMs?: number }): Promise<void>;
  /** Starts a stopped component again, with the same config, data folder and log file; resolves with the ms to ready. */
  startComponent(name: ComponentName): Promise<number>;
}

const pidFile = (runDir: string) => join(runDir, 'pids.json');

/**
 * Refuses to start when one of the stack's ports is taken. Otherwise a component that cannot bind
 * keeps running without its listener (Alloy does), or the readiness check reaches whatever already
 * answers there, and telemetry silently goes elsewhere.
 */
export async function assertPortsFree(all: Component[]): Promise<void> {
  for (const c of all) {
    for (const port of c.ports) {
      const server = createServer();
      const taken = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(true));
        server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
      });
      if (taken) throw new Error(`${c.name}: port ${port} on 127.0.0.1 is already in use (by another stack, or see \`ss -ltnp 'sport = :${port}'\`)`);
    }
  }
}

/** Starts the stack in `runDir` (fresh data unless `keepData`); resolves when every part is ready. */
export async function startStack(runDir = join(ROOT, '.stack-run'), options: StackOptions & { keepData?: boolean; timeoutMs?: number } = {}): Promise<RunningStack> {
  if (!options.keepData) rmSync(join(runDir, 'data'), { recursive: true, force: true });
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  const pids: Record<string, number> = {};
  const readyAfterMs: Record<string, number> = {};
  const stop = () => stopPids(pids);
  const all = components(runDir, options);
  const start = (c: Component) => {
    const log = openSync(join(runDir, 'logs', `${c.name}.log`), 'a');
    const child = spawn(c.command, c.args, { cwd: ROOT, env: { ...process.env, ...c.env }, stdio: ['ignore', log, log], detached: true });
    closeSync(log);
    child.unref();
    pids[c.name] = child.pid!;
    writeFileSync(pidFile(runDir), JSON.stringify(pids));
    const began = Date.now();
    let exited = false;
    child.on('exit', () => (exited = true));
    return waitReady(c.ready, options.timeoutMs ?? 120_000, () => !exited).then(
      () => { readyAfterMs[c.name] = Date.now() - began; },
      (error: Error) => { throw new Error(`${c.name}: ${error.message}; see ${join(runDir, 'logs', `${c.name}.log`)}`); },
    );
  };
  try {
    await assertPortsFree(all);
    for (const c of all) {
      if (!existsSync(c.command)) throw new Error(`${c.command} is missing: run \`npm run stack:build\` first`);
    }
    // Backends first, then the pipeline that sends to them.
    await Promise.all(all.filter((c) => c.name !== 'alloy').map(start));
    await start(all.find((c) => c.name === 'alloy')!);
  } catch (error) {
    await stop();
    throw error;
  }
  const component = (name: ComponentName) => {
    const c = all.find((candidate) => candidate.name === name);
    if (!c) throw new Error(`no stack component named ${name}`);
    return c;
  };
  return {
    runDir,
    pids,
    readyAfterMs,
    stop,
    async stopComponent(name, { signal = 'SIGTERM', graceMs = 15_000 } = {}) {
      component(name);
      await stopPid(pids[name], signal, graceMs);
    },
    async startComponent(name) {
      const c = component(name);
      if (alive(pids[name])) throw new Error(`${name} is still running (pid ${pids[name]})`);
      await start(c);
      return readyAfterMs[name];
    },
  };
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `signal`, then SIGKILL if the process is still there after `graceMs`; resolves when it is gone. */
async function stopPid(pid: number | undefined, signal: 'SIGTERM' | 'SIGKILL', graceMs: number): Promise<void> {
  if (!pid || !alive(pid)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; alive(pid) && i < 200; i++) await new Promise((r) => setTimeout(r, 50));
}

async function stopPids(pids: Record<string, number>, graceMs = 15_000): Promise<void> {
  // The pipeline first, so it can flush to the backends while they are still up.
  const order = ['alloy', 'tempo', 'loki', 'prometheus'].filter((n) => pids[n]);
  for (const name of order) {
    const pid = pids[name];
    if (!alive(pid)) continue;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
}

export async function stopStack(runDir = join(ROOT, '.stack-run')): Promise<void> {
  if (!existsSync(pidFile(runDir))) return;
  await stopPids(JSON.parse(readFileSync(pidFile(runDir), 'utf8')));
  rmSync(pidFile(runDir), { force: true });
}

if (import.meta.main) {
  const command = process.argv[2];
  if (command === 'up') {
    const stack = await startStack(undefined, { keepData: process.argv.includes('--keep-data') });
    for (const [name, ms] of Object.entries(stack.readyAfterMs)) console.log(`stack: ${name} ready in ${(ms / 1000).toFixed(1)} s (pid ${stack.pids[name]})`);
    console.log(`stack: logs in ${join(stack.runDir, 'logs')}; OTLP on ${endpoints.otlpHttp}; Prometheus ${endpoints.prometheus}, Loki ${endpoints.loki}, Tempo ${endpoints.tempo}, Alloy ${endpoints.alloy}`);
  } else if (command === 'down') {
    await stopStack();
    console.log('stack: stopped');
  } else {
    console.error('usage: node stack/native.ts up [--keep-data] | down');
    process.exit(2);
  }
}
