// `npm audit --omit=dev`: no high or critical advisory against the production dependencies (what
// the Docker image installs). Run by `npm run test:audit`, on its own: it needs the registry's
// audit endpoint (a POST to /-/npm/v1/security/advisories/bulk), which some registries and proxies
// do not serve. Then the test FAILS with the registry's answer: no answer is not "no advisory".
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The verdict on `npm audit --json` output (report format 2): throws unless it is clean. */
export function judgeAudit(stdout: string): string {
  let report: any;
  try {
    report = JSON.parse(stdout);
  } catch {
    assert.fail(`npm audit printed no JSON:\n${stdout.slice(0, 2000)}`);
  }
  if (!report.metadata?.vulnerabilities) {
    const why = report.message ?? report.error?.summary ?? JSON.stringify(report).slice(0, 500);
    assert.fail(`npm audit could not get advisories from the registry, so nothing is known about them: ${why}`);
  }
  const counts = report.metadata.vulnerabilities as Record<string, number>;
  const serious = Object.entries<any>(report.vulnerabilities ?? {})
    .filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
    .map(([name, v]) => `${name} (${v.severity}): ${v.range}`);
  assert.deepEqual(serious, [], 'high or critical advisories');
  assert.equal((counts.high ?? 0) + (counts.critical ?? 0), 0, JSON.stringify(counts));
  return `${JSON.stringify(counts)} over ${report.metadata.dependencies?.prod ?? '?'} production dependencies`;
}

it('reads npm audit reports: clean passes, high or critical or no answer fails', () => {
  const metadata = (high: number) => ({ vulnerabilities: { info: 0, low: 1, moderate: 0, high, critical: 0, total: 1 + high }, dependencies: { prod: 90 } });
  assert.match(judgeAudit(JSON.stringify({ auditReportVersion: 2, vulnerabilities: { a: { severity: 'low', range: '<1' } }, metadata: metadata(0) })), /"high":0/);
  assert.throws(() => judgeAudit(JSON.stringify({ vulnerabilities: { b: { severity: 'high', range: '<2' } }, metadata: metadata(1) })), /b \(high\)/);
  assert.throws(() => judgeAudit(JSON.stringify({ message: '405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk' })), /405 Method Not Allowed/);
  assert.throws(() => judgeAudit('npm error'), /no JSON/);
});

it('npm audit --omit=dev finds no high or critical advisory', () => {
  // Under `npm run`, npm_execpath is the npm that runs us; otherwise the npm on PATH.
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const result = spawnSync(npm[0], [...npm.slice(1), 'audit', '--omit=dev', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  console.log(`npm audit --omit=dev (exit ${result.status}): ${judgeAudit(result.stdout)}`);
});
