// Runs the real service as a child process (`node --import sdk.ts main.ts`), from its source or,
// as `npm start` and the image run it, built (`npm run build`).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Builds the service into `dir` as the image holds it: `service/dist`, `package.json` and the
 * dependencies, and no TypeScript source, so a module that still reached for a `.ts` file fails.
 */
export function buildService(dir: string): string {
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.build.json'), '--outDir', join(dir, 'service/dist')], { stdio: 'pipe' });
  copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

export interface RunningService {
  child: ChildProcess;
  url: string;
  output(): string;
}

/** The Node and V8 flags `npm start` gives the service (heap size, no pretenuring), read from package.json. */
export function startFlags(): string[] {
  const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
  const args = start.slice(start.indexOf('node ') + 'node '.length).split(' ');
  if (!start.includes('node ') || !args.includes('--import')) throw new Error(`npm start is not "... node <flags> --import <sdk> <main>": ${start}`);
  return args.slice(0, args.indexOf('--import'));
}

export interface ServiceProcessOptions {
  /** Pin to these CPUs with taskset. */
  cpus?: string;
  /** Run the build in this folder (from `buildService`) instead of the source. */
  built?: string;
}

export async function startServiceProcess(env: Record<string, string>, options: ServiceProcessOptions = {}): Promise<RunningService> {
  const port = Number(env.PORT) || (await freePort());
  const entries = options.built ? ['./service/dist/telemetry/sdk.js', 'service/dist/main.js'] : ['./service/src/telemetry/sdk.ts', 'service/src/main.ts'];
  const args = [...startFlags(), '--import', entries[0], entries[1]];
  // Pinned with taskset (which execs node, so the child's pid is the service's) when asked.
  const [command, argv] = options.cpus ? ['taskset', ['-c', options.cpus, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command, argv, {
    cwd: options.built ?? root,
    env: { ...process.env, MALLOC_ARENA_MAX: '2', HOST: '127.0.0.1', LOG_LEVEL: 'warn', OTEL_SDK_DISABLED: 'true', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { child, url, output: () => output };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`service did not become ready:\n${output}`);
}
