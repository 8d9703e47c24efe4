// Where the service's CPU goes, per mode: the built service on core 0 under load from core 1
// (as in bench/run.ts), profiled with `node --cpu-prof`, its threads' CPU read from /proc.
//
//   npm run bench:profile                           single POSTs; default and no-telemetry
//   PROFILE_LOAD=batch npm run bench:profile        batch POSTs of 100 records
//   PROFILE_MODES=default,all-sampled PROFILE_SECONDS=20 npm run bench:profile
//   PROFILE_HEAP=1 npm run bench:profile            also: what outlives the young generation
//
// Writes into bench/profiles/<time>-<load>/ (PROFILE_OUT to choose): per mode the main thread's
// `.cpuprofile` (Chrome DevTools, speedscope), its folded stacks and a flame graph (`.svg`) of the
// measured window only, and `summary.md`: CPU per record by thread, the main thread's time by
// category and by function, and with two or more modes the functions whose time differs most
// between the first and the last: where, say, the telemetry's cost goes. With PROFILE_HEAP=1,
// also a sampling heap profile of the window (`<mode>.heapprofile`) counting only the objects
// that outlived a young-generation GC, by the function that allocated them: what fills the old
// generation and brings on mark-compacts (the eleventh pass of docs/benchmarks.md found its
// largest cost this way).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT, startStack, type RunningStack } from '../stack/native.ts';
import { CATEGORIES, flameSvg, foldedStacks, foldedText, selfTimes, windowSamples, type Category, type CpuProfile } from './flame.ts';
import { allocationSites, type HeapProfile } from './heap-profile.ts';
import { modesNamed, type Mode } from './modes.ts';
import { buildService, load, pinToCore1, threadCpuByName, withServices } from './service-process.ts';

const LOAD = (process.env.PROFILE_LOAD ?? 'single') as 'single' | 'batch';
if (LOAD !== 'single' && LOAD !== 'batch') throw new Error(`PROFILE_LOAD: single or batch, not ${LOAD}`);
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 10);
const MODES = modesNamed((process.env.PROFILE_MODES ?? 'default,no-telemetry').split(',').map((name) => name.trim()));
const PORT = Number(process.env.PROFILE_PORT ?? 18190);
/** µs between samples: V8's default is 1000; finer shows more of the short functions. */
const INTERVAL_US = Number(process.env.PROFILE_INTERVAL_US ?? 250);
const TOP = Number(process.env.PROFILE_TOP ?? 25);
const CONNECTIONS = LOAD === 'single' ? 64 : 16; // as bench/run.ts
const HEAP = process.env.PROFILE_HEAP === '1';
const UNIT = LOAD === 'single' ? 'request' : 'record';

/** Threads by their OS name (Node names workers by their `name` option), in the summary's order. */
const THREADS: Array<[string, string]> = [
  ['MainThread', 'main thread'],
  ['store-writer', 'store writer'],
  ['otlp-export', 'OTLP export'],
  ['V8Worker', "V8's helpers (GC)"],
];

interface ModeProfile {
  mode: Mode;
  recordsPerSecond: number;
  records: number;
  /** CPU µs per record by thread name over the measured window. */
  threadUs: Map<string, number>;
  /** The main thread's self time per record, by function and by category, from the profile's window. */
  functions: Map<string, { us: number; category: Category }>;
  categories: Map<Category, number>;
  samples: number;
  /** With PROFILE_HEAP: bytes per record that outlived a young-generation GC, by allocating function. */
  survivors?: { perRecord: number; bySite: Map<string, { bytes: number; category: Category }> };
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n); // CLOCK_MONOTONIC, as V8's profile clock

