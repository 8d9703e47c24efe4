// npm run dashboards: writes every dashboard to dashboards/generated/<uid>.json (committed, so
// `docker compose up` needs no build step) and removes JSON files no dashboard produces any more.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allDashboards, fileName, render } from './index.ts';

export const GENERATED_DIR = join(import.meta.dirname, '..', 'generated');

mkdirSync(GENERATED_DIR, { recursive: true });
const written = new Set<string>();
for (const d of allDashboards()) {
  writeFileSync(join(GENERATED_DIR, fileName(d)), render(d));
  written.add(fileName(d));
}
for (const f of readdirSync(GENERATED_DIR)) {
  if (f.endsWith('.json') && !written.has(f)) rmSync(join(GENERATED_DIR, f));
}
console.log(`dashboards/generated: ${[...written].join(', ')}`);
