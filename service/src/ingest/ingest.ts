// The ingest pipeline, the same for one record or a batch: validate, settle idempotency, score
// fraud, commit durably, and only then count and report. Validation, scoring and enqueueing run
// synchronously in one turn of the event loop, so two requests with the same id cannot both pass
// the idempotency check.
import { trace, type Span } from '@opentelemetry/api';
import type { FastifyBaseLogger } from 'fastify';
import type { FraudThresholds } from '../config.ts';
import type { VelocityWindow } from '../fraud/velocity.ts';
import { fraudResult, scoreClaim, scoreTransaction } from '../fraud/rules.ts';
import { HttpProblem } from '../problem.ts';
import type { Claim, Transaction } from '../schemas/records.ts';
import type { FieldError, FraudResult, FraudRule } from '../schemas/responses.ts';
import type { RecordStore, StoredRecord } from '../store/store.ts';
import type { IngestMetrics } from '../telemetry/metrics.ts';
import { inSpan, inSpanSync, markFailed, recordNotable } from '../telemetry/tracing.ts';
import { canonicalJson, type RecordKind } from './kinds.ts';
import { createValidator, type RejectReason, type Validation } from './validate.ts';

export type ItemResult =
  | { status: 'accepted' | 'duplicate'; id: string; fraud: FraudResult }
  | { status: 'conflict'; id: string }
  | { status: 'rejected'; id?: string; errors: FieldError[]; reason: RejectReason };

export interface IngestorDeps {
  store: RecordStore;
  metrics: IngestMetrics;
  velocity: VelocityWindow;
  fraud: FraudThresholds;
  /** Above this many records waiting for a commit, new records are refused with 503. */
  maxPendingRecords: number;
  retryAfterSeconds: number;
}

type AnyKind = RecordKind<any>;

export function storedFraud(record: StoredRecord): FraudResult {
  return fraudResult(record.fraudRules);
}

export class Ingestor {
  private readonly deps: IngestorDeps;
  private readonly validators = new Map<AnyKind, (input: unknown) => Validation<any>>();

  constructor(deps: IngestorDeps) {
    this.deps = deps;
  }

  async ingestOne(kind: AnyKind, input: unknown, log: FastifyBaseLogger): Promise<ItemResult> {
    const [result] = await this.ingest(kind, [input], log, false);
    return result;
  }

  async ingestBatch(kind: AnyKind, inputs: unknown[], log: FastifyBaseLogger): Promise<ItemResult[]> {
    this.deps.metrics.batch(kind.type, inputs.length);
    return this.ingest(kind, inputs, log, true);
  }

  /** A record refused for its content: counted, logged without its values, and kept in traces. */
  reject(kind: AnyKind, input: unknown, reason: RejectReason, errors: FieldError[], log: FastifyBaseLogger): ItemResult {
    const id = idOf(kind, input);
    this.deps.metrics.ingested(kind.type, input, 'rejected');
    this.deps.metrics.rejectedRecord(kind.type, reason);
    recordNotable(
      'ingest.rejected',
      { 'app.record.type': kind.type, 'app.record.id': id ?? '', 'app.reject.reason': reason },
      () => log.info({ record_type: kind.type, record_id: id, reason, fields: errors.map((e) => e.field) }, 'record rejected'),
    );
    return { status: 'rejected', id, errors, reason };
  }

  private validator(kind: AnyKind) {
    let validate = this.validators.get(kind);
    if (!validate) {
      validate = createValidator(kind);
      this.validators.set(kind, validate);
    }
    return validate;
  }

