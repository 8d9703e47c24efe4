// The stack must never take core 1 from the load generator: its processes at the lowest priority,
// their session's scheduling group included.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { it } from 'node:test';
import { lowestPriority } from '../service-process.ts';

it('puts a detached process, its threads and its session group at nice 19, under SCHED_IDLE', async (t) => {
  // Detached as stack/native.ts starts the stack's components: a session, and so a group, of its own.
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  t.after(async () => {
    child.kill();
    if (child.exitCode === null) await once(child, 'exit');
  });
  const pid = child.pid!;
  lowestPriority(pid);
  const nice = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
  assert.equal(nice, 19, 'the thread runs at nice 19');
  const SCHED_IDLE = 5;
  assert.equal(Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[38]), SCHED_IDLE, 'and under SCHED_IDLE: preempted as soon as anything else wakes');
  if (!existsSync(`/proc/${pid}/autogroup`)) {
    t.diagnostic('no autogroup scheduling in this kernel: the threads\' niceness is all there is');
    return;
  }
  assert.match(readFileSync(`/proc/${pid}/autogroup`, 'utf8'), /nice 19/, 'its session group runs at nice 19');
});
