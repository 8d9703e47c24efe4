import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { reportDelayDays, scoreClaim, scoreTransaction } from '../src/fraud/rules.ts';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { kthSmallest, VelocityWindow, velocityWindowFor } from '../src/fraud/velocity.ts';
import { claim, transaction } from './helpers.ts';

const thresholds = loadConfig({}).fraud;

describe('fraud rules', () => {
  it('flags a transaction over 10,000 and not one at 10,000', () => {
    assert.deepEqual(scoreTransaction(transaction({ amount: 10_000.01 }) as never, thresholds, 1), ['high_amount']);
    assert.deepEqual(scoreTransaction(transaction({ amount: 10_000 }) as never, thresholds, 1), []);
  });

  it('flags velocity above 5 records in the window', () => {
    assert.deepEqual(scoreTransaction(transaction() as never, thresholds, 5), []);
    assert.deepEqual(scoreTransaction(transaction() as never, thresholds, 6), ['velocity']);
  });

  it('flags a claim over 50,000 and a report more than 90 days late', () => {
    assert.deepEqual(scoreClaim(claim({ claim_amount: 50_001 }) as never, thresholds, 1), ['high_claim']);
    assert.deepEqual(scoreClaim(claim({ claim_amount: 50_000 }) as never, thresholds, 1), []);
    const late = claim({ timestamp: '2026-11-22T10:00:00Z', incident_date: '2026-08-23' });
    assert.equal(reportDelayDays(late as never), 91);
    assert.deepEqual(scoreClaim(late as never, thresholds, 1), ['late_report']);
    const onTime = claim({ timestamp: '2026-11-22T10:00:00Z', incident_date: '2026-08-24' });
    assert.equal(reportDelayDays(onTime as never), 90);
    assert.deepEqual(scoreClaim(onTime as never, thresholds, 1), []);
  });

  it('uses configured thresholds', () => {
    const strict = loadConfig({ FRAUD_HIGH_AMOUNT: '100', FRAUD_HIGH_CLAIM_AMOUNT: '10', FRAUD_LATE_REPORT_DAYS: '1' }).fraud;
    assert.deepEqual(scoreTransaction(transaction({ amount: 101 }) as never, strict, 1), ['high_amount']);
    assert.deepEqual(scoreClaim(claim({ claim_amount: 11, incident_date: '2026-11-20' }) as never, strict, 1), ['high_claim', 'late_report']);
  });
});

