// bench/profile.ts for real, briefly: the built service profiled under load in two modes that need
// no collector. Each mode's profile must cover the measured window, its folded stacks and flame
// graph must hold that window's samples, and the summary's figures must follow from /proc.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { tempDir } from '../../service/test/helpers.ts';
import type { CpuProfile } from '../flame.ts';

const out = tempDir('profile-');
after(() => rmSync(out, { recursive: true, force: true }));
const SECONDS = 2;

it('profiles each mode: per-thread CPU, main-thread time by category and function, flame graphs, the difference', () => {
  const printed = execFileSync(process.execPath, ['bench/profile.ts'], {
    encoding: 'utf8',
    env: { ...process.env, PROFILE_MODES: 'sdk-disabled,no-telemetry', PROFILE_SECONDS: String(SECONDS), PROFILE_OUT: out, PROFILE_PORT: '18197', PROFILE_TOP: '10', PROFILE_HEAP: '1' },
    timeout: 180_000,
  });
  const summary = readFileSync(join(out, 'summary.md'), 'utf8');
  assert.ok(printed.includes(summary.trim().split('\n')[0]), 'the summary is printed too');

  for (const mode of ['sdk-disabled', 'no-telemetry']) {
    const profile = JSON.parse(readFileSync(join(out, `${mode}.cpuprofile`), 'utf8')) as CpuProfile;
    assert.ok(profile.samples.length > 0 && profile.endTime > profile.startTime);
    // The window's busy samples, folded: no more than the window, and a good part of it under load.
    const folded = readFileSync(join(out, `${mode}.folded.txt`), 'utf8').trim().split('\n');
    const foldedUs = folded.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    assert.ok(foldedUs > 0.2 * SECONDS * 1e6 && foldedUs <= 1.05 * SECONDS * 1e6, `${mode}: ${foldedUs} µs folded in a ${SECONDS} s window`);
    assert.ok(!folded.some((line) => line.startsWith('(idle) ')), 'idle is not work');
    assert.ok(folded.some((line) => line.includes('service/dist/ingest/ingest.js')), `${mode}: the built service's code is in the stacks`);
    const svg = readFileSync(join(out, `${mode}.svg`), 'utf8');
    assert.match(svg, new RegExp(`^<svg [\\s\\S]*${mode}: main thread, single POSTs[\\s\\S]*</svg>\\n$`));
    assert.ok((svg.match(/<rect /g) ?? []).length > 20, `${mode}: a flame graph with frames`);
  }

  // By thread: both modes measured, the store's writer named and busy, the total the sum of its parts.
  const lines = summary.split('\n');
  const threadTable = lines.slice(lines.findIndex((l) => l.includes('by thread')));
  const row = (mode: string) => {
    const line = threadTable.find((l) => l.startsWith(`| ${mode} | `));
    assert.ok(line, `${mode}'s row in the thread table`);
    return line.split('|').slice(2, -1).map(Number);
  };
  for (const mode of ['sdk-disabled', 'no-telemetry']) {
    const [rate, total, main, writer, exporter, helpers, other, profiler] = row(mode);
    assert.ok(rate > 100, `${mode}: ${rate} records/s`);
    assert.ok(main > 5 && writer > 0.5 && helpers > 0, `${mode}: main ${main}, store writer ${writer}, V8 helpers ${helpers} µs per request`);
    assert.equal(exporter, 0, `${mode} starts no export thread`);
    assert.ok(Math.abs(total - (main + writer + exporter + helpers + other)) < 0.05, `${mode}: the total is its threads' sum`);
    assert.ok(profiler >= 0);
  }
  assert.match(summary, /sdk-disabled: the main thread's 10 heaviest functions/);
  assert.match(summary, /no-telemetry: the main thread's 10 heaviest functions/);
  const difference = /sdk-disabled against no-telemetry: the main thread's CPU per request is ([\d.]+) against ([\d.]+) µs \(([+-][\d.]+)\)/.exec(summary);
  assert.ok(difference, 'the difference between the first and the last mode');
  assert.ok(Math.abs(Number(difference[1]) - Number(difference[2]) - Number(difference[3])) < 0.02);
  assert.ok(existsSync(join(out, 'no-telemetry.folded.txt')));

  // PROFILE_HEAP: each mode's survivors of the young generation, by allocating function.
  for (const mode of ['sdk-disabled', 'no-telemetry']) {
    const heap = JSON.parse(readFileSync(join(out, `${mode}.heapprofile`), 'utf8')) as { head: { children: unknown[] } };
    assert.ok(heap.head.children.length > 0, `${mode}: a heap profile with allocation sites`);
    const [, bytes] = new RegExp(`${mode}: (\\d+) bytes per request outlived a young-generation GC`).exec(summary) ?? [];
    assert.ok(Number(bytes) >= 0 && bytes !== undefined, `${mode}: the survivors' line`);
    const table = lines.slice(lines.findIndex((l) => l.startsWith(`${mode}: ${bytes} bytes per request`)));
    assert.match(table.slice(4).find((l) => l.startsWith('| ')) ?? '', /^\| [\d.]+ \| [a-z ]+ \| `.+` \|$/, `${mode}: its allocation sites`);
  }
});
