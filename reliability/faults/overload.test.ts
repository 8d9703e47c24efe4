// Overload: drive the real ingestor at about three times its measured capacity, then drop the
// load, and check that it sheds with 503 + Retry-After, never crashes or runs out of memory, keeps
// the latency of what it accepts bounded, keeps doing useful work, and recovers.
//
// The service runs alone on core 0 and the load generator (batch-load.ts) on core 1, as in the
// benchmark, so "capacity" is the service's on one core.
//
// Its SQLite file is on tmpfs (FAULTS_OVERLOAD_DATA_ROOT, /dev/shm by default), as in the outage
// test: this VM's disk now and then takes 100-450 ms for one fsync, and a stall at half load
// holds enough requests to reach the in-flight limits, which then answer 503, rightly, but for the
// disk's sake, not the load's (seen in CI: 50 503s in the recovery phase behind one 440 ms stall).
// This test is about load; the crash test keeps the real disk. FAULTS_OVERLOAD_DATA_ROOT=/tmp
// puts it back.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startServiceProcess, type RunningService } from '../../service/test/process.ts';
import { BATCH_SIZE, type BatchLoadResult } from './batch-load.ts';

const run = promisify(execFile);
const OVERLOAD_FACTOR = 3;
/** The compose memory limit of the ingestor (docker-compose.yml): above it, a container is killed. */
const MEMORY_LIMIT_MIB = 384;
/** What "bounded" means for an accepted batch under overload: far below any client timeout. */
const ACCEPTED_P99_LIMIT_MS = 1000;
/**
 * Share of the capacity still accepted under overload: 0.73-0.77 measured with half of the 1 MiB
 * budget under overload (0.72-0.83 with 512 KiB for everything), 0.48-0.54 with 1 MiB for
 * everything, which this bound catches (docs/reliability.md, Overload).
 */
const MIN_ACCEPTED_SHARE = 0.6;

/** Closed loop with `connections` (capacity) or, given a rate, open loop at that many batches/s. */
async function load(url: string, connections: number, seconds: number, rate?: number): Promise<BatchLoadResult> {
  const mode = rate ? ['paced', String(Math.round(rate)), String(seconds), String(connections)] : ['capacity', String(connections), String(seconds)];
  const args = ['-c', '1', process.execPath, 'reliability/faults/batch-load.ts', url, ...mode];
  const { stdout } = await run('taskset', args, { cwd: new URL('../../', import.meta.url).pathname, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as BatchLoadResult;
}

function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]) / 1024);
}

const perSecond = (r: BatchLoadResult) => r.accepted / r.seconds;
const describeLoad = (r: BatchLoadResult) =>
  `${perSecond(r).toFixed(0)} batches/s accepted (${(perSecond(r) * BATCH_SIZE).toFixed(0)} records/s), ` +
  `p50/p99/max ${r.acceptedLatencyMs.p50}/${r.acceptedLatencyMs.p99}/${r.acceptedLatencyMs.max} ms; ` +
  `${(r.shed / r.seconds).toFixed(0)} 503/s (p99 ${r.shedLatencyMs.p99} ms, ${JSON.stringify(r.shedReasons)}); unexpected ${JSON.stringify(r.unexpected)}; errors ${r.errors}`;

