// Reading a V8 CPU profile (`node --cpu-prof`): the samples of a time window, self time per
// function and per category (the service's code, Fastify, OpenTelemetry, Node, GC...), folded
// stacks, and a flame graph as a self-contained SVG. bench/profile.ts writes them per mode.

export interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber?: number; scriptId?: string | number }
export interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
/** The `.cpuprofile` format: times in µs of V8's monotonic clock (CLOCK_MONOTONIC on Linux). */
export interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

/** Where a function's code comes from. */
export type Category = 'service' | 'fastify' | 'opentelemetry' | 'other dependencies' | 'generated' | 'node' | 'native' | 'gc' | 'program' | 'idle';

export const CATEGORIES: readonly Category[] = ['service', 'fastify', 'opentelemetry', 'other dependencies', 'generated', 'node', 'native', 'gc', 'program', 'idle'];

const FASTIFY_PACKAGES = /\/node_modules\/(fastify|@fastify\/[^/]+|find-my-way|avvio|light-my-request|fast-json-stringify|fast-querystring|fastify-plugin|toad-cache|process-warning|abstract-logging|rfdc|secure-json-parse|json-schema-ref-resolver)\//;

export function categoryOf(frame: CallFrame): Category {
  switch (frame.functionName) {
    case '(garbage collector)': return 'gc';
    case '(idle)': return 'idle';
    case '(program)': return 'program';
  }
  const url = frame.url;
  // No script: V8's builtins (JSON.parse, RegExp...) and Node's C++ bindings. A script without a
  // URL: code compiled at run time with `new Function`, such as Ajv's schema validators.
  if (url === '') return frame.scriptId === undefined || String(frame.scriptId) === '0' ? 'native' : 'generated';
  if (url.includes('/node_modules/@opentelemetry/')) return 'opentelemetry';
  if (FASTIFY_PACKAGES.test(url)) return 'fastify';
  if (url.includes('/node_modules/')) return 'other dependencies';
  if (url.startsWith('node:')) return 'node';
  return 'service';
}

/** `name path:line`, the path from the repository (or from node_modules) on. */
export function frameLabel(frame: CallFrame): string {
  const path = frame.url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/(service|bench)\//, '$1/');
  const name = frame.functionName || '(anonymous)';
  return path ? `${name} ${path}:${frame.lineNumber + 1}` : name;
}

export interface Sample { node: ProfileNode; us: number }

/**
 * The samples taken within [fromUs, toUs] (V8's clock; the whole profile without bounds), each
 * weighed by the time until the next sample, as Chrome's DevTools count it.
 */
export function windowSamples(profile: CpuProfile, fromUs = -Infinity, toUs = Infinity): Sample[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out: Sample[] = [];
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    const next = i + 1 < profile.samples.length ? at + (profile.timeDeltas[i + 1] ?? 0) : profile.endTime;
    if (at < fromUs || at > toUs) continue;
    out.push({ node: byId.get(profile.samples[i])!, us: Math.max(0, next - at) });
  }
  return out;
}

/** Each node's parent, for walking a sample's stack to the root. */
function parents(profile: CpuProfile): Map<number, ProfileNode> {
  const parent = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
  return parent;
}

/** Self time (µs) per function label, and per category, of the samples given. */
export function selfTimes(samples: readonly Sample[]): { byFunction: Map<string, { us: number; category: Category }>; byCategory: Map<Category, number>; totalUs: number } {
  const byFunction = new Map<string, { us: number; category: Category }>();
  const byCategory = new Map<Category, number>(CATEGORIES.map((c) => [c, 0]));
  let totalUs = 0;
  for (const { node, us } of samples) {
    const label = frameLabel(node.callFrame);
    const category = categoryOf(node.callFrame);
    const entry = byFunction.get(label) ?? { us: 0, category };
    entry.us += us;
    byFunction.set(label, entry);
    byCategory.set(category, byCategory.get(category)! + us);
    totalUs += us;
  }
  return { byFunction, byCategory, totalUs };
}

/**
 * Folded stacks (Brendan Gregg's format, one `root;...;leaf µs` line per distinct stack), the
 * input of flamegraph.pl and speedscope as well as of `flameSvg`, and each frame's category.
 * V8's `(root)` is left out.
 */
