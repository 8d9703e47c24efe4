// Schemathesis (property-based API testing from the OpenAPI document) against the real service
// process: at least 1,000 generated requests over every operation of /openapi.json, valid and
// invalid, in its coverage, fuzzing and stateful phases, with every check that holds for this API
// (reliability/schemathesis.toml says which and why): no 5xx, every status code, content type,
// header and body as documented, schema-invalid input refused, and a record answered 201 with
// Location readable there. Any failure fails the test, with schemathesis's report of it.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../service/test/helpers.ts';
import { startIngestor } from './service.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Per operation; 8 operations and three phases make about 2,000 cases in total. */
const MAX_EXAMPLES = process.env.SCHEMATHESIS_MAX_EXAMPLES ?? '200';
/** Fixed, so a CI failure can be replayed; set another to explore. */
const SEED = process.env.SCHEMATHESIS_SEED ?? '20261122';
const MIN_CASES = 1000;
const TIME_LIMIT_MS = 5 * 60_000;

interface Stats {
  cases: number;
  byPhase: Record<string, number>;
  byOperation: Record<string, number>;
  statuses: Record<string, number>;
  failedChecks: Record<string, number>;
  checksRun: number;
  errors: string[];
}

/** Counts what actually ran from schemathesis's NDJSON event stream. */
function summarize(ndjson: string): Stats {
  const stats: Stats = { cases: 0, byPhase: {}, byOperation: {}, statuses: {}, failedChecks: {}, checksRun: 0, errors: [] };
  const add = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);
  for (const line of ndjson.split('\n')) {
    if (!line.trim()) continue;
    const event = JSON.parse(line);
    const [name] = Object.keys(event);
    if (name === 'NonFatalError' || name === 'FatalError') stats.errors.push(JSON.stringify(event[name]).slice(0, 500));
    if (name !== 'ScenarioFinished') continue;
    const { phase, recorder } = event.ScenarioFinished;
    for (const [id, { value }] of Object.entries<any>(recorder.cases ?? {})) {
      stats.cases++;
      add(stats.byPhase, phase);
      add(stats.byOperation, `${value.method} ${value.path}`);
      const status = recorder.interactions?.[id]?.response?.status_code;
      add(stats.statuses, status === undefined ? 'no response' : String(status));
    }
    for (const checks of Object.values<any[]>(recorder.checks ?? {})) {
      for (const check of checks) {
        stats.checksRun++;
        if (check.status !== 'success') add(stats.failedChecks, check.name);
      }
    }
  }
  return stats;
}

it(`schemathesis: at least ${MIN_CASES} generated cases against /openapi.json, and no failure`, { timeout: TIME_LIMIT_MS + 60_000 }, async () => {
  const installed = execFileSync('bash', [join(ROOT, 'reliability/install-schemathesis.sh')], { encoding: 'utf8' });
  const st = /^st=(.+)$/m.exec(installed)?.[1];
  assert.ok(st, installed);
  const version = execFileSync(st, ['--version'], { encoding: 'utf8' }).trim();

  const svc = await startIngestor();
  const work = tempDir('schemathesis-');
  try {
    const args = [
      '--config-file', join(ROOT, 'reliability/schemathesis.toml'),
      'run', `${svc.url}/openapi.json`,
      '--max-examples', MAX_EXAMPLES,
      '--seed', SEED,
      '--workers', '1',
      '--request-timeout', '10',
      '--no-color',
      '--report', 'ndjson',
      '--report-dir', work,
    ];
    const started = Date.now();
    // cwd is the temporary folder: nothing schemathesis writes lands in the repository.
    const child = spawn(st, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIME_LIMIT_MS);
    const [code] = await once(child, 'exit');
    clearTimeout(timer);
    const seconds = (Date.now() - started) / 1000;

    const report = readdirSync(work).find((f) => f.endsWith('.ndjson'));
    assert.ok(report, `no NDJSON report; schemathesis said:\n${output}`);
    const stats = summarize(readFileSync(join(work, report), 'utf8'));
    const generated = Number(/(\d+) generated/.exec(output)?.[1]);

    console.log(`schemathesis ${version.replace(/^st, version /, '')}: ${stats.cases} cases in ${seconds.toFixed(1)} s (seed ${SEED}, --max-examples ${MAX_EXAMPLES}), ${stats.checksRun} checks run`);
    console.log(`  by phase: ${JSON.stringify(stats.byPhase)}`);
    const doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    const undeclared = Object.entries(stats.byOperation).filter(([op]) => !documented.includes(op)).reduce((sum, [, n]) => sum + n, 0);
    console.log(`  by operation: ${documented.map((op) => `${op} ${stats.byOperation[op] ?? 0}`).join(', ')}; undeclared methods ${undeclared}`);
    console.log(`  statuses: ${JSON.stringify(stats.statuses)}`);
    console.log(`  failed checks: ${JSON.stringify(stats.failedChecks)}`);

    assert.equal(code, 0, `schemathesis exited with ${code}:\n${output.slice(-20_000)}`);
    assert.deepEqual(stats.failedChecks, {}, output.slice(-20_000));
    assert.deepEqual(stats.errors, []);
    assert.equal(stats.cases, generated, 'the report counts what the summary says');
    assert.ok(stats.cases >= MIN_CASES, `only ${stats.cases} cases`);
    assert.ok(!Object.keys(stats.statuses).some((s) => s.startsWith('5') || s === 'no response'), JSON.stringify(stats.statuses));
    // Every documented operation was exercised.
    for (const op of documented) assert.ok((stats.byOperation[op] ?? 0) > 0, `${op} not tested`);

    assert.equal(svc.child.exitCode, null, 'the service is still running');
    assert.equal((await fetch(`${svc.url}/readyz`)).status, 200);
    assert.deepEqual(svc.errorLogs(), []);
  } finally {
    await svc.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
