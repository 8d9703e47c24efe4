// Does an answer of the ingestor match what the generator expected? Pure functions, shared by the
// k6 checks and the unit test. No k6 or Node imports.
import type { Expectation } from './data.ts';

/** One record's answer: a batch result item, or a single POST's body mapped to the same shape. */
export interface RecordAnswer {
  status?: unknown;
  fraud?: { rules?: unknown };
  errors?: unknown;
}

/**
 * Velocity depends on everything else the customer sent, so it may flag a record that did not
 * expect it (a regular customer who happened to send 6 records within a minute); every other rule
 * depends on the record alone and must match exactly, and an expected velocity must be there.
 */
export function fraudRulesMatch(expected: readonly string[], actual: readonly string[]): boolean {
  const withoutVelocity = (rules: readonly string[]) => rules.filter((r) => r !== 'velocity').sort().join(',');
  if (expected.includes('velocity') && !actual.includes('velocity')) return false;
  return withoutVelocity(expected) === withoutVelocity(actual);
}

export function answerMatches(expect: Expectation, answer: RecordAnswer): boolean {
  if (answer.status !== expect.outcome) return false;
  if (expect.outcome === 'rejected') {
    // The service names every failing field; the one the generator broke must be among them.
    const errors = Array.isArray(answer.errors) ? (answer.errors as Array<{ field?: unknown }>) : [];
    return errors.some((e) => e.field === expect.invalid?.field);
  }
  const rules = answer.fraud?.rules;
  return Array.isArray(rules) && fraudRulesMatch(expect.fraudRules, rules as string[]);
}

/** A single POST's answer (status code and body) in the shape of a batch item. */
export function singleAnswer(httpStatus: number, body: unknown): RecordAnswer {
  const b = (body ?? {}) as Record<string, unknown>;
  if (httpStatus === 400) return { status: 'rejected', errors: b.errors };
  if (httpStatus === 200 || httpStatus === 201) return { status: b.status, fraud: b.fraud as RecordAnswer['fraud'] };
  return { status: `http ${httpStatus}` };
}

/** A read-back holds every field that was sent, unchanged, and the fraud rules first answered. */
export function storedMatches(sent: Record<string, unknown>, fraudRules: readonly string[], stored: unknown): boolean {
  if (typeof stored !== 'object' || stored === null) return false;
  const got = stored as Record<string, unknown>;
  for (const [field, value] of Object.entries(sent)) if (got[field] !== value) return false;
  const rules = (got.fraud as { rules?: unknown } | undefined)?.rules;
  return Array.isArray(rules) && [...rules].sort().join(',') === [...fraudRules].sort().join(',');
}
