// The Prometheus rules: generated files up to date, accepted by promtool, loaded by prometheus.yml,
// built from catalog metrics only, and unit-tested with `promtool test rules` (rules/tests/*.yml):
// every alert fires in some case and stays quiet in another, and each quiet case fails when the
// guard that keeps it quiet is taken out of the rules (its "mutants").
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { catalog, type CatalogEntry } from '../../service/src/telemetry/catalog.ts';
import { buildResource } from '../../service/src/telemetry/setup.ts';
import { binary } from '../../stack/native.ts';
import { INGESTOR_JOB, isAlert, ruleFiles, testRuleFiles, TUNABLES, type RuleFile, type Tunables } from '../definitions.ts';
import { prometheusConfigWithRules } from '../e2e/config.ts';
import { outputs, renderRules, renderTests, ROOT, staleFiles } from '../generate.ts';
import { toUnitTestFile, unitTestSuites, type Suite, type TestCase } from '../tests.ts';

const run = promisify(execFile);
const PROMTOOL = binary('promtool');

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  assert.ok(existsSync(PROMTOOL), `${PROMTOOL} is missing: run \`npm run stack:build\``);
  try {
    const { stdout, stderr } = await run(PROMTOOL, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const production = ruleFiles();
const e2e = testRuleFiles();
const allFiles = [...production, ...e2e];
const rulesOf = (files: RuleFile[]) => files.flatMap((f) => f.groups).flatMap((g) => g.rules);
const alerts = rulesOf(allFiles).filter(isAlert);
const suites = unitTestSuites();

const scratch = mkdtempSync(join(tmpdir(), 'rules-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('generated rule files', () => {
  it('are up to date with rules/*.ts (run `npm run rules`)', () => {
    assert.deepEqual(staleFiles(), []);
  });

  it('are found stale when one differs', () => {
    const expected = outputs();
    const [path, content] = [...expected][0];
    expected.set(path, `${content}# changed\n`);
    assert.deepEqual(staleFiles(expected), [path]);
  });

  it('pass `promtool check rules`, with as many rules as defined', async () => {
    for (const file of allFiles) {
      const { code, output } = await promtool('check', 'rules', file.path);
      assert.equal(code, 0, output);
      assert.match(output, new RegExp(`SUCCESS: ${rulesOf([file]).length} rules found`), output);
    }
  });

  it('are all loaded by stack/prometheus/prometheus.yml (`promtool check config`), and the e2e ones are not', async () => {
    const { code, output } = await promtool('check', 'config', 'stack/prometheus/prometheus.yml');
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${production.length} rule files found`), output);
    for (const file of production) assert.ok(output.includes(`Checking ${file.path}`), `${file.path} not loaded:\n${output}`);
    for (const file of e2e) {
      assert.ok(!file.path.startsWith('stack/'), `${file.path} must stay out of the stack`);
      assert.ok(!output.includes(basename(file.path)), `${file.path} is loaded by production`);
    }
  });

  it('load next to the production ones with rules/e2e/config.ts (a copy of prometheus.yml with absolute rule_files)', async () => {
    const config = prometheusConfigWithRules(scratch);
    const { code, output } = await promtool('check', 'config', config);
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${production.length + e2e.length} rule files found`), output);
    for (const file of [...production, ...e2e]) assert.ok(output.includes(`Checking ${join(ROOT, file.path)}`), `${file.path} not loaded:\n${output}`);
  });
});

describe('rule definitions', () => {
  it('give the ingestor the job Prometheus derives from its resource (service.namespace/service.name)', () => {
    const attributes = buildResource({}).attributes;
    assert.equal(INGESTOR_JOB, `${attributes['service.namespace']}/${attributes['service.name']}`);
  });

  it('read only metrics of the catalog (with labels they carry) and series recorded by the same rules', () => {
    const known = new Map<string, CatalogEntry>();
    for (const entry of Object.values(catalog) as CatalogEntry[]) {
      for (const name of [entry.prometheus.series, entry.prometheus.bucket, entry.prometheus.count, entry.prometheus.sum]) if (name) known.set(name, entry);
    }
    const targetLabels = new Set(['job', 'instance', 'le']);
    for (const files of [production, e2e]) {
      const recordedNames = new Set(rulesOf(files).flatMap((r) => ('record' in r ? [r.record] : [])));
      for (const rule of rulesOf(files)) {
        const tree = parser.parse(rule.expr);
        const cursor = tree.cursor();
        let selectors = 0;
        do {
          assert.notEqual(cursor.name, '⚠', `syntax error in ${rule.expr}`);
          if (cursor.name !== 'VectorSelector') continue;
          selectors++;
          const text = rule.expr.slice(cursor.from, cursor.to);
          const name = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(text)?.[0];
          assert.ok(name, `selector without a metric name: ${text}`);
          if (recordedNames.has(name)) continue;
          const entry = known.get(name);
          assert.ok(entry, `${name} is neither in the catalog nor recorded (in ${'record' in rule ? rule.record : rule.alert})`);
          const labels = new Set([...Object.values(entry.prometheus.labels), ...targetLabels]);
          for (const m of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)/g)) assert.ok(labels.has(m[1]), `${name} has no label ${m[1]}`);
        } while (cursor.next());
        assert.ok(selectors > 0, rule.expr);
      }
    }
  });

  it('name recorded series level:metric:operations, once each, and never share one between production and e2e', () => {
    const names = (files: RuleFile[]) => rulesOf(files).flatMap((r) => ('record' in r ? [r.record] : []));
    for (const name of [...names(production), ...names(e2e)]) assert.match(name, /^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/, name);
    const all = [...names(production), ...names(e2e)];
    assert.equal(new Set(all).size, all.length, 'a series is recorded twice');
  });

  it('give every alert a severity (page or ticket), a summary, a description and a runbook section of docs/alerts.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/alerts.md'), 'utf8');
    const anchors = new Set([...doc.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1].trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
    for (const alert of alerts) {
      assert.match(alert.labels.severity, /^(page|ticket)$/, alert.alert);
      assert.ok(alert.annotations.summary && alert.annotations.description, alert.alert);
      const [path, anchor] = alert.annotations.runbook_url.split('#');
      assert.equal(path, 'docs/alerts.md', alert.alert);
      assert.ok(anchors.has(anchor), `docs/alerts.md has no section #${anchor} (${alert.alert})`);
    }
  });
});

