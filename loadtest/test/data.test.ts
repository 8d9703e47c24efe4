// The load test's data generator: its mix (shares of invalid, fraud-like, re-sent and burst
// records), its ids, and above all that what it expects agrees with the service's own
// validation and fraud rules, run here in-process on 100,000 generated records.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../service/src/config.ts';
import { scoreClaim, scoreTransaction } from '../../service/src/fraud/rules.ts';
import { VelocityWindow } from '../../service/src/fraud/velocity.ts';
import { canonicalJson, claimKind, transactionKind } from '../../service/src/ingest/kinds.ts';
import { createValidator } from '../../service/src/ingest/validate.ts';
import type { Claim, Transaction } from '../../service/src/schemas/records.ts';
import { createRecordGenerator, FRAUD_THRESHOLDS, INVALID_KINDS, type GeneratedRecord, type RecordType } from '../lib/data.ts';
import { seededRandom } from '../lib/random.ts';
import { answerMatches, fraudRulesMatch, type RecordAnswer } from '../lib/verify.ts';

const RECORDS = 100_000;
const START_MS = Date.UTC(2026, 10, 22, 10, 0, 0);

/** The ingest pipeline's decisions (validate, idempotency, fraud scoring), without HTTP or SQLite. */
function simulatedService() {
  const fraud = loadConfig({}).fraud;
  const velocity = new VelocityWindow({ windowSeconds: fraud.velocityWindowSeconds });
  const stored = new Map<string, { payload: string; rules: string[] }>();
  const validators = { transaction: createValidator(transactionKind), claim: createValidator(claimKind) };
  const kinds = { transaction: transactionKind, claim: claimKind };

  return (record: GeneratedRecord): RecordAnswer => {
    const kind = kinds[record.type];
    const validation = validators[record.type](record.body);
    if (!validation.ok) return { status: 'rejected', errors: validation.errors };
    const payload = canonicalJson(kind, record.body);
    const existing = stored.get(record.id);
    if (existing) return existing.payload === payload ? { status: 'duplicate', fraud: { rules: existing.rules } } : { status: 'conflict' };
    const recent = velocity.observe(kind.customerId(validation.record as never), validation.timestampMs);
    const rules = record.type === 'transaction'
      ? scoreTransaction(validation.record as Transaction, fraud, recent)
      : scoreClaim(validation.record as Claim, fraud, recent);
    stored.set(record.id, { payload, rules });
    return { status: 'accepted', fraud: { rules } };
  };
}

interface Sent {
  record: GeneratedRecord;
  answer: RecordAnswer;
}

/** 100,000 records, 80% transactions, answered by the simulated service and acknowledged as k6 does. */
function generateAndAnswer(seed: number): Sent[] {
  const random = seededRandom(seed);
  let clock = START_MS;
  const generator = createRecordGenerator({ runId: 'unit-test', vu: 1, random, now: () => (clock += 10) });
  const answer = simulatedService();
  const sent: Sent[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const record = generator.next(random() < 0.8 ? 'transaction' : 'claim');
    const reply = answer(record);
    if (reply.status === 'accepted') generator.acknowledged(record, (reply.fraud?.rules ?? []) as string[]);
    sent.push({ record, answer: reply });
  }
  return sent;
}

const sent = generateAndAnswer(42);
const share = (predicate: (s: Sent) => boolean) => sent.filter(predicate).length / sent.length;
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

