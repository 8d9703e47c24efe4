// One copy of each OpenTelemetry package. The OTLP exporters pin exact SDK versions; when those
// differed from the service's, npm installed second copies of core, resources and the three SDKs
// under the exporters, and the service loaded both: 2.3 MiB more heap and 3-11 MiB more resident
// memory at rest (docs/benchmarks.md, eighth pass), each copy with its own classes. The
// `overrides` in package.json hold them to one; this test keeps a later upgrade from undoing it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

interface Lockfile {
  packages: Record<string, { version?: string }>;
}

const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as Lockfile;

/** Installed paths of each package, by name, from the lockfile. */
function installedCopies(): Map<string, string[]> {
  const copies = new Map<string, string[]>();
  for (const path of Object.keys(lock.packages)) {
    if (path === '') continue; // the project itself
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    copies.set(name, [...(copies.get(name) ?? []), `${path}@${lock.packages[path].version}`]);
  }
  return copies;
}

test('every @opentelemetry package is installed once', () => {
  const otel = [...installedCopies()].filter(([name]) => name.startsWith('@opentelemetry/'));
  assert.ok(otel.length >= 10, `expected the SDK's packages in the lockfile, found ${otel.length}`);
  const duplicated = otel.filter(([, paths]) => paths.length > 1);
  assert.deepEqual(duplicated, [], `installed more than once:\n${duplicated.map(([, paths]) => paths.join('\n')).join('\n')}`);
});
