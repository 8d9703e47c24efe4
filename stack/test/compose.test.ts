// docker-compose.yml cannot run here (no Docker engine), so it is checked statically: against the
// Compose Specification's JSON schema (from compose-go, the library `docker compose` loads files
// with), and against the rest of the repo (mounted paths, pinned versions, published ports).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { ROOT, stackVersions } from '../native.ts';
import { startFlags } from '../../service/test/process.ts';

/** compose-go's schema, fetched through the Go module proxy at a pinned version. */
const COMPOSE_GO = 'github.com/compose-spec/compose-go/v2@v2.16.2';

interface Service {
  image?: string;
  build?: unknown;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { resources?: { limits?: { memory?: string } } };
  profiles?: string[];
}
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = Object.entries(compose.services);

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', COMPOSE_GO], { encoding: 'utf8' }));
    const schema = JSON.parse(readFileSync(join(info.Dir, 'schema/compose-spec.json'), 'utf8'));
    const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
    const validate = ajv.compile(schema);
    assert.ok(validate(compose), JSON.stringify(validate.errors, null, 2));
    // And the schema does refuse a broken file, so the check above can fail.
    assert.equal(validate({ services: { x: { image: 'a', ports: 'not-a-list', bogus: 1 } } }), false);
  });

  it('mounts only paths that exist in the repo, and declares every named volume', () => {
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0];
        if (source.startsWith('.')) assert.ok(existsSync(join(ROOT, source)), `${name} mounts missing ${source}`);
        else assert.ok(source in compose.volumes, `${name} uses undeclared volume ${source}`);
      }
    }
  });

  it('pins every image to the versions the native stack builds', () => {
    const v = stackVersions();
    const expected: Record<string, string> = {
      prometheus: `prom/prometheus:v${v.PROMETHEUS_VERSION}`,
      loki: `grafana/loki:${v.LOKI_VERSION}`,
      tempo: `grafana/tempo:${v.TEMPO_VERSION}`,
      alloy: `grafana/alloy:v${v.ALLOY_VERSION}`,
      k6: `grafana/k6:${v.K6_VERSION}`,
      grafana: `grafana/grafana:${v.GRAFANA_VERSION}`,
    };
    for (const [name, service] of services) {
      if (service.build) continue;
      assert.match(service.image ?? '', /:[^:]*\d[^:]*$/, `${name} image is not pinned`);
      assert.doesNotMatch(service.image ?? '', /:latest$/);
      if (expected[name]) assert.equal(service.image, expected[name], name);
    }
  });

  it('publishes only Grafana (3000) and the ingestor (8080)', () => {
    const published = services.flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name}:${p}`));
    assert.deepEqual(published.sort(), ['grafana:3000:3000', 'ingestor:8080:8080']);
  });

  it('gives every long-running service a healthcheck and a memory limit, and waits for healthy dependencies', () => {
    // One-shots (restart "no" and nothing to probe, like volume-owners) exit; the services that
    // depend on them wait for them to succeed.
    const oneShots = new Set(services.filter(([, s]) => (s as { restart?: string }).restart === 'no' && !s.healthcheck).map(([n]) => n));
    assert.deepEqual([...oneShots], ['volume-owners']);
    for (const [name, service] of services) {
      if (oneShots.has(name)) continue;
      assert.ok(service.healthcheck?.test?.length, `${name} has no healthcheck`);
      assert.match(service.deploy?.resources?.limits?.memory ?? '', /^\d+[MG]$/, `${name} has no memory limit`);
      for (const [dep, { condition }] of Object.entries(service.depends_on ?? {})) {
        assert.equal(condition, oneShots.has(dep) ? 'service_completed_successfully' : 'service_healthy', `${name} -> ${dep}`);
      }
    }
  });

  it('runs the ingestor from a multi-stage, non-root Dockerfile with a healthcheck', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    // Production dependencies, a build stage with the dev dependencies, and the image.
    assert.equal(dockerfile.match(/^FROM /gm)?.length, 3);
    assert.match(dockerfile, /^FROM node:24[\d.]*-slim/m);
    assert.match(dockerfile, /npm ci --omit=dev/);
    const final = dockerfile.split(/^FROM /m).at(-1)!;
    assert.match(final, /^COPY --from=deps \/app\/node_modules /m, 'only the production dependencies reach the image');
    assert.match(final, /^COPY --from=build \/app\/service\/dist /m);
    assert.doesNotMatch(final, /service\/src|\.ts\b/, 'the image runs the built JavaScript, no TypeScript source');
    assert.match(final, /^CMD \["node", .*"--import", "\.\/service\/dist\/telemetry\/sdk\.js", "service\/dist\/main\.js"\]$/m);
    // The same Node and V8 flags as `npm start` (heap size, no pretenuring; docs/benchmarks.md).
    const cmd = JSON.parse(/^CMD (\["node", .*\])$/m.exec(final)![1]) as string[];
    assert.deepEqual(cmd.slice(1, cmd.indexOf('--import')), startFlags());
    assert.ok(cmd.includes('--no-allocation-site-pretenuring'));
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /^HEALTHCHECK /m);
  });
});
