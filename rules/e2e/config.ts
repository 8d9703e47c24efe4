// Loads test-only rules (rules/e2e/*.yml) next to the production ones, without touching
// stack/prometheus/: writes a copy of prometheus.yml whose `rule_files` lists the production glob
// (made absolute, since rule_files are relative to the config file) plus the extra files, for
// Prometheus to start with (`--config.file=<returned path>`).
import { readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { testRuleFiles } from '../definitions.ts';
import { ROOT } from '../generate.ts';

/** The e2e rule files, as absolute paths. */
export const E2E_RULE_FILES = testRuleFiles().map((f) => join(ROOT, f.path));

/** Writes `<dir>/prometheus-e2e.yml`: stack/prometheus/prometheus.yml plus `extra` rule files. Returns its path. */
export function prometheusConfigWithRules(dir: string, extra: readonly string[] = E2E_RULE_FILES): string {
  const source = join(ROOT, 'stack/prometheus/prometheus.yml');
  const config = parse(readFileSync(source, 'utf8')) as { rule_files?: string[] };
  const base = join(ROOT, 'stack/prometheus');
  config.rule_files = [...(config.rule_files ?? []).map((f) => (isAbsolute(f) ? f : join(base, f))), ...extra];
  const path = join(dir, 'prometheus-e2e.yml');
  writeFileSync(path, `# Generated from ${source} by rules/e2e/config.ts, with test-only rule files.\n${stringify(config)}`);
  return path;
}