describe('overload', { timeout: 300_000 }, () => {
  let service: RunningService;
  let dataDir: string;

  before(async () => {
    const root = process.env.FAULTS_OVERLOAD_DATA_ROOT || (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
    dataDir = mkdtempSync(join(root, 'ingestor-overload-'));
    // OVERLOAD_ENV (JSON) overrides service settings, to try other shedding limits.
    service = await startServiceProcess({ DATA_DIR: dataDir, ...(process.env.OVERLOAD_ENV ? JSON.parse(process.env.OVERLOAD_ENV) : {}) }, { cpus: '0' });
  });

  after(async () => {
    if (service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGTERM');
      await once(service.child, 'exit');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sheds three times its capacity with 503 + Retry-After, stays up and bounded, and recovers', async () => {
    const pid = service.child.pid!;
    // Capacity: a closed loop with enough connections to keep the service busy.
    const capacity = await load(service.url, 16, 8);
    assert.equal(capacity.errors, 0, 'no connection errors at capacity');
    assert.deepEqual(capacity.unexpected, {}, 'only accepted batches at capacity');
    const rate = perSecond(capacity);
    console.log(`# capacity: ${describeLoad(capacity)}`);

    // Overload: OVERLOAD_FACTOR times that rate, with connections enough to offer it even if every
    // answer took a second; RSS sampled meanwhile.
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(rssMiB(pid, 'VmRSS')), 500);
    const overload = await load(service.url, 400, 20, rate * OVERLOAD_FACTOR);
    clearInterval(sampler);
    const offered = (overload.accepted + overload.shed + overload.errors) / overload.seconds;
    console.log(`# overload: offered ${offered.toFixed(0)} batches/s (${(offered / rate).toFixed(1)}x capacity): ${describeLoad(overload)}`);
    console.log(`# overload: accepted p99/max by second: ${overload.acceptedBySecond?.map((s) => `${Math.round(s.p99)}/${Math.round(s.max)}`).join(' ')}`);
    console.log(`# overload: RSS ${Math.min(...rss)}-${Math.max(...rss)} MiB, peak (VmHWM) ${rssMiB(pid, 'VmHWM')} MiB`);

    assert.ok(offered >= 2 * rate, `the load offered at least twice the capacity (${offered.toFixed(0)} vs ${rate.toFixed(0)}/s)`);
    assert.ok(overload.shed > 0, 'the excess is shed with 503');
    assert.equal(overload.shedWithoutRetryAfter, 0, 'every 503 has Retry-After and a problem+json body');
    assert.deepEqual(overload.unexpected, {}, 'nothing but accepted batches and 503s');
    assert.equal(overload.errors, 0, 'no connection errors or timeouts: the service never went away');
    assert.equal(service.child.exitCode, null, 'the service is still running');
    assert.ok(rssMiB(pid, 'VmHWM') < MEMORY_LIMIT_MIB, `peak RSS under the ${MEMORY_LIMIT_MIB} MiB container limit`);
    assert.ok(overload.acceptedLatencyMs.p99 < ACCEPTED_P99_LIMIT_MS, `accepted p99 ${overload.acceptedLatencyMs.p99} ms < ${ACCEPTED_P99_LIMIT_MS} ms`);
    // Shedding is cheap: with two requests of three refused, most of the capacity still goes to
    // the accepted. Until 2026-11-24 this asked for half, and 1 MiB in flight gave 0.48-0.54
    // (docs/reliability.md).
    assert.ok(perSecond(overload) >= MIN_ACCEPTED_SHARE * rate, `at least ${MIN_ACCEPTED_SHARE} of the capacity is still accepted: shedding is cheap`);

    // The load drops to half the capacity: after a few seconds to settle, nothing is refused.
    const settling = await load(service.url, 64, 5, rate / 2);
    console.log(`# settling at ${(rate / 2).toFixed(0)} batches/s: ${describeLoad(settling)}`);
    assert.deepEqual(settling.unexpected, {});
    assert.equal(settling.errors, 0);
    const recovery = await load(service.url, 64, 10, rate / 2);
    console.log(`# recovered at ${(rate / 2).toFixed(0)} batches/s: ${describeLoad(recovery)}`);
    assert.equal(recovery.shed, 0, 'no 503 once the load is under capacity');
    assert.deepEqual(recovery.unexpected, {});
    assert.equal(recovery.errors, 0);
    assert.ok(recovery.accepted / recovery.seconds >= 0.9 * (rate / 2), 'the offered half load is all accepted');
  });
});