describe('load test data generator', () => {
  it('expects what the service answers: status, fraud rules, the field named in a rejection', () => {
    const mismatches = sent.filter(({ record, answer }) => !answerMatches(record.expect, answer));
    assert.deepEqual(mismatches.slice(0, 3), [], `${mismatches.length} of ${RECORDS} records answered otherwise`);
  });

  it('uses the service\'s default fraud thresholds', () => {
    const fraud = loadConfig({}).fraud;
    assert.deepEqual({ ...FRAUD_THRESHOLDS }, {
      highAmount: fraud.highAmount,
      highClaimAmount: fraud.highClaimAmount,
      lateReportDays: fraud.lateReportDays,
      velocityMaxRecords: fraud.velocityMaxRecords,
      velocityWindowSeconds: fraud.velocityWindowSeconds,
    });
  });

  it('sends about 2% invalid records, of every kind', () => {
    const invalid = share((s) => s.record.expect.status === 400);
    assert.ok(invalid >= 0.015 && invalid <= 0.025, `invalid share ${pct(invalid)}`);
    for (const type of ['transaction', 'claim'] as RecordType[]) {
      const kinds = new Set(sent.filter((s) => s.record.type === type).map((s) => s.record.expect.invalid?.kind));
      for (const kind of INVALID_KINDS[type]) assert.ok(kinds.has(kind), `no ${type} with ${kind}`);
    }
  });

  it('sends about 1% fraud-like amounts (transactions over 10,000, claims over 50,000)', () => {
    const fraudLike = share((s) => s.record.expect.fraudRules.some((r) => r === 'high_amount' || r === 'high_claim'));
    assert.ok(fraudLike >= 0.007 && fraudLike <= 0.013, `fraud-like share ${pct(fraudLike)}`);
    const claims = sent.filter((s) => s.record.type === 'claim');
    const late = claims.filter((s) => s.record.expect.fraudRules.includes('late_report')).length / claims.length;
    assert.ok(late >= 0.005 && late <= 0.02, `late reports ${pct(late)} of claims`);
  });

  it('re-sends stored records unchanged (about 3%), each answered as a duplicate', () => {
    const resent = sent.filter((s) => s.record.expect.outcome === 'duplicate');
    assert.ok(resent.length / RECORDS >= 0.02 && resent.length / RECORDS <= 0.04, `re-sends ${pct(resent.length / RECORDS)}`);
    const firstBody = new Map<string, unknown>();
    for (const { record } of sent) if (record.expect.outcome === 'accepted') firstBody.set(record.id, record.body);
    for (const { record } of resent) assert.equal(JSON.stringify(record.body), JSON.stringify(firstBody.get(record.id)));
  });

  it('sends bursts: more than 5 records of one customer within 60 s, flagged from the 6th on', () => {
    const byCustomer = new Map<string, GeneratedRecord[]>();
    for (const { record } of sent) {
      if (record.expect.outcome !== 'accepted' || !String(record.body.customer_id).includes('-b')) continue;
      byCustomer.set(String(record.body.customer_id), [...(byCustomer.get(String(record.body.customer_id)) ?? []), record]);
    }
    assert.ok(byCustomer.size >= 200, `${byCustomer.size} bursts`);
    for (const records of byCustomer.values()) {
      const times = records.map((r) => Date.parse(String(r.body.timestamp)));
      assert.ok(records.length >= 6 && records.length <= 9);
      assert.ok(times.at(-1)! - times[0] < 60_000, 'burst spans a minute or more');
      assert.deepEqual(records.map((r) => r.expect.fraudRules.includes('velocity')), records.map((_, i) => i >= 5));
    }
    // Regular customers come from a large pool: velocity almost never flags them by chance.
    const incidental = sent.filter((s) => !s.record.expect.fraudRules.includes('velocity') &&
      ((s.answer.fraud?.rules ?? []) as string[]).includes('velocity'));
    assert.ok(incidental.length < 10, `${incidental.length} records flagged velocity by chance`);
  });

  it('draws realistic values: weighted currencies and regions, log-normal amounts', () => {
    const transactions = sent.filter((s) => s.record.type === 'transaction' && s.record.expect.outcome === 'accepted').map((s) => s.record.body);
    const count = (field: string) => {
      const counts = new Map<unknown, number>();
      for (const t of transactions) counts.set(t[field], (counts.get(t[field]) ?? 0) + 1);
      return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([value]) => value);
    };
    assert.deepEqual(new Set(count('currency')), new Set(['USD', 'EUR', 'GBP', 'JPY', 'CAD', 'AUD', 'CHF', 'BRL', 'INR']));
    assert.deepEqual(count('currency').slice(0, 2), ['USD', 'EUR']);
    assert.deepEqual(count('region'), ['na', 'eu', 'apac', 'latam', 'mea']);
    assert.equal(count('transaction_type')[0], 'purchase');

    const purchases = transactions.filter((t) => t.transaction_type === 'purchase').map((t) => t.amount as number).sort((a, b) => a - b);
    const median = purchases[Math.floor(purchases.length / 2)];
    const mean = purchases.reduce((a, b) => a + b, 0) / purchases.length;
    assert.ok(median > 35 && median < 60, `median purchase ${median}`);
    assert.ok(mean > median * 1.3, 'amounts are right-skewed');
  });

  it('gives ids unique across VUs, iterations and runs', () => {
    const ids = new Set<string>();
    let total = 0;
    for (const runId of ['run-a', 'run-b']) {
      for (const vu of [1, 2, 11]) {
        const generator = createRecordGenerator({ runId, vu, random: seededRandom(vu) });
        for (let i = 0; i < 5_000; i++) {
          const record = generator.next(i % 2 ? 'claim' : 'transaction');
          if (record.expect.outcome === 'duplicate') continue;
          ids.add(record.id);
          total++;
          assert.ok(record.id.length <= 128);
        }
      }
    }
    assert.equal(ids.size, total);
  });

  it('re-sends and reads back only what the service acknowledged', () => {
    const generator = createRecordGenerator({ runId: 'unacked', vu: 1, random: seededRandom(7) });
    for (let i = 0; i < 10_000; i++) assert.notEqual(generator.next('transaction').expect.outcome, 'duplicate');
    assert.equal(generator.storedRecord('transaction'), undefined);
  });
});

describe('fraudRulesMatch', () => {
  it('lets velocity appear unexpected, but not go missing, and compares every other rule exactly', () => {
    assert.ok(fraudRulesMatch([], []));
    assert.ok(fraudRulesMatch([], ['velocity']));
    assert.ok(fraudRulesMatch(['high_amount'], ['velocity', 'high_amount']));
    assert.ok(!fraudRulesMatch(['velocity'], []));
    assert.ok(!fraudRulesMatch([], ['high_amount']));
    assert.ok(!fraudRulesMatch(['high_claim'], ['late_report']));
  });
});
