// The load test's records, from one generator that k6 scripts and a node:test unit test share.
// Each record carries what the ingestor must answer (README: validation, fraud rules,
// idempotency), so a load test checks that the service stays correct under load, not only fast.
// No k6 or Node imports: the caller passes in the ids (run, VU) and, for tests, the randomness and clock.
import { chance, intBetween, logNormal, pickAt, pickOne, pickWeighted, standardNormal, type Random, type Weighted } from './random.ts';

export type RecordType = 'transaction' | 'claim';
export type Outcome = 'accepted' | 'duplicate' | 'rejected';
export type FraudRule = 'high_amount' | 'velocity' | 'high_claim' | 'late_report';
export type InvalidKind =
  | 'negative_amount'
  | 'bad_currency'
  | 'missing_field'
  | 'unknown_region'
  | 'incident_after_timestamp'
  | 'string_amount';

/** What the service must answer for one record. */
export interface Expectation {
  /** HTTP status of a single POST: 201 accepted, 200 duplicate, 400 rejected. */
  status: 201 | 200 | 400;
  /** The per-record status, as in a batch answer. */
  outcome: Outcome;
  /** Fraud rules the answer must carry (velocity may also appear elsewhere: see verify.ts). */
  fraudRules: FraudRule[];
  /** For a rejected record: what is wrong, and the field the service must name. */
  invalid?: { kind: InvalidKind; field: string };
}

export interface GeneratedRecord {
  type: RecordType;
  id: string;
  body: Record<string, unknown>;
  expect: Expectation;
}

/** A record the service acknowledged, with the fraud rules it answered (a re-send must get the same). */
export interface StoredRecord {
  type: RecordType;
  id: string;
  body: Record<string, unknown>;
  fraudRules: FraudRule[];
}

export interface GeneratorContext {
  /** Unique per test run, so a second run never reuses an id. Id characters only: A-Z a-z 0-9 . _ : - */
  runId: string;
  /** Unique per VU within the run (k6: exec.vu.idInTest). */
  vu: number;
  random?: Random;
  /** Epoch milliseconds; records are stamped close to it. */
  now?: () => number;
}

export interface RecordGenerator {
  /** The next record of one type: fresh, invalid, part of a burst, or a re-send. */
  next(type: RecordType): GeneratedRecord;
  /** `size` consecutive records of one type, for a batch request. */
  batch(type: RecordType, size: number): GeneratedRecord[];
  /** Tells the generator the service stored `record`; only stored records are re-sent or read back. */
  acknowledged(record: GeneratedRecord, fraudRules: readonly string[]): void;
  /** A stored record of that type to read back, if any. */
  storedRecord(type: RecordType): StoredRecord | undefined;
}

/** The ingestor's default fraud thresholds (README, "Fraud rules"); the load test assumes them. */
export const FRAUD_THRESHOLDS = {
  highAmount: 10_000,
  highClaimAmount: 50_000,
  lateReportDays: 90,
  velocityMaxRecords: 5,
  velocityWindowSeconds: 60,
} as const;

/** Shares of the generated records (each a probability per record). */
export const MIX = {
  invalid: 0.02,
  duplicate: 0.03,
  /** Transactions over FRAUD_THRESHOLDS.highAmount, claims over highClaimAmount. */
  fraudAmount: 0.01,
  /** Claims reported more than lateReportDays after the incident. */
  lateReport: 0.01,
  /** A new burst (6 to 9 records of one new customer within a minute) starts at this rate. */
  burstStart: 0.005,
} as const;

export const INVALID_KINDS: Record<RecordType, readonly InvalidKind[]> = {
  transaction: ['negative_amount', 'bad_currency', 'missing_field', 'unknown_region', 'string_amount'],
  claim: ['negative_amount', 'missing_field', 'unknown_region', 'incident_after_timestamp', 'string_amount'],
};

const AMOUNT_FIELD: Record<RecordType, string> = { transaction: 'amount', claim: 'claim_amount' };
/** Required fields a "missing field" record may lack (never the id, so rejections stay traceable). */
const DROPPABLE_FIELDS: Record<RecordType, readonly string[]> = {
  transaction: ['timestamp', 'account_id', 'customer_id', 'amount', 'currency', 'transaction_type', 'region'],
  claim: ['timestamp', 'policy_number', 'claim_amount', 'claim_type', 'claim_status', 'customer_id', 'incident_date', 'region'],
};

