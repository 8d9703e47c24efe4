import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { syncLatency } from '../disk.ts';

describe('syncLatency', () => {
  it('times real fdatasyncs in order and leaves nothing behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'disk-test-'));
    try {
      const result = syncLatency(dir, 0.3);
      assert.ok(result.syncs > 0, `${result.syncs} syncs`);
      assert.ok(result.p50Ms >= 0 && result.p50Ms <= result.p99Ms && result.p99Ms <= result.maxMs, JSON.stringify(result));
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
