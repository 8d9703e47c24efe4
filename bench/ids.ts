// Trace and span id generation alone, side by side in one process: the SDK's RandomIdGenerator
// against the kit's PooledIdGenerator (service/src/telemetry/ids.ts), in alternating rounds, on
// whatever core it is given (`taskset -c 1 node bench/ids.ts`). Every request needs one pair.
//
//   node bench/ids.ts            BENCH_IDS_PAIRS (500,000) pairs per round, BENCH_IDS_ROUNDS (5)
import { RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace';
import { PooledIdGenerator } from '../service/src/telemetry/ids.ts';
import { median } from './paired.ts';

const PAIRS = Number(process.env.BENCH_IDS_PAIRS ?? 500_000);
const ROUNDS = Number(process.env.BENCH_IDS_ROUNDS ?? 5);
const generators: Array<[string, IdGenerator]> = [['sdk RandomIdGenerator', new RandomIdGenerator()], ['kit PooledIdGenerator', new PooledIdGenerator()]];

/** µs per pair (a span id, then a trace id, as the SDK's tracer asks for a new trace). */
function round(ids: IdGenerator): number {
  let length = 0; // used, so that the loop is not optimized away
  const started = performance.now();
  for (let i = 0; i < PAIRS; i++) length += ids.generateSpanId().length + ids.generateTraceId().length;
  const us = ((performance.now() - started) * 1000) / PAIRS;
  if (length !== PAIRS * 48) throw new Error(`ids of the wrong length: ${length / PAIRS} digits a pair`);
  return us;
}

const times = new Map<string, number[]>(generators.map(([name]) => [name, []]));
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? generators : [...generators].reverse();
  for (const [name, ids] of order) times.get(name)!.push(round(ids));
}
for (const [name, us] of times) console.log(`${name}: ${median(us).toFixed(3)} µs per pair of ids (median of ${ROUNDS} rounds of ${PAIRS})`);
const [sdk, kit] = generators.map(([name]) => median(times.get(name)!));
console.log(`pooled ids cost ${(kit / sdk).toFixed(2)} of the SDK's`);