type Region = 'na' | 'eu' | 'apac' | 'latam' | 'mea';
const REGIONS: Weighted<Region> = [['na', 35], ['eu', 30], ['apac', 20], ['latam', 10], ['mea', 5]];
/** Currencies follow the customer's region, which makes the overall mix USD > EUR > ... > CHF. */
const CURRENCIES: Record<Region, Weighted<string>> = {
  na: [['USD', 88], ['CAD', 12]],
  eu: [['EUR', 75], ['GBP', 18], ['CHF', 7]],
  apac: [['JPY', 40], ['INR', 35], ['AUD', 25]],
  latam: [['BRL', 70], ['USD', 30]],
  mea: [['USD', 60], ['EUR', 40]],
};
const ZERO_DECIMAL_CURRENCIES = new Set(['JPY']);

type TransactionType = 'purchase' | 'debit' | 'credit' | 'transfer' | 'withdrawal' | 'refund';
const TRANSACTION_TYPES: Weighted<TransactionType> = [
  ['purchase', 55], ['debit', 10], ['credit', 8], ['transfer', 12], ['withdrawal', 10], ['refund', 5],
];
/**
 * Median amount per type. Amounts are drawn on the same scale in every currency on purpose: the
 * service's high_amount threshold is in the currency's units, and the fraud-like share must stay 1%.
 */
const TRANSACTION_MEDIANS: Record<TransactionType, number> = {
  purchase: 45, debit: 60, credit: 250, transfer: 400, withdrawal: 120, refund: 40,
};
const CHANNELS: Weighted<string> = [['web', 35], ['mobile', 40], ['pos', 25]];
const CATEGORIES = ['groceries', 'electronics', 'travel', 'restaurants', 'fuel', 'utilities', 'health', 'entertainment'];

type ClaimType = 'auto' | 'home' | 'health' | 'life' | 'travel';
const CLAIM_TYPES: Weighted<ClaimType> = [['auto', 35], ['home', 25], ['health', 25], ['travel', 10], ['life', 5]];
const CLAIM_MEDIANS: Record<ClaimType, number> = { auto: 2_500, home: 6_000, health: 1_200, life: 15_000, travel: 700 };
const CLAIM_STATUSES: Weighted<string> = [['submitted', 60], ['under_review', 25], ['approved', 10], ['rejected', 5]];

const BAD_CURRENCIES = ['usd', 'EURO', 'US$', 'XYZ']; // XYZ has the right shape but is no ISO 4217 code
const UNKNOWN_REGIONS = ['emea', 'antarctica', 'EU', 'north-america'];

/** Regular customers: a pool large enough that one rarely sends 6 records within a minute by chance. */
const REGULAR_CUSTOMERS = 1_000_000;
/** Regular records are stamped up to this long before "now" (clients send with some delay). */
const MAX_RECORD_AGE_MS = 120_000;
const DAY_MS = 86_400_000;
/**
 * Stored records kept per type (per VU) for re-sends and read-backs: recent ones, as real retries
 * are, and few, because each costs a k6 VU about 5 KB (1,000 per type took ~9 MB per VU).
 */
const STORED_POOL_SIZE = 100;

interface Customer {
  id: string;
  /** Unique part of the customer's ids (accounts, policies). */
  key: string;
  region: Region;
}

interface Burst {
  customer: Customer;
  /** Ascending timestamps, all within one velocity window. */
  timestamps: number[];
  sent: number;
}