async function profileMode(mode: Mode, outDir: string): Promise<ModeProfile> {
  const file = join(outDir, `${mode.name}.cpuprofile`);
  const heapFile = join(outDir, `${mode.name}.heapprofile`);
  const profilerArgs = ['--cpu-prof', `--cpu-prof-dir=${outDir}`, `--cpu-prof-name=${mode.name}.cpuprofile`, `--cpu-prof-interval=${INTERVAL_US}`];
  if (HEAP) profilerArgs.push('--expose-gc', '--import', join(ROOT, 'bench/heap-sampler.ts'));
  rmSync(heapFile, { force: true });
  // bench/heap-sampler.ts writes where the service's environment says.
  const profiled: Mode = HEAP ? { ...mode, env: { ...mode.env, HEAP_SAMPLE_OUT: heapFile } } : mode;
  const measured = await withServices([profiled], [PORT], async ([service]) => {
    load(PORT, LOAD, CONNECTIONS, 3); // warm-up: JIT, SQLite pages, exporter connections
    const pid = service.pid!;
    const before = threadCpuByName(pid);
    if (HEAP) process.kill(pid, 'SIGUSR2'); // bench/heap-sampler.ts starts sampling
    const fromUs = nowUs();
    const result = load(PORT, LOAD, CONNECTIONS, SECONDS);
    const toUs = nowUs();
    const after = threadCpuByName(pid);
    if (HEAP) {
      process.kill(pid, 'SIGUSR2'); // ... and writes the profile
      for (let i = 0; i < 100 && !existsSync(heapFile); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { result, before, after, fromUs, toUs };
  }, () => profilerArgs);
  // Node writes the profile as the service exits (withServices waited for that).
  if (!existsSync(file)) throw new Error(`${mode.name}: no profile at ${file}`);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  if (profile.startTime > measured.fromUs || profile.endTime < measured.toUs) {
    throw new Error(`${mode.name}: the profile (${profile.startTime}-${profile.endTime} µs) does not cover the measured window (${measured.fromUs}-${measured.toUs} µs)`);
  }
  const samples = windowSamples(profile, measured.fromUs, measured.toUs);
  const records = measured.result.recordsPerSecond * SECONDS;
  const threadUs = new Map<string, number>();
  for (const [name, seconds] of measured.after) threadUs.set(name, ((seconds - (measured.before.get(name) ?? 0)) * 1e6) / records);

  // The profile gives shares of the main thread's time; /proc gives its CPU. Idle is not CPU.
  const { byFunction, byCategory, totalUs } = selfTimes(samples);
  const busyUs = totalUs - byCategory.get('idle')!;
  const mainUs = threadUs.get('MainThread') ?? 0;
  const perRecord = (us: number) => (busyUs > 0 ? (us / busyUs) * mainUs : 0);
  const functions = new Map([...byFunction].filter(([, f]) => f.category !== 'idle').map(([label, f]) => [label, { us: perRecord(f.us), category: f.category }]));
  const categories = new Map(CATEGORIES.filter((c) => c !== 'idle').map((c) => [c, perRecord(byCategory.get(c)!)]));

  // The flame graph shows where the thread worked: its idle samples (waiting in epoll) are left out.
  const { folded, categories: frameCategories } = foldedStacks(profile, samples.filter((s) => s.node.callFrame.functionName !== '(idle)'));
  writeFileSync(join(outDir, `${mode.name}.folded.txt`), foldedText(folded));
  const title = `${mode.name}: main thread, ${LOAD} POSTs, ${SECONDS} s at ${measured.result.recordsPerSecond.toFixed(0)} records/s (${samples.length} samples, every ${INTERVAL_US} µs)`;
  writeFileSync(join(outDir, `${mode.name}.svg`), flameSvg(folded, { title, categoryOf: (label) => frameCategories.get(label) ?? 'native' }));
  let survivors: ModeProfile['survivors'];
  if (HEAP) {
    if (!existsSync(heapFile)) throw new Error(`${mode.name}: no heap profile at ${heapFile}`);
    const { bySite, totalBytes } = allocationSites(JSON.parse(readFileSync(heapFile, 'utf8')) as HeapProfile);
    survivors = { perRecord: totalBytes / records, bySite };
  }
  return { mode, recordsPerSecond: measured.result.recordsPerSecond, records, threadUs, functions, categories, samples: samples.length, survivors };
}

const us = (value: number) => value.toFixed(2);

/** V8's sampling thread: the profiler's own cost, kept out of the service's figures. */
const PROFILER_THREAD = 'v8:ProfEvntProc';

function threadTable(profiles: ModeProfile[]): string[] {
  const named = new Set([...THREADS.map(([name]) => name), PROFILER_THREAD]);
  const rows = profiles.map((p) => {
    const other = [...p.threadUs].filter(([name]) => !named.has(name)).reduce((a, [, v]) => a + v, 0);
    const total = THREADS.reduce((a, [name]) => a + (p.threadUs.get(name) ?? 0), other);
    return `| ${p.mode.name} | ${p.recordsPerSecond.toFixed(0)} | ${us(total)} | ${THREADS.map(([name]) => us(p.threadUs.get(name) ?? 0)).join(' | ')} | ${us(other)} | ${us(p.threadUs.get(PROFILER_THREAD) ?? 0)} |`;
  });
  return [
    `CPU per ${UNIT} (µs), from /proc, by thread (the profiler's own sampling thread apart):`,
    '',
    `| mode | records/s | service, all threads | ${THREADS.map(([, label]) => label).join(' | ')} | other threads | profiler |`,
    `|---|---|---|${THREADS.map(() => '---').join('|')}|---|---|`,
    ...rows,
  ];
}

function categoryTable(profiles: ModeProfile[]): string[] {
  const shown = CATEGORIES.filter((c) => c !== 'idle');
  return [
    `The main thread's CPU per ${UNIT} (µs) by where the code comes from (generated: compiled at run time, such as Ajv's validators; native: V8's builtins such as JSON.parse, and Node's C++ bindings; program: V8 itself outside JavaScript):`,
    '',
    `| mode | ${shown.join(' | ')} |`,
    `|---|${shown.map(() => '---').join('|')}|`,
    ...profiles.map((p) => `| ${p.mode.name} | ${shown.map((c) => us(p.categories.get(c) ?? 0)).join(' | ')} |`),
  ];
}

function topFunctions(p: ModeProfile): string[] {
  const rows = [...p.functions].sort((a, b) => b[1].us - a[1].us).slice(0, TOP);
  return [
    `${p.mode.name}: the main thread's ${TOP} heaviest functions by self time (µs per ${UNIT}; ${p.samples} samples):`,
    '',
    '| µs | category | function |',
    '|---|---|---|',
    ...rows.map(([label, f]) => `| ${us(f.us)} | ${f.category} | \`${label}\` |`),
  ];
}

function survivorTable(p: ModeProfile): string[] {
  const { perRecord, bySite } = p.survivors!;
  const rows = [...bySite].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, TOP);
  return [
    `${p.mode.name}: ${perRecord.toFixed(0)} bytes per ${UNIT} outlived a young-generation GC (sampled); the functions that allocated most of them (bytes per ${UNIT}):`,
    '',
    '| bytes | category | allocated in |',
    '|---|---|---|',
    ...rows.map(([label, site]) => `| ${(site.bytes / p.records).toFixed(1)} | ${site.category} | \`${label}\` |`),
  ];
}

function difference(a: ModeProfile, b: ModeProfile): string[] {
  const labels = new Set([...a.functions.keys(), ...b.functions.keys()]);
  const rows = [...labels]
    .map((label) => ({ label, a: a.functions.get(label)?.us ?? 0, b: b.functions.get(label)?.us ?? 0, category: (a.functions.get(label) ?? b.functions.get(label))!.category }))
    .sort((x, y) => y.a - y.b - (x.a - x.b))
    .slice(0, TOP);
  const mainA = a.threadUs.get('MainThread') ?? 0;
  const mainB = b.threadUs.get('MainThread') ?? 0;
  return [
    `${a.mode.name} against ${b.mode.name}: the main thread's CPU per ${UNIT} is ${us(mainA)} against ${us(mainB)} µs (${mainA >= mainB ? '+' : ''}${us(mainA - mainB)}); the ${TOP} functions whose self time grew most:`,
    '',
    `| difference (µs) | ${a.mode.name} | ${b.mode.name} | category | function |`,
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.a - r.b >= 0 ? '+' : ''}${us(r.a - r.b)} | ${us(r.a)} | ${us(r.b)} | ${r.category} | \`${r.label}\` |`),
  ];
}

