import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { reportDelayDays, scoreClaim, scoreTransaction } from '../src/fraud/rules.ts';
import { VelocityWindow, velocityWindowFor } from '../src/fraud/velocity.ts';
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
});