export function createRecordGenerator(context: GeneratorContext): RecordGenerator {
  const random = context.random ?? Math.random;
  const now = context.now ?? Date.now;
  const stored: Record<RecordType, StoredRecord[]> = { transaction: [], claim: [] };
  const bursts: Record<RecordType, Burst | undefined> = { transaction: undefined, claim: undefined };
  let sequence = 0;
  let burstCount = 0;

  // Run id + VU id + a counter of this VU: unique across runs, VUs and iterations.
  const nextId = (type: RecordType) =>
    `${type === 'transaction' ? 'tx' : 'cl'}-${context.runId}-${context.vu}-${(++sequence).toString(36)}`;

  function regularCustomer(): Customer {
    const n = intBetween(random, 1, REGULAR_CUSTOMERS);
    // A customer keeps one region: derive it from the number (golden-ratio hash), not a new draw.
    return { id: `cust-${n}`, key: String(n), region: pickAt(REGIONS, (n * 0.6180339887498949) % 1) };
  }

  function startBurst(type: RecordType): Burst {
    const key = `${context.runId}-${context.vu}-b${++burstCount}`;
    const size = intBetween(random, FRAUD_THRESHOLDS.velocityMaxRecords + 1, FRAUD_THRESHOLDS.velocityMaxRecords + 4);
    // At most 9 gaps of up to 5 s: the whole burst fits in one 60 s window, and ends in the past.
    const timestamps = [now() - intBetween(random, 0, 5_000)];
    while (timestamps.length < size) timestamps.unshift(timestamps[0] - intBetween(random, 1_000, 5_000));
    const burst = { customer: { id: `cust-${key}`, key, region: pickWeighted(random, REGIONS) }, timestamps, sent: 0 };
    bursts[type] = burst;
    return burst;
  }

  function money(amount: number, currency: string): number {
    return ZERO_DECIMAL_CURRENCIES.has(currency)
      ? Math.max(1, Math.round(amount))
      : Math.max(0.01, Math.round(amount * 100) / 100);
  }

  /** Just over a threshold, in round units, with a long tail. */
  const overThreshold = (threshold: number) =>
    threshold + 1 + Math.round(threshold * (Math.exp(0.8 * Math.abs(standardNormal(random))) - 1));

  function transactionBody(id: string, customer: Customer, timestampMs: number): Record<string, unknown> {
    const transactionType = pickWeighted(random, TRANSACTION_TYPES);
    const currency = pickWeighted(random, CURRENCIES[customer.region]);
    const regular = Math.min(logNormal(random, TRANSACTION_MEDIANS[transactionType], 1), FRAUD_THRESHOLDS.highAmount * 0.95);
    const body: Record<string, unknown> = {
      transaction_id: id,
      timestamp: new Date(timestampMs).toISOString(),
      account_id: `acc-${customer.key}-${intBetween(random, 1, 2)}`,
      customer_id: customer.id,
      amount: chance(random, MIX.fraudAmount) ? overThreshold(FRAUD_THRESHOLDS.highAmount) : money(regular, currency),
      currency,
      transaction_type: transactionType,
      region: customer.region,
    };
    if (transactionType === 'purchase' || transactionType === 'refund') {
      body.merchant_id = `m-${intBetween(random, 1, 5_000)}`;
      body.category = pickOne(random, CATEGORIES);
    }
    body.channel = transactionType === 'withdrawal' ? 'atm' : pickWeighted(random, CHANNELS);
    return body;
  }

  function claimBody(id: string, customer: Customer, timestampMs: number): Record<string, unknown> {
    const claimType = pickWeighted(random, CLAIM_TYPES);
    const regular = Math.min(logNormal(random, CLAIM_MEDIANS[claimType], 0.9), FRAUD_THRESHOLDS.highClaimAmount * 0.95);
    const delayDays = chance(random, MIX.lateReport)
      ? intBetween(random, FRAUD_THRESHOLDS.lateReportDays + 2, 400)
      : Math.min(Math.floor(logNormal(random, 4, 1)), FRAUD_THRESHOLDS.lateReportDays - 10);
    return {
      claim_id: id,
      timestamp: new Date(timestampMs).toISOString(),
      policy_number: `POL-${customer.key}-${claimType.toUpperCase()}`,
      claim_amount: chance(random, MIX.fraudAmount) ? overThreshold(FRAUD_THRESHOLDS.highClaimAmount) : money(regular, 'USD'),
      claim_type: claimType,
      claim_status: pickWeighted(random, CLAIM_STATUSES),
      customer_id: customer.id,
      incident_date: dateDaysBefore(timestampMs, delayDays),
      region: customer.region,
    };
  }

  function validRecord(type: RecordType, customer: Customer, timestampMs: number, burstPosition = 0): GeneratedRecord {
    const id = nextId(type);
    const body = type === 'transaction' ? transactionBody(id, customer, timestampMs) : claimBody(id, customer, timestampMs);
    return { type, id, body, expect: { status: 201, outcome: 'accepted', fraudRules: expectedFraudRules(type, body, burstPosition) } };
  }

  function invalidRecord(type: RecordType): GeneratedRecord {
    const timestampMs = now() - random() * MAX_RECORD_AGE_MS;
    const { id, body } = validRecord(type, regularCustomer(), timestampMs);
    const kind = pickOne(random, INVALID_KINDS[type]);
    const amountField = AMOUNT_FIELD[type];
    let field = `/${amountField}`;
    switch (kind) {
      case 'negative_amount':
        body[amountField] = -(body[amountField] as number);
        break;
      case 'string_amount':
        body[amountField] = String(body[amountField]); // "123.45": the service takes JSON numbers only
        break;
      case 'bad_currency':
        body.currency = pickOne(random, BAD_CURRENCIES);
        field = '/currency';
        break;
      case 'unknown_region':
        body.region = pickOne(random, UNKNOWN_REGIONS);
        field = '/region';
        break;
      case 'missing_field': {
        const missing = pickOne(random, DROPPABLE_FIELDS[type]);
        delete body[missing];
        field = `/${missing}`;
        break;
      }
      case 'incident_after_timestamp':
        body.incident_date = dateDaysBefore(timestampMs, -intBetween(random, 1, 10));
        field = '/incident_date';
        break;
    }
    return { type, id, body, expect: { status: 400, outcome: 'rejected', fraudRules: [], invalid: { kind, field } } };
  }

  function next(type: RecordType): GeneratedRecord {
    // One draw decides the kind, so each share is exactly its probability.
    const draw = random();
    if (draw < MIX.invalid) return invalidRecord(type);

    const burst = bursts[type];
    if (burst) {
      burst.sent++;
      if (burst.sent === burst.timestamps.length) bursts[type] = undefined;
      return validRecord(type, burst.customer, burst.timestamps[burst.sent - 1], burst.sent);
    }

    if (draw < MIX.invalid + MIX.duplicate) {
      // A re-send of a stored record; until something is stored, a regular record instead.
      const original = storedRecord(type);
      if (!original) return regularRecord(type);
      return { type, id: original.id, body: original.body, expect: { status: 200, outcome: 'duplicate', fraudRules: original.fraudRules } };
    }

    if (draw < MIX.invalid + MIX.duplicate + MIX.burstStart) {
      const started = startBurst(type);
      started.sent = 1;
      return validRecord(type, started.customer, started.timestamps[0], 1);
    }

    return regularRecord(type);
  }

  const regularRecord = (type: RecordType) => validRecord(type, regularCustomer(), now() - random() * MAX_RECORD_AGE_MS);

  function storedRecord(type: RecordType): StoredRecord | undefined {
    const pool = stored[type];
    return pool.length > 0 ? pickOne(random, pool) : undefined;
  }

  function acknowledged(record: GeneratedRecord, fraudRules: readonly string[]): void {
    if (record.expect.outcome !== 'accepted') return; // re-sends are in the pool already
    const entry: StoredRecord = { type: record.type, id: record.id, body: record.body, fraudRules: fraudRules.filter(isFraudRule) };
    const pool = stored[record.type];
    // Bounded: past the size, a new record replaces a random one, so old and new both get re-sent.
    if (pool.length < STORED_POOL_SIZE) pool.push(entry);
    else pool[intBetween(random, 0, STORED_POOL_SIZE - 1)] = entry;
  }

  return {
    next,
    batch: (type, size) => Array.from({ length: size }, () => next(type)),
    acknowledged,
    storedRecord,
  };
}

