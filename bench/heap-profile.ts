// Reading a V8 sampling heap profile (`.heapprofile`, HeapProfiler.stopSampling): bytes by the
// function that allocated them, labelled and categorised as bench/flame.ts does for CPU.
import { categoryOf, frameLabel, type CallFrame, type Category } from './flame.ts';

export interface HeapProfileNode { callFrame: CallFrame; selfSize: number; id: number; children: HeapProfileNode[] }
export interface HeapProfile { head: HeapProfileNode; samples?: unknown[] }

/** Sampled bytes by allocating function, and their total. */
export function allocationSites(profile: HeapProfile): { bySite: Map<string, { bytes: number; category: Category }>; totalBytes: number } {
  const bySite = new Map<string, { bytes: number; category: Category }>();
  let totalBytes = 0;
  const walk = (node: HeapProfileNode) => {
    if (node.selfSize > 0) {
      const label = frameLabel(node.callFrame);
      const site = bySite.get(label) ?? { bytes: 0, category: categoryOf(node.callFrame) };
      site.bytes += node.selfSize;
      bySite.set(label, site);
      totalBytes += node.selfSize;
    }
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  return { bySite, totalBytes };
}
