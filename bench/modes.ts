// The service's modes the benchmarks run: how each is started (Node flags, entry point,
// environment) and whether it exports to a collector. bench/run.ts measures them side by side;
// bench/profile.ts profiles them.
import { startFlags } from '../service/test/process.ts';

export interface Mode {
  name: string;
  description: string;
  /** The entry point: the service, or the bare server of the harness-ceiling check. */
  entry?: string;
  /** Extra arguments before the entry point (the SDK's --import), and environment. */
  nodeArgs: string[];
  env: Record<string, string>;
  needsCollector: boolean;
}

/**
 * The Node and V8 flags of `npm start` and the Dockerfile, in every mode: the heap's size, and no
 * allocation-site pretenuring (docs/benchmarks.md, tenth pass; the fresh-process phase of bench/run.ts).
 */
export const HEAP = startFlags();
export const NO_PRETENURING = '--no-allocation-site-pretenuring';
if (!HEAP.includes(NO_PRETENURING)) throw new Error(`npm start no longer gives ${NO_PRETENURING}: update the pretenuring mode`);
/** The service as `npm start` and the image run it: built to JavaScript by `npm run build`. */
const SDK = [...HEAP, '--import', './service/dist/telemetry/sdk.js'];
export const MAIN = 'service/dist/main.js';

export const MODES: Mode[] = [
  { name: 'default', description: 'telemetry on, default sampler (parent-based, 25 new traces/s), exporting to Alloy', nodeArgs: SDK, env: {}, needsCollector: true },
  // Node's type stripping loads a WebAssembly TypeScript parser into each thread that loads a .ts
  // module: the main thread, the store's writer and the export thread (docs/benchmarks.md, tenth pass).
  { name: 'from-source', description: 'the default run from the TypeScript source (type stripping), as npm start did before the build step', entry: 'service/src/main.ts', nodeArgs: [...HEAP, '--import', './service/src/telemetry/sdk.ts'], env: {}, needsCollector: true },
  { name: 'main-thread-export', description: 'the default with INGEST_EXPORT_THREAD=false: OTLP POSTs on the main thread, no export thread', nodeArgs: SDK, env: { INGEST_EXPORT_THREAD: 'false' }, needsCollector: true },
  // On one core V8's concurrent marking thread can only take turns with the main thread: the
  // marking that was to run beside the service pre-empts it instead (docs/benchmarks.md, fifth pass).
  { name: 'single-threaded-gc', description: "the default with V8's --single-threaded-gc: no GC helper threads", nodeArgs: [...HEAP, '--single-threaded-gc', ...SDK.slice(HEAP.length)], env: {}, needsCollector: true },
  { name: 'ratio-10%', description: 'telemetry on, parentbased_traceidratio 0.1 (the default before the rate-limiting sampler)', nodeArgs: SDK, env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }, needsCollector: true },
  { name: 'all-sampled', description: 'telemetry on, every trace sampled (always_on)', nodeArgs: SDK, env: { OTEL_TRACES_SAMPLER: 'always_on' }, needsCollector: true },
  { name: 'sdk-disabled', description: 'OTEL_SDK_DISABLED=true (SDK module loaded, starts nothing)', nodeArgs: SDK, env: { OTEL_SDK_DISABLED: 'true' }, needsCollector: false },
  { name: 'no-telemetry', description: 'no SDK module, no HTTP telemetry hooks (API calls stay no-ops)', nodeArgs: HEAP, env: { INGEST_HTTP_TELEMETRY: 'false' }, needsCollector: false },
];

/** In some processes, V8's allocation-site pretenuring decided early to allocate short-lived objects in the old generation, for the process's whole life. */
export const PRETENURING: Mode = { name: 'pretenuring', description: "the default with V8's allocation-site pretenuring (without --no-allocation-site-pretenuring)", nodeArgs: SDK.filter((flag) => flag !== NO_PRETENURING), env: {}, needsCollector: true };
export const CEILING: Mode = { name: 'harness-ceiling', description: 'bare node:http server answering 201 (bench/bare-server.ts)', entry: 'bench/bare-server.ts', nodeArgs: [], env: {}, needsCollector: false };

/** The modes named, in that order; throws naming any unknown one. */
export function modesNamed(names: readonly string[], from: readonly Mode[] = MODES): Mode[] {
  const unknown = names.filter((name) => !from.some((m) => m.name === name));
  if (unknown.length) throw new Error(`no mode ${unknown.join(', ')} (modes: ${from.map((m) => m.name).join(', ')})`);
  return names.map((name) => from.find((m) => m.name === name)!);
}
