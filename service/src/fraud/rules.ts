// The fraud rules: deterministic functions of a record and what the velocity window has seen.
// Thresholds come from config (FRAUD_* variables); the rules are documented in the README.
import type { FraudThresholds } from '../config.ts';
import type { Claim, Transaction } from '../schemas/records.ts';
import type { FraudResult, FraudRule } from '../schemas/responses.ts';

const DAY_MS = 86_400_000;

export function scoreTransaction(t: Transaction, thresholds: FraudThresholds, recentRecords: number): FraudRule[] {
  const rules: FraudRule[] = [];
  if (t.amount > thresholds.highAmount) rules.push('high_amount');
  if (recentRecords > thresholds.velocityMaxRecords) rules.push('velocity');
  return rules;
}

/** Whole days from the incident to the claim, on the calendar dates as written. */
export function reportDelayDays(claim: Claim): number {
  return Math.round((Date.parse(claim.timestamp.slice(0, 10)) - Date.parse(claim.incident_date)) / DAY_MS);
}

export function scoreClaim(c: Claim, thresholds: FraudThresholds, recentRecords: number): FraudRule[] {
  const rules: FraudRule[] = [];
  if (c.claim_amount > thresholds.highClaimAmount) rules.push('high_claim');
  if (reportDelayDays(c) > thresholds.lateReportDays) rules.push('late_report');
  if (recentRecords > thresholds.velocityMaxRecords) rules.push('velocity');
  return rules;
}

export function fraudResult(rules: FraudRule[]): FraudResult {
  return { flagged: rules.length > 0, rules };
}
