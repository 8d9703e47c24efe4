// Runs one scenario of loadtest/ingest.ts with the local k6 against a running ingestor:
//
//   node loadtest/run.ts <smoke|load|stress|spike|soak> [more `k6 run` arguments]
//
// k6: K6_BIN, else the binary stack/build.sh built (~/.cache/observability-kit/stack/bin/k6-<K6_VERSION>),
// else `k6` on PATH. Metrics go to Prometheus by remote write (K6_PROMETHEUS_RW_SERVER_URL) when
// PROMETHEUS_RW is `on`, or `auto` (the default) and something listens there; `off` never.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { binary } from '../stack/native.ts';
import { defaultTestId, isScenarioName, SCENARIO_NAMES } from './lib/settings.ts';

const SCRIPT = fileURLToPath(new URL('./ingest.ts', import.meta.url));
const REMOTE_WRITE_DEFAULTS = {
  K6_PROMETHEUS_RW_SERVER_URL: 'http://localhost:9090/api/v1/write',
  K6_PROMETHEUS_RW_TREND_STATS: 'p(95),p(99),max',
};
/** k6's execution shortcuts: any one of them replaces options.scenarios (ingest.ts would refuse). */
const SHORTCUTS = ['K6_DURATION', 'K6_ITERATIONS', 'K6_STAGES'];

function k6Binary(): string {
  if (process.env.K6_BIN) return process.env.K6_BIN;
  const built = binary('k6');
  return existsSync(built) ? built : 'k6';
}

/** Is anything listening at the URL's host and port? (Remote write fails loudly but harmlessly otherwise.) */
function listening(url: string, timeoutMs = 1_000): Promise<boolean> {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || (protocol === 'https:' ? 443 : 80)) });
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function main(): Promise<number> {
  const [scenario, ...k6Args] = process.argv.slice(2);
  if (!scenario || !isScenarioName(scenario)) {
    console.error(`usage: node loadtest/run.ts <${SCENARIO_NAMES.join('|')}> [k6 run arguments]`);
    return 2;
  }

  const env: Record<string, string | undefined> = { ...REMOTE_WRITE_DEFAULTS, ...process.env, SCENARIO: scenario };
  env.TESTID ||= defaultTestId(scenario, Date.now());
  for (const name of SHORTCUTS) {
    if (env[name]) console.warn(`run.ts: ignoring ${name}=${env[name]}: the ${scenario} scenario sets the load`);
    delete env[name];
  }

  const mode = (env.PROMETHEUS_RW || 'auto').toLowerCase();
  if (!['auto', 'on', 'off'].includes(mode)) {
    console.error(`run.ts: PROMETHEUS_RW must be auto, on or off, not "${env.PROMETHEUS_RW}"`);
    return 2;
  }
  const url = env.K6_PROMETHEUS_RW_SERVER_URL!;
  const remoteWrite = mode === 'on' || (mode === 'auto' && (await listening(url)));
  console.log(`run.ts: ${scenario} against ${env.BASE_URL || 'http://localhost:8080'}, testid=${env.TESTID}, ` +
    (remoteWrite ? `metrics to ${url}` : `no remote write (PROMETHEUS_RW=${mode}${mode === 'auto' ? `, nothing listens at ${url}` : ''})`));

  const args = ['run', ...(remoteWrite ? ['--out', 'experimental-prometheus-rw'] : []), ...k6Args, SCRIPT];
  const child = spawn(k6Binary(), args, { stdio: 'inherit', env });
  // Ctrl-C reaches k6 too (same process group): let it stop gracefully and print its summary.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  return new Promise((resolve) => {
    child.on('error', (error) => {
      console.error(`run.ts: cannot start k6 (${error.message}); build it with npm run stack:build or set K6_BIN`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

process.exitCode = await main();