describe('velocity window', () => {
  const t0 = Date.parse('2026-11-22T10:00:00Z');

  it('counts the records of one customer within 60 s, this one included', () => {
    const window = new VelocityWindow({ windowSeconds: 60 });
    const counts = [0, 10, 20, 30, 40, 50].map((s) => window.observe('c1', t0 + s * 1000));
    assert.deepEqual(counts, [1, 2, 3, 4, 5, 6]);
    assert.equal(window.observe('c2', t0 + 50_000), 1, 'customers are counted apart');
    // 70 s: the records at 0 and 10 s are out of (10 s, 70 s]
    assert.equal(window.observe('c1', t0 + 70_000), 5);
  });

  it('counts a late record against the window ending at its own timestamp', () => {
    const window = new VelocityWindow({ windowSeconds: 60 });
    for (const s of [0, 5, 10]) window.observe('c1', t0 + s * 1000);
    assert.equal(window.observe('c1', t0 + 2000), 2); // the records at 0 s and 2 s (itself), not those after it
  });

  it('stays bounded in customers', () => {
    const window = new VelocityWindow({ windowSeconds: 60, maxCustomers: 100 });
    for (let i = 0; i < 1000; i++) window.observe(`c${i}`, t0);
    assert.ok(window.customers <= 100 && window.customers > 90, `${window.customers} customers`);
    // The most recently seen are kept: c999 still counts its earlier record.
    assert.equal(window.observe('c999', t0 + 1), 2);
    assert.equal(window.observe('c0', t0 + 1), 1, 'c0 was evicted long ago');
  });

  it('keeps one timestamp more than the rule needs per customer, however fast records arrive', () => {
    const limits = { ...thresholds, velocityMaxRecords: 5, velocityWindowSeconds: 60 };
    const window = velocityWindowFor(limits);
    const counts: number[] = [];
    for (let i = 0; i < 10_000; i++) counts.push(window.observe(`c${i % 10}`, t0 + i));
    assert.equal(window.timestamps, 10 * 6, 'six timestamps for each of the 10 customers');
    // The rule still sees the sixth record of a customer inside the window as over the limit.
    assert.deepEqual(counts.slice(0, 60).filter((_, i) => i % 10 === 0), [1, 2, 3, 4, 5, 6]);
    assert.ok(counts.slice(60).every((n) => n === 6));
    assert.deepEqual(scoreTransaction(transaction({ amount: 1 }) as never, limits, counts[9_999]), ['velocity']);
  });
  it('counts as a plain per-customer list of timestamps would, inline and spilled alike', () => {
    // The reference: every customer's timestamps in a sorted array, pruned the same way.
    for (const maxPerCustomer of [1, 3, 6, 8, 9, 20]) {
      const window = new VelocityWindow({ windowSeconds: 60, maxPerCustomer });
      const reference = new Map<string, number[]>();
      let seed = maxPerCustomer;
      const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
      let now = t0;
      for (let i = 0; i < 20_000; i++) {
        now += Math.floor(random() * 400);
        const customer = `c${Math.floor(random() * 30)}`;
        const at = random() < 0.1 ? now - Math.floor(random() * 90_000) : now; // some late records
        const times = reference.get(customer) ?? [];
        let k = times.length;
        while (k > 0 && times[k - 1] > at) k--;
        times.splice(k, 0, at);
        let drop = 0;
        while (drop < times.length && times[drop] <= times[times.length - 1] - 60_000) drop++;
        if (times.length - drop > maxPerCustomer) drop = times.length - maxPerCustomer;
        times.splice(0, drop);
        reference.set(customer, times);
        const expected = times.filter((t) => t > at - 60_000 && t <= at).length;
        assert.equal(window.observe(customer, at), expected, `record ${i} of ${customer} at ${at}, maxPerCustomer ${maxPerCustomer}`);
      }
      const held = [...reference.values()].reduce((n, times) => n + times.length, 0);
      assert.equal(window.timestamps, held, `timestamps held, maxPerCustomer ${maxPerCustomer}`);
      assert.equal(window.customers, reference.size);
    }
  });

  it('evicts exactly the least recently seen tenth when full', () => {
    const window = new VelocityWindow({ windowSeconds: 60, maxCustomers: 1000 });
    for (let i = 0; i < 1000; i++) window.observe(`c${i}`, t0);
    for (let i = 0; i < 100; i++) window.observe(`c${i}`, t0 + 1); // c0-c99 are now the most recent
    window.observe('new', t0 + 2); // full: c100-c199 go
    assert.equal(window.customers, 901);
    assert.equal(window.observe('c50', t0 + 3), 3, 'c50 was kept');
    assert.equal(window.observe('c200', t0 + 3), 2, 'c200 was kept');
    assert.equal(window.observe('c150', t0 + 3), 1, 'c150 was evicted');
  });

  it('refuses a window with no room, and survives a window too short to hold anything', () => {
    assert.throws(() => new VelocityWindow({ windowSeconds: 60, maxCustomers: 0 }), RangeError);
    assert.throws(() => new VelocityWindow({ windowSeconds: 60, maxPerCustomer: 0 }), RangeError);
    // Pruning never empties a customer's slot (an empty slot is a free one), even when the window
    // rounds to nothing: eviction still finds the least recent customers.
    const window = new VelocityWindow({ windowSeconds: 1e-300, maxCustomers: 2 });
    const counts = ['a', 'a', 'b', 'c', 'd', 'a'].map((c, i) => window.observe(c, t0 + i));
    assert.deepEqual(counts, [0, 0, 0, 0, 0, 0]);
    assert.equal(window.customers, 2);
  });

  it('holds no JS objects per customer: a full window adds almost nothing to the heap', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage();
    const window = velocityWindowFor(thresholds);
    for (let i = 0; i < 100_000; i++) window.observe(`customer-${i}`, t0 + i);
    gc();
    const after = process.memoryUsage();
    assert.equal(window.customers, 100_000);
    const heapMiB = (after.heapUsed - before.heapUsed) / 2 ** 20;
    assert.ok(heapMiB < 1, `the window added ${heapMiB.toFixed(1)} MiB to the heap`);
    assert.ok(window.bytes < 10 * 2 ** 20, `${window.bytes} bytes of typed arrays`);
    window.observe('keep-alive', t0);
  });
});

describe('kthSmallest', () => {
  it('finds the k-th smallest as sorting would', () => {
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (const length of [1, 2, 3, 10, 101, 5000]) {
      const values = Float64Array.from({ length }, () => Math.floor(random() * length * 2));
      const sorted = Array.from(values).sort((a, b) => a - b);
      for (const k of [0, length >> 1, length - 1]) assert.equal(kthSmallest(values.slice(), k), sorted[k], `k ${k} of ${length}`);
    }
  });
});
