// bench/flame.ts on a small profile in V8's `.cpuprofile` format: which samples a window holds and
// what each weighs, self time, folded stacks and the flame graph drawn from them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { categoryOf, flameSvg, foldedStacks, foldedText, frameLabel, selfTimes, windowSamples, type CallFrame, type CpuProfile } from '../flame.ts';

const frame = (functionName: string, url = '', lineNumber = 0): CallFrame => ({ functionName, url, lineNumber, columnNumber: 0 });
const APP = 'file:///work/main/service/dist/ingest/ingest.js';
const FASTIFY = 'file:///work/main/node_modules/fastify/lib/route.js';
const OTEL = 'file:///work/main/node_modules/@opentelemetry/sdk-trace/dist/Tracer.mjs';

// (root) ─┬─ routeHandler (fastify) ─┬─ ingest (service) ── startSpan (otel)
//         │                          └─ JSON.parse (native)
//         ├─ (garbage collector)
//         └─ (idle)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 6, 7] },
    { id: 2, callFrame: frame('routeHandler', FASTIFY, 464), children: [3, 5] },
    { id: 3, callFrame: frame('ingest', APP, 43), children: [4] },
    { id: 4, callFrame: frame('startSpan', OTEL, 39) },
    { id: 5, callFrame: frame('parse') },
    { id: 6, callFrame: frame('(garbage collector)') },
    { id: 7, callFrame: frame('(idle)') },
  ],
  startTime: 1_000,
  // Samples at 1100, 1200, 1300, 1500, 1600, 1700, 2000; the profile ends at 2100.
  samples: [3, 4, 4, 5, 6, 7, 2],
  timeDeltas: [100, 100, 100, 200, 100, 100, 300],
  endTime: 2_100,
};

describe('reading a CPU profile', () => {
  it('puts code in categories by where it comes from', () => {
    assert.equal(categoryOf(frame('ingest', APP)), 'service');
    assert.equal(categoryOf(frame('routeHandler', FASTIFY)), 'fastify');
    assert.equal(categoryOf(frame('_parse', 'file:///x/node_modules/secure-json-parse/index.js')), 'fastify');
    assert.equal(categoryOf(frame('startSpan', OTEL)), 'opentelemetry');
    assert.equal(categoryOf(frame('pino', 'file:///x/node_modules/pino/pino.js')), 'other dependencies');
    assert.equal(categoryOf(frame('emit', 'node:events')), 'node');
    assert.equal(categoryOf(frame('postMessage')), 'native');
    assert.equal(categoryOf({ ...frame('postMessage'), scriptId: '0' }), 'native');
    assert.equal(categoryOf({ ...frame('validate10'), scriptId: '1364' }), 'generated');
    assert.equal(categoryOf(frame('(garbage collector)')), 'gc');
    assert.equal(categoryOf(frame('(program)')), 'program');
    assert.equal(categoryOf(frame('(idle)')), 'idle');
  });

  it('labels a function with its path from the repository or its package, and its 1-based line', () => {
    assert.equal(frameLabel(frame('ingest', APP, 43)), 'ingest service/dist/ingest/ingest.js:44');
    assert.equal(frameLabel(frame('startSpan', OTEL, 39)), 'startSpan @opentelemetry/sdk-trace/dist/Tracer.mjs:40');
    assert.equal(frameLabel(frame('', 'node:events', 488)), '(anonymous) node:events:489');
    assert.equal(frameLabel(frame('postMessage')), 'postMessage');
  });

  it('weighs each sample by the time to the next one, and keeps the window it is asked for', () => {
    const all = windowSamples(profile);
    assert.deepEqual(all.map((s) => [s.node.id, s.us]), [[3, 100], [4, 100], [4, 200], [5, 100], [6, 100], [7, 300], [2, 100]]);
    assert.equal(all.reduce((sum, s) => sum + s.us, 0), profile.endTime - 1_100, 'from the first sample to the end');
    const window = windowSamples(profile, 1_200, 1_600);
    assert.deepEqual(window.map((s) => s.node.id), [4, 4, 5, 6]);
  });

  it('sums self time by function and by category', () => {
    const { byFunction, byCategory, totalUs } = selfTimes(windowSamples(profile));
    assert.equal(totalUs, 1_000);
    assert.equal(byFunction.get('startSpan @opentelemetry/sdk-trace/dist/Tracer.mjs:40')?.us, 300);
    assert.equal(byFunction.get('ingest service/dist/ingest/ingest.js:44')?.us, 100);
    assert.deepEqual(
      Object.fromEntries([...byCategory].filter(([, us]) => us > 0)),
      { service: 100, fastify: 100, opentelemetry: 300, native: 100, gc: 100, idle: 300 },
    );
  });

  it('folds stacks from the root down, without V8\'s (root), their times adding up to the samples\'', () => {
    const samples = windowSamples(profile);
    const { folded, categories } = foldedStacks(profile, samples);
    const handler = 'routeHandler fastify/lib/route.js:465';
    const ingest = 'ingest service/dist/ingest/ingest.js:44';
    assert.deepEqual(Object.fromEntries(folded), {
      [`${handler};${ingest}`]: 100,
      [`${handler};${ingest};startSpan @opentelemetry/sdk-trace/dist/Tracer.mjs:40`]: 300,
      [`${handler};parse`]: 100,
      '(garbage collector)': 100,
      '(idle)': 300,
      [handler]: 100,
    });
    assert.equal(categories.get(handler), 'fastify');
    assert.equal(categories.get('parse'), 'native');
    const text = foldedText(folded);
    assert.match(text, /^\(garbage collector\) 100$/m);
    assert.equal(text.trim().split('\n').reduce((sum, line) => sum + Number(line.split(' ').pop()), 0), 1_000);
  });

  it('draws each frame as wide as its share, children inside their parent, names escaped', () => {
    const folded = new Map([['a;b<c>', 750], ['a;d', 250], ['e', 1000]]);
    const svg = flameSvg(folded, { title: 'test & title', categoryOf: () => 'service', width: 1000 });
    assert.match(svg, /^<svg [^>]*width="1000"/);
    assert.ok(svg.trimEnd().endsWith('</svg>'));
    assert.match(svg, /test &#38; title/);
    assert.match(svg, /<title>b&#60;c&#62; \(0\.8 ms, 37\.50%\)<\/title>/);
    assert.doesNotMatch(svg.replaceAll(/<\/?(svg|g|title|rect|text)\b[^>]*>/g, ''), /[<>]/, 'no unescaped markup from the names');
    const rect = (name: string) => {
      const m = new RegExp(`<title>${name} [^<]*</title><rect x="([\\d.]+)" y="(\\d+)" width="([\\d.]+)"`).exec(svg);
      assert.ok(m, name);
      return { x: Number(m[1]), y: Number(m[2]), width: Number(m[3]) };
    };
    const [all, a, b, d, e] = [rect('all'), rect('a'), rect('b&#60;c&#62;'), rect('d'), rect('e')];
    assert.equal(all.width, 1000);
    assert.equal(a.width, 500);
    assert.equal(e.width, 500);
    assert.equal(b.width + d.width, a.width);
    assert.ok(b.y < a.y && a.y < all.y, 'the root at the bottom, callees above their callers');
    assert.ok(b.x >= a.x && d.x + d.width <= a.x + a.width + 0.01, 'children within their parent');
  });
});
