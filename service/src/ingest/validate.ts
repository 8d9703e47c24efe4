// Record validation: the TypeBox schema (compiled once with Ajv) plus the checks a schema cannot
// express. Errors name each failing field, and a bounded `reason` feeds the rejection metrics.
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FieldError } from '../schemas/responses.ts';
import type { RecordKind } from './kinds.ts';
import { dateTimeMs, isDateTime } from './timestamp.ts';

export const REJECT_REASONS = [
  'malformed_body',
  'missing_field',
  'unknown_field',
  'invalid_field',
  'unknown_currency',
  'incident_after_timestamp',
  'conflict',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type Validation<R> =
  | { ok: true; record: R; /** The record's `timestamp` in epoch milliseconds, parsed once here. */ timestampMs: number }
  | { ok: false; errors: FieldError[]; reason: RejectReason };

// ajv-formats ships CommonJS with a default export that Node exposes as `.default`.
const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/**
 * Strict on purpose: no type coercion ("100" is not a number), every error reported. `date-time`
 * is checked by timestamp.ts: ajv-formats' check without its allocations (and without the hours
 * past 23 that it let through).
 */
export function createAjv(): Ajv {
  return addFormats(new Ajv({ allErrors: true, coerceTypes: false, useDefaults: false, strict: false }))
    .addFormat('date-time', isDateTime);
}

const ajv = createAjv();
const knownCurrencies = new Set(Intl.supportedValuesOf('currency'));

function fieldOf(error: ErrorObject): string {
  if (error.keyword === 'required') return `${error.instancePath}/${error.params.missingProperty}`;
  if (error.keyword === 'additionalProperties') return `${error.instancePath}/${error.params.additionalProperty}`;
  return error.instancePath || '/';
}

function messageOf(error: ErrorObject): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  if (error.keyword === 'enum') return `must be one of: ${(error.params.allowedValues as string[]).join(', ')}`;
  return error.message ?? 'is invalid';
}

function reasonOf(error: ErrorObject): RejectReason {
  if (error.keyword === 'required') return 'missing_field';
  if (error.keyword === 'additionalProperties') return 'unknown_field';
  return 'invalid_field';
}

/** Ajv errors to one error per field (the first), in the order Ajv found them. */
export function toFieldErrors(errors: ErrorObject[]): { errors: FieldError[]; reason: RejectReason } {
  const byField = new Map<string, FieldError>();
  for (const error of errors) {
    const field = fieldOf(error);
    if (!byField.has(field)) byField.set(field, { field, message: messageOf(error) });
  }
  return { errors: [...byField.values()], reason: reasonOf(errors[0]) };
}

export function createValidator<R extends object>(kind: RecordKind<R>): (input: unknown) => Validation<R> {
  const check = ajv.compile(kind.schema);
  return (input) => {
    if (!check(input)) {
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        return { ok: false, errors: [{ field: '/', message: `must be a ${kind.type} object` }], reason: 'malformed_body' };
      }
      return { ok: false, ...toFieldErrors(check.errors ?? []) };
    }
    const record = input as R & Record<string, unknown>;
    if (typeof record.currency === 'string' && !knownCurrencies.has(record.currency)) {
      return {
        ok: false,
        errors: [{ field: '/currency', message: 'is not an ISO 4217 currency code' }],
        reason: 'unknown_currency',
      };
    }
    // RFC 3339 (and so the date-time format) allows second 60; an epoch-millisecond instant cannot
    // hold it (NaN), and the velocity rule and the store need the instant.
    const timestampMs = dateTimeMs(record.timestamp as string);
    if (Number.isNaN(timestampMs)) {
      return {
        ok: false,
        errors: [{ field: '/timestamp', message: 'is not a representable instant (a leap second?)' }],
        reason: 'invalid_field',
      };
    }
    // A claim's incident must not come after its claim; compared on the calendar date the
    // claimant gave, that is the date part of the timestamp as written, before its offset.
    if (typeof record.incident_date === 'string' && typeof record.timestamp === 'string' &&
        record.incident_date > record.timestamp.slice(0, 10)) {
      return {
        ok: false,
        errors: [{ field: '/incident_date', message: 'must not be after the timestamp' }],
        reason: 'incident_after_timestamp',
      };
    }
    return { ok: true, record, timestampMs };
  };
}
