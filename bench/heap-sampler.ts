// Loaded into the service by `npm run bench:profile` with PROFILE_HEAP=1 (`--import`, main thread
// only): SIGUSR2 starts V8's sampling heap profiler, the next SIGUSR2 writes its profile to
// HEAP_SAMPLE_OUT. It counts only what outlived a young-generation GC: objects that reached the
// old generation, which is what fills it and brings on mark-compacts. Two young GCs before each
// signal's work (with --expose-gc) keep the window's short-lived garbage out of the count.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env.HEAP_SAMPLE_OUT;
const session = new Session();
session.connect();
let sampling = false;

const youngGcs = () => {
  const gc = (globalThis as { gc?: (options: { type: 'minor'; execution: 'sync' }) => void }).gc;
  gc?.({ type: 'minor', execution: 'sync' });
  gc?.({ type: 'minor', execution: 'sync' });
};

process.on('SIGUSR2', () => {
  youngGcs();
  if (!sampling) {
    sampling = true;
    session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMinorGC: false, includeObjectsCollectedByMajorGC: true });
    return;
  }
  sampling = false;
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error || !out) return console.error(`heap-sampler: ${error?.message ?? 'no HEAP_SAMPLE_OUT'}`);
    writeFileSync(out, JSON.stringify(result.profile));
  });
});
