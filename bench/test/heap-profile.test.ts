// bench/heap-profile.ts on a small sampling heap profile: bytes summed by allocating function
// across the call tree, each function labelled and categorised as in CPU profiles.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { allocationSites, type HeapProfileNode } from '../heap-profile.ts';

const node = (id: number, functionName: string, url: string, selfSize: number, children: HeapProfileNode[] = []): HeapProfileNode =>
  ({ id, callFrame: { functionName, url, lineNumber: 9, columnNumber: 0, scriptId: url ? '7' : '0' }, selfSize, children });

it('sums the bytes each function allocated, wherever it was called from', () => {
  const APP = 'file:///work/main/service/dist/store/sqlite-store.js';
  const head = node(1, '(root)', '', 0, [
    node(2, 'add', APP, 100, [node(3, 'set', '', 400)]),
    node(4, 'settle', APP, 0, [node(5, 'set', '', 250), node(6, 'add', APP, 50)]),
  ]);
  const { bySite, totalBytes } = allocationSites({ head });
  assert.equal(totalBytes, 800);
  assert.deepEqual(Object.fromEntries(bySite), {
    'add service/dist/store/sqlite-store.js:10': { bytes: 150, category: 'service' },
    set: { bytes: 650, category: 'native' },
  });
});
