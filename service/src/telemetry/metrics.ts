// The service's instruments, created from the catalog, behind methods that take records and
// outcomes, so call sites cannot pass an id or an unbounded value as an attribute.
import { metrics, type Histogram, type Meter } from '@opentelemetry/api';
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
import { TallyCounter } from './tally.ts';
import { tallyHistogram, type HistogramCell, type TallyHistogram } from './tally-histogram.ts';

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

export function createHistogram(meter: Meter, def: CatalogEntry): Histogram {
  return meter.createHistogram(def.name, {
    unit: def.unit,
    description: def.description,
    advice: def.buckets ? { explicitBucketBoundaries: [...def.buckets] } : undefined,
  });
}

export class IngestMetrics {
  // Counted once per record: tallied in the process, reported at collection (tally.ts).
  private readonly transactions: TallyCounter;
  private readonly claims: TallyCounter;
  private readonly flagged: TallyCounter;
  private readonly rejected: TallyCounter;
  private readonly batchSize: Histogram;
  private readonly commitDuration: Histogram;
  private readonly commitRecords: Histogram;
  // Recorded once per accepted transaction: tallied too (tally-histogram.ts), one cell per currency.
  private readonly amount: TallyHistogram;
  private readonly amountByCurrency = new Map<string, HistogramCell>();

  constructor(storeCounts: () => Record<RecordType, number>, meter: Meter = metrics.getMeter(METER_NAME)) {
    this.transactions = new TallyCounter(meter, catalog.transactionsIngested, ['transaction.type', 'currency', 'region', 'outcome']);
    this.claims = new TallyCounter(meter, catalog.claimsIngested, ['claim.type', 'claim.status', 'region', 'outcome']);
    this.flagged = new TallyCounter(meter, catalog.fraudFlagged, ['rule', 'region', 'record.type']);
    this.rejected = new TallyCounter(meter, catalog.recordsRejected, ['record.type', 'reason']);
    this.batchSize = createHistogram(meter, catalog.batchSize);
    this.commitDuration = createHistogram(meter, catalog.storeCommitDuration);
    this.commitRecords = createHistogram(meter, catalog.storeCommitRecords);
    this.amount = tallyHistogram(catalog.transactionAmount);
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
      const currency = bounded(r.currency, knownCurrencies);
      this.transactions.add(1, bounded(r.transaction_type, sets.transactionTypes), currency, region, outcome);
      if (outcome === 'accepted') this.amountCell(currency).record((r as Transaction).amount);
    } else {
      this.claims.add(
        1,
        bounded((r as Partial<Claim>).claim_type, sets.claimTypes),
        bounded((r as Partial<Claim>).claim_status, sets.claimStatuses),
        region,
        outcome,
      );
    }
  }

  private amountCell(currency: string): HistogramCell {
    let cell = this.amountByCurrency.get(currency);
    if (!cell) this.amountByCurrency.set(currency, (cell = this.amount.cell({ currency })));
    return cell;
  }

  rejectedRecord(type: RecordType, reason: RejectReason): void {
    this.rejected.add(1, type, reason);
  }

  fraudFlagged(type: RecordType, region: string, rules: readonly FraudRule[]): void {
    for (const rule of rules) this.flagged.add(1, rule, bounded(region, sets.regions), type);
  }

  batch(type: RecordType, size: number): void {
    this.batchSize.record(size, { 'record.type': type });
  }

  commit(durationSeconds: number, records: number, failed: boolean): void {
    this.commitDuration.record(durationSeconds, { outcome: failed ? 'failure' : 'success' });
    this.commitRecords.record(records);
  }
}