/** `alert/severity[/variant]`: the unit that must fire somewhere and stay quiet somewhere. */
const key = (alertname: string, labels: Record<string, string>) => [alertname, labels.severity, labels.variant].filter(Boolean).join('/');

describe('promtool unit tests (rules/tests)', () => {
  for (const suite of suites) {
    it(`pass: ${suite.path} (${suite.cases.length} groups)`, async () => {
      const { code, output } = await promtool('test', 'rules', suite.path);
      assert.equal(code, 0, output);
    });
  }

  it('make every alert fire in some case and stay quiet in another', () => {
    const fires = new Set<string>();
    const quiet = new Set<string>();
    const variants = (name: string) => alerts.filter((a) => a.alert === name).map((a) => key(a.alert, a.labels));
    for (const test of suites.flatMap((s) => s.cases).flatMap((c) => c.group.alert_rule_test ?? [])) {
      const expected = new Set(test.exp_alerts.map((a) => key(test.alertname, a.exp_labels)));
      for (const k of expected) fires.add(k);
      // A check names an alert, not a variant: it shows quiet only variants whose rules it loads.
      for (const k of variants(test.alertname)) if (!expected.has(k)) quiet.add(k);
    }
    for (const alert of alerts) {
      const k = key(alert.alert, alert.labels);
      assert.ok(fires.has(k), `no case where ${k} fires`);
      assert.ok(quiet.has(k), `no case where ${k} stays quiet`);
    }
  });

  it('fail on a wrong expectation: a firing case expected quiet', async () => {
    const suite = suites.find((s) => s.path.endsWith('pipeline.yml'))!;
    const firingCase = suite.cases.find((c) => c.group.alert_rule_test?.some((t) => t.exp_alerts.length))!;
    const broken: TestCase = {
      group: { ...firingCase.group, alert_rule_test: firingCase.group.alert_rule_test!.map((t) => ({ ...t, exp_alerts: [] })) },
    };
    const { code, output } = await runCase(TUNABLES, { ...suite, cases: [broken] });
    assert.equal(code, 1, output);
    assert.match(output, /got:\[\s*0:/, output);
  });

  // Each quiet case, with one guard taken out of the rules, must see its alert fire.
  const mutants = suites.flatMap((suite, s) => suite.cases.flatMap((c, i) => Object.entries(c.mutants ?? {}).map(([name, mutate]) => ({ s, i, name, mutate }))));
  for (const { s, i, name, mutate } of mutants) {
    it(`quiet case fails without its guard (${name}): ${suites[s].cases[i].group.name}`, async () => {
      const tunables = mutate(TUNABLES);
      // Cases are rebuilt from the changed rules, so expected annotations follow the change too.
      const suite = unitTestSuites(tunables)[s];
      const { code, output } = await runCase(tunables, { ...suite, cases: [suite.cases[i]] });
      assert.equal(code, 1, `still passes without the guard:\n${output}`);
      assert.match(output, /got:\[\s*0:/, `fails, but not because an alert fired:\n${output}`);
    });
  }
});

let runs = 0;
/** Runs `suite` against the rules built from `tunables`, in a scratch folder. */
async function runCase(tunables: Tunables, suite: Suite): Promise<{ code: number; output: string }> {
  const dir = join(scratch, String(++runs));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const byPath = new Map([...ruleFiles(tunables), ...testRuleFiles(tunables)].map((f) => [f.path, f]));
  const ruleFilesAt = suite.ruleFiles.map((path) => {
    const file = join(dir, basename(path));
    writeFileSync(file, renderRules(byPath.get(path)!));
    return file;
  });
  const testFile = join(dir, 'test.yml');
  writeFileSync(testFile, renderTests(toUnitTestFile(suite, ruleFilesAt)));
  // The rendered file is what promtool reads: check it is well-formed before blaming the rules.
  assert.ok(parse(readFileSync(testFile, 'utf8')).tests.length === suite.cases.length);
  return promtool('test', 'rules', testFile);
}
