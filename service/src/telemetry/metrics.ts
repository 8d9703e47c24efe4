// The service's instruments, created from the catalog, behind methods that take records and
// outcomes, so call sites cannot pass an id or an unbounded value as an attribute.
import { metrics, type Attributes, type Counter, type Histogram, type Meter } from '@opentelemetry/api';
import type { RecordType } from '../ingest/kinds.ts';
import type { RejectReason } from '../ingest/validate.ts';
import {
  CLAIM_STATUSES,
  CLAIM_TYPES,
  REGIONS,
  TRANSACTION_TYPES,
  type Claim,
  type Transaction,
} from '../schemas/records.ts';
import type { FraudRule } from '../schemas/responses.ts';
import { catalog, type CatalogEntry, type Outcome } from './catalog.ts';

export const METER_NAME = 'ingestor';

const INVALID = 'invalid';
const knownCurrencies = new Set(Intl.supportedValuesOf('currency'));

/** A value of a bounded set, or `invalid`: a rejected record must not add a label value of its own. */
function bounded(value: unknown, allowed: ReadonlySet<string>): string {
  return typeof value === 'string' && allowed.has(value) ? value : INVALID;
}

const sets = {
  regions: new Set<string>(REGIONS),
  transactionTypes: new Set<string>(TRANSACTION_TYPES),
  claimTypes: new Set<string>(CLAIM_TYPES),
  claimStatuses: new Set<string>(CLAIM_STATUSES),
};

export function createCounter(meter: Meter, def: CatalogEntry): Counter {
  return meter.createCounter(def.name, { unit: def.unit, description: def.description });
}

export function createHistogram(meter: Meter, def: CatalogEntry): Histogram {
  return meter.createHistogram(def.name, {
    unit: def.unit,
    description: def.description,
    advice: def.buckets ? { explicitBucketBoundaries: [...def.buckets] } : undefined,
  });
}

export class IngestMetrics {
  private readonly transactions: Counter;
  private readonly claims: Counter;
  private readonly flagged: Counter;
  private readonly rejected: Counter;
  private readonly batchSize: Histogram;
  private readonly commitDuration: Histogram;
  private readonly commitRecords: Histogram;
  private readonly amount: Histogram;

  constructor(storeCounts: () => Record<RecordType, number>, meter: Meter = metrics.getMeter(METER_NAME)) {
    this.transactions = createCounter(meter, catalog.transactionsIngested);
    this.claims = createCounter(meter, catalog.claimsIngested);
    this.flagged = createCounter(meter, catalog.fraudFlagged);
    this.rejected = createCounter(meter, catalog.recordsRejected);
    this.batchSize = createHistogram(meter, catalog.batchSize);
    this.commitDuration = createHistogram(meter, catalog.storeCommitDuration);
    this.commitRecords = createHistogram(meter, catalog.storeCommitRecords);
    this.amount = createHistogram(meter, catalog.transactionAmount);
    const def = catalog.storeRecords;
    meter
      .createObservableGauge(def.name, { unit: def.unit, description: def.description })
      .addCallback((result) => {
        for (const [type, count] of Object.entries(storeCounts())) result.observe(count, { 'record.type': type });
      });
  }

  /** One record received; `record` may be invalid input when the outcome is `rejected`. */
  ingested(type: RecordType, record: unknown, outcome: Outcome): void {
    const r = (typeof record === 'object' && record !== null ? record : {}) as Record<string, unknown>;
    const region = bounded(r.region, sets.regions);
    if (type === 'transaction') {
      const attributes: Attributes = {
        'transaction.type': bounded(r.transaction_type, sets.transactionTypes),
        currency: bounded(r.currency, knownCurrencies),
        region,
        outcome,
      };
      this.transactions.add(1, attributes);
      if (outcome === 'accepted') this.amount.record((r as Transaction).amount, { currency: attributes.currency });
    } else {
      this.claims.add(1, {
        'claim.type': bounded((r as Partial<Claim>).claim_type, sets.claimTypes),
        'claim.status': bounded((r as Partial<Claim>).claim_status, sets.claimStatuses),
        region,
        outcome,
      });
    }
  }

  rejectedRecord(type: RecordType, reason: RejectReason): void {
    this.rejected.add(1, { 'record.type': type, reason });
  }

  fraudFlagged(type: RecordType, region: string, rules: readonly FraudRule[]): void {
    for (const rule of rules) this.flagged.add(1, { rule, region: bounded(region, sets.regions), 'record.type': type });
  }

  batch(type: RecordType, size: number): void {
    this.batchSize.record(size, { 'record.type': type });
  }

  commit(durationSeconds: number, records: number, failed: boolean): void {
    this.commitDuration.record(durationSeconds, { outcome: failed ? 'failure' : 'success' });
    this.commitRecords.record(records);
  }
}