/** The rules the service's fraud scoring gives a fresh record (README, "Fraud rules"). */
export function expectedFraudRules(type: RecordType, body: Record<string, unknown>, burstPosition: number): FraudRule[] {
  const rules: FraudRule[] = [];
  if (type === 'transaction') {
    if ((body.amount as number) > FRAUD_THRESHOLDS.highAmount) rules.push('high_amount');
  } else {
    if ((body.claim_amount as number) > FRAUD_THRESHOLDS.highClaimAmount) rules.push('high_claim');
    if (reportDelayDays(body.timestamp as string, body.incident_date as string) > FRAUD_THRESHOLDS.lateReportDays) {
      rules.push('late_report');
    }
  }
  // The burst's n-th record is the customer's n-th within the window.
  if (burstPosition > FRAUD_THRESHOLDS.velocityMaxRecords) rules.push('velocity');
  return rules;
}

/** Whole days from the incident to the claim's date, on the dates as written (as the service counts). */
const reportDelayDays = (timestamp: string, incidentDate: string) =>
  Math.round((Date.parse(timestamp.slice(0, 10)) - Date.parse(incidentDate)) / DAY_MS);

/** The UTC calendar date `days` before the date of `timestampMs` (negative: after). */
function dateDaysBefore(timestampMs: number, days: number): string {
  const date = new Date(timestampMs);
  const midnight = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  return new Date(midnight - days * DAY_MS).toISOString().slice(0, 10);
}

const FRAUD_RULE_NAMES: readonly string[] = ['high_amount', 'velocity', 'high_claim', 'late_report'];
const isFraudRule = (rule: string): rule is FraudRule => FRAUD_RULE_NAMES.includes(rule);