  private async ingest(kind: AnyKind, inputs: unknown[], log: FastifyBaseLogger, batch: boolean): Promise<ItemResult[]> {
    const { store, metrics } = this.deps;
    const results: ItemResult[] = new Array(inputs.length);
    const server = trace.getActiveSpan();
    server?.setAttribute('app.record.type', kind.type);
    if (batch) server?.setAttribute('app.batch.size', inputs.length);

    const valid = inSpanSync('validate', { 'app.record.type': kind.type, 'app.records': inputs.length }, (span) => {
      const accepted: Array<{ index: number; record: any; timestampMs: number }> = [];
      let rejected = 0;
      inputs.forEach((input, index) => {
        const outcome = this.validator(kind)(input);
        if (outcome.ok) {
          accepted.push({ index, record: outcome.record, timestampMs: outcome.timestampMs });
          return;
        }
        rejected++;
        results[index] = this.reject(kind, input, outcome.reason, outcome.errors, log);
      });
      if (rejected > 0) {
        markFailed(span, new ValidationError(batch ? `${rejected} of ${inputs.length} records are invalid`
          : `invalid ${kind.type}: ${(results[0] as { errors: FieldError[] }).errors.map((e) => e.field).join(', ')}`));
      }
      return accepted;
    });
    if (!batch && valid.length === 1 && server) describeRecord(server, kind, valid[0].record);
    if (valid.length === 0) return results;

    // Idempotency and scoring, then enqueue, without yielding in between (see top of file).
    const fresh = inSpanSync('fraud.score', { 'app.record.type': kind.type }, (span) => {
      const existingById = store.findMany(kind.type, valid.map(({ record }) => kind.id(record)));
      const seen = new Map<string, string>(); // ids of this batch: the first occurrence wins
      const toStore: Array<{ index: number; stored: StoredRecord; record: any }> = [];
      const receivedAt = new Date().toISOString(); // one request, one arrival time
      let flagged = 0;
      for (const { index, record, timestampMs } of valid) {
        const id = kind.id(record);
        const payload = canonicalJson(kind, record);
        const existing = existingById.get(id);
        const earlier = existing?.payload ?? seen.get(id);
        if (earlier !== undefined) {
          if (earlier === payload) {
            metrics.ingested(kind.type, record, 'duplicate');
            results[index] = { status: 'duplicate', id, fraud: existing ? storedFraud(existing) : fraudResult(toStore.find((s) => s.stored.id === id)!.stored.fraudRules) };
          } else {
            results[index] = this.conflict(kind, record, id, log);
          }
          continue;
        }
        seen.set(id, payload);
        const rules = this.score(kind, record, timestampMs);
        if (rules.length) flagged++;
        toStore.push({
          index,
          record,
          stored: {
            type: kind.type,
            id,
            customerId: kind.customerId(record),
            timestampMs,
            payload,
            fraudRules: rules,
            receivedAt,
          },
        });
      }
      span.setAttribute('app.fraud.flagged', flagged);
      return toStore;
    });
    if (fresh.length === 0) return results;

    if (store.pending + fresh.length > this.deps.maxPendingRecords) {
      // Nothing was enqueued yet: refusing now loses nothing that was acknowledged.
      throw new HttpProblem(503, 'overloaded', 'Too many records are waiting to be stored; retry later', {
        headers: { 'retry-after': String(this.deps.retryAfterSeconds) },
      });
    }
    const committed = store.add(fresh.map(({ stored }) => stored));
    await inSpan('store.commit', { 'app.record.type': kind.type, 'app.records': fresh.length }, () => committed);

    // Committed: now it counts.
    for (const { index, stored, record } of fresh) {
      metrics.ingested(kind.type, record, 'accepted');
      const fraud = fraudResult(stored.fraudRules);
      if (fraud.flagged) this.reportFlagged(kind, record, stored, log);
      results[index] = { status: 'accepted', id: stored.id, fraud };
    }
    return results;
  }

  private score(kind: AnyKind, record: any, timestampMs: number): FraudRule[] {
    const recent = this.deps.velocity.observe(kind.customerId(record), timestampMs);
    return kind.type === 'transaction'
      ? scoreTransaction(record as Transaction, this.deps.fraud, recent)
      : scoreClaim(record as Claim, this.deps.fraud, recent);
  }

  private conflict(kind: AnyKind, record: any, id: string, log: FastifyBaseLogger): ItemResult {
    this.deps.metrics.ingested(kind.type, record, 'rejected');
    this.deps.metrics.rejectedRecord(kind.type, 'conflict');
    recordNotable(
      'ingest.conflict',
      { 'app.record.type': kind.type, 'app.record.id': id },
      () => log.warn({ record_type: kind.type, record_id: id }, 'record id reused with a different payload'),
    );
    return { status: 'conflict', id };
  }

  private reportFlagged(kind: AnyKind, record: any, stored: StoredRecord, log: FastifyBaseLogger): void {
    this.deps.metrics.fraudFlagged(kind.type, record.region, stored.fraudRules);
    const attributes = {
      'app.record.type': kind.type,
      'app.record.id': stored.id,
      'app.customer.id': stored.customerId,
      'app.region': record.region,
      'app.amount': kind.amount(record),
      'app.fraud.rules': stored.fraudRules.join(','),
    };
    recordNotable('fraud.flagged', attributes, () =>
      log.warn(
        { record_type: kind.type, record_id: stored.id, customer_id: stored.customerId, rules: stored.fraudRules, region: record.region },
        'record flagged by fraud rules',
      ),
    );
  }
}

export class ValidationError extends Error {
  override name = 'ValidationError';
}

function idOf(kind: AnyKind, input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const id = (input as Record<string, unknown>)[kind.idField];
  return typeof id === 'string' && id.length <= 128 ? id : undefined;
}

/** The business attributes of a single-record request, on its server span (never on metrics). */
function describeRecord(span: Span, kind: AnyKind, record: any): void {
  if (!span.isRecording()) return;
  span.setAttributes({
    'app.record.id': kind.id(record),
    'app.customer.id': kind.customerId(record),
    'app.amount': kind.amount(record),
    'app.region': record.region,
    ...(record.currency ? { 'app.currency': record.currency } : {}),
  });
}