async function main() {
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '').replace('T', '-');
  const outDir = process.env.PROFILE_OUT ?? join(ROOT, 'bench/profiles', `${stamp}-${LOAD}`);
  mkdirSync(outDir, { recursive: true });
  console.log('bench:profile: npm run build');
  buildService();
  let stack: RunningStack | undefined;
  const runDir = mkdtempSync(join(tmpdir(), 'profile-stack-'));
  const profiles: ModeProfile[] = [];
  try {
    if (MODES.some((m) => m.needsCollector)) {
      console.log('bench:profile: starting the native stack (the telemetry modes export to it) on core 1');
      stack = await startStack(runDir);
      pinToCore1(stack);
    }
    for (const mode of MODES) {
      console.log(`bench:profile: ${mode.name}, ${LOAD} POSTs for ${SECONDS} s`);
      profiles.push(await profileMode(mode, outDir));
    }
  } finally {
    await stack?.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
  const where = relative(ROOT, outDir) || outDir;
  const summary = [
    `# CPU profile: ${LOAD} POSTs, ${SECONDS} s per mode`,
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} × ${cpus()[0].model}, Node ${process.versions.node}; the service on core 0, the load generator on core 1. The main thread's profile covers the measured window only; the CPU per thread comes from /proc. Profiling costs the service some throughput (its sampling thread, shown apart, and the samples' bookkeeping on the main thread), so the figures are for comparing modes within one profile, not for the benchmark's tables. V8 samples in wall time, and the tables below spread the main thread's CPU from /proc over the samples that were not idle: a function in which the thread lost the core to another thread of the service (\`postMessage\`, which wakes the store's writer on the same core) collects the samples of the time that thread ran.`,
    '',
    ...threadTable(profiles),
    '',
    ...categoryTable(profiles),
    '',
    ...profiles.flatMap((p) => [...topFunctions(p), '']),
    ...profiles.filter((p) => p.survivors).flatMap((p) => [...survivorTable(p), '']),
    ...(profiles.length > 1 ? [...difference(profiles[0], profiles.at(-1)!), ''] : []),
    `Files in ${where}: per mode \`<mode>.cpuprofile\` (the whole run; open it in Chrome DevTools or speedscope), \`<mode>.folded.txt\` (folded stacks of the measured window, µs) and \`<mode>.svg\` (its flame graph)${HEAP ? ', and `<mode>.heapprofile` (the survivors of the window; Chrome DevTools opens it too)' : ''}.`,
    '',
  ].join('\n');
  writeFileSync(join(outDir, 'summary.md'), summary);
  console.log(`\n${summary}`);
}

await main();