export function foldedStacks(profile: CpuProfile, samples: readonly Sample[]): { folded: Map<string, number>; categories: Map<string, Category> } {
  const parent = parents(profile);
  const stackOf = new Map<number, string>();
  const folded = new Map<string, number>();
  const categories = new Map<string, Category>();
  for (const { node, us } of samples) {
    let stack = stackOf.get(node.id);
    if (stack === undefined) {
      const frames: string[] = [];
      for (let n: ProfileNode | undefined = node; n; n = parent.get(n.id)) {
        if (n.callFrame.functionName === '(root)') continue;
        const label = frameLabel(n.callFrame).replaceAll(';', ',');
        categories.set(label, categoryOf(n.callFrame));
        frames.push(label);
      }
      stack = frames.reverse().join(';');
      stackOf.set(node.id, stack);
    }
    folded.set(stack, (folded.get(stack) ?? 0) + us);
  }
  return { folded, categories };
}

export function foldedText(folded: Map<string, number>): string {
  return [...folded].sort((a, b) => a[0].localeCompare(b[0])).map(([stack, us]) => `${stack} ${Math.round(us)}`).join('\n') + '\n';
}

interface FlameNode { name: string; us: number; children: Map<string, FlameNode> }

const COLORS: Record<Category, string> = {
  service: '#e8743b', fastify: '#3b8be8', opentelemetry: '#9b59b6', 'other dependencies': '#2aa876',
  generated: '#5bc0de', node: '#8a9a5b', native: '#c9a227', gc: '#d9534f', program: '#999999', idle: '#dddddd',
};

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A flame graph of folded stacks as one SVG file: the root at the bottom, each frame as wide as
 * its share of the samples, coloured by category, its name and time in a tooltip. Frames
 * narrower than `minWidthPx` are left out (their time stays in their parent's width).
 */
export function flameSvg(folded: Map<string, number>, options: { title: string; categoryOf: (label: string) => Category; width?: number; minWidthPx?: number }): string {
  const width = options.width ?? 1200;
  const minWidth = options.minWidthPx ?? 0.3;
  const root: FlameNode = { name: 'all', us: 0, children: new Map() };
  for (const [stack, us] of folded) {
    root.us += us;
    let node = root;
    for (const frame of stack.split(';')) {
      let child = node.children.get(frame);
      if (!child) node.children.set(frame, (child = { name: frame, us: 0, children: new Map() }));
      child.us += us;
      node = child;
    }
  }
  const depthOf = (node: FlameNode): number => 1 + Math.max(0, ...[...node.children.values()].map(depthOf));
  const rowHeight = 16;
  const top = 40;
  const height = top + depthOf(root) * rowHeight + 10;
  const scale = root.us > 0 ? width / root.us : 0;
  const rects: string[] = [];
  const draw = (node: FlameNode, x: number, depth: number) => {
    const w = node.us * scale;
    if (w < minWidth) return;
    const y = height - 10 - (depth + 1) * rowHeight;
    const share = root.us > 0 ? (100 * node.us) / root.us : 0;
    const fill = depth === 0 ? '#cccccc' : COLORS[options.categoryOf(node.name)];
    const chars = Math.floor((w - 6) / 7);
    const text = chars >= 3 ? (node.name.length <= chars ? node.name : `${node.name.slice(0, chars - 2)}..`) : '';
    rects.push(`<g><title>${escapeXml(node.name)} (${(node.us / 1000).toFixed(1)} ms, ${share.toFixed(2)}%)</title><rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${rowHeight - 1}" fill="${fill}" rx="2"/>${text ? `<text x="${(x + 3).toFixed(2)}" y="${y + 12}">${escapeXml(text)}</text>` : ''}</g>`);
    let childX = x;
    for (const child of [...node.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      draw(child, childX, depth + 1);
      childX += child.us * scale;
    }
  };
  draw(root, 0, 0);
  let legendX = 10;
  const legend = CATEGORIES.map((c) => {
    const item = `<rect x="${legendX}" y="22" width="10" height="10" fill="${COLORS[c]}"/><text x="${legendX + 14}" y="31">${c}</text>`;
    legendX += 14 + c.length * 7 + 18; // monospace 11px: about 7px a character
    return item;
  }).join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<text x="10" y="14" font-size="13">${escapeXml(options.title)}</text>`,
    legend,
    ...rects,
    '</svg>',
    '',
  ].join('\n');
}
