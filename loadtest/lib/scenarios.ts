// The five load profiles: each is one k6 scenario plus the thresholds it must meet. Chosen by
// SCENARIO; defined as `options.scenarios`, so the --vus/K6_VUS shortcut has no effect on them
// (and ingest.ts refuses to run if --duration/--iterations/--stages replaced them).
import type { Scenario, Threshold } from 'k6/options';
import type { ScenarioName, Settings } from './settings.ts';

export interface Profile {
  scenario: Scenario;
  thresholds: Record<string, Threshold[]>;
  /** Pause after each iteration; only the closed-model smoke test needs one. */
  pauseSeconds: number;
}

interface Limits {
  /** Share of requests answered with a status other than the one expected. */
  maxFailureRate: number;
  /** Share of checks, and of records, answered as expected. */
  minPassRate: number;
  /** p99 latency, in ms, of requests answered as expected, per kind of request. */
  p99Ms: { single: number; batch: number; read: number };
  /** Stop a long run early once it is clearly broken. */
  abortAboveFailureRate?: number;
}

/** Steady load: the service's objectives. */
const STEADY: Limits = {
  maxFailureRate: 0.01,
  minPassRate: 0.99,
  p99Ms: { single: 500, batch: 2_000, read: 500 },
  abortAboveFailureRate: 0.2,
};

/** Past capacity: 503 with Retry-After is the designed answer, so the test asks for graceful
 * degradation (bounded failures and latency), not for the steady objectives. */
const OVERLOAD: Limits = {
  maxFailureRate: 0.05,
  minPassRate: 0.95,
  p99Ms: { single: 2_000, batch: 5_000, read: 2_000 },
  abortAboveFailureRate: 0.3,
};

export function profileFor(settings: Settings): Profile {
  const rate = settings.targetRate;
  const hold = settings.holdDuration;
  const profiles: Record<ScenarioName, () => Profile> = {
    // Does it work at all: one VU, briefly, paced; tight latency since nothing competes.
    smoke: () => ({
      scenario: { executor: 'constant-vus', vus: 1, duration: '30s' },
      thresholds: thresholdsFor({ maxFailureRate: 0.01, minPassRate: 0.99, p99Ms: { single: 250, batch: 1_000, read: 250 } }),
      pauseSeconds: 0.05,
    }),
    // Normal load: ramp to TARGET_RATE, hold, ramp down. An open model: arrivals do not wait for
    // answers, so a slow service shows as latency and dropped iterations, not as a lower rate.
    load: () => ({
      scenario: arrivals(rate, [
        { duration: '30s', target: rate },
        { duration: hold ?? '3m', target: rate },
        { duration: '15s', target: 0 },
      ]),
      thresholds: thresholdsFor(STEADY),
      pauseSeconds: 0,
    }),
    // Past capacity, step by step (1x to 4x TARGET_RATE), to see where and how it degrades.
    stress: () => ({
      scenario: arrivals(rate * 4, [1, 2, 3, 4].flatMap((factor) => [
        { duration: '20s', target: rate * factor },
        { duration: hold ?? '1m', target: rate * factor },
      ]).concat({ duration: '15s', target: 0 })),
      thresholds: thresholdsFor(OVERLOAD),
      pauseSeconds: 0,
    }),
    // A sudden 20x jump from a quarter of the target rate, then recovery at the baseline.
    spike: () => ({
      scenario: arrivals(rate * 5, [
        { duration: '30s', target: Math.ceil(rate / 4) },
        { duration: '10s', target: rate * 5 },
        { duration: '1m', target: rate * 5 },
        { duration: '10s', target: Math.ceil(rate / 4) },
        { duration: '1m', target: Math.ceil(rate / 4) },
        { duration: '10s', target: 0 },
      ], Math.ceil(rate / 4)),
      thresholds: thresholdsFor(OVERLOAD),
      pauseSeconds: 0,
    }),
    // Normal rate for a long time (default 1 h): leaks, growing latency, store growth.
    soak: () => ({
      scenario: {
        executor: 'constant-arrival-rate',
        rate,
        timeUnit: '1s',
        duration: hold ?? '1h',
        ...vusFor(rate),
      },
      thresholds: thresholdsFor(STEADY),
      pauseSeconds: 0,
    }),
  };
  return profiles[settings.scenario]();
}

function arrivals(peakRate: number, stages: Array<{ duration: string; target: number }>, startRate = 0): Scenario {
  return { executor: 'ramping-arrival-rate', startRate, timeUnit: '1s', stages, ...vusFor(peakRate) };
}

/**
 * An iteration takes ~10-100 ms when all is well (preallocated; starting a VU mid-run is slow
 * enough to drop iterations). Past ~250 ms the service is past capacity: rather than more VUs
 * (~2.5 MB each), k6 then drops iterations, counted in dropped_iterations.
 */
function vusFor(peakRate: number): { preAllocatedVUs: number; maxVUs: number } {
  return { preAllocatedVUs: Math.max(10, Math.ceil(peakRate * 0.1)), maxVUs: Math.max(20, Math.ceil(peakRate * 0.25)) };
}

function thresholdsFor(limits: Limits): Record<string, Threshold[]> {
  const failed: Threshold[] = [`rate<${limits.maxFailureRate}`];
  if (limits.abortAboveFailureRate) {
    failed.push({ threshold: `rate<${limits.abortAboveFailureRate}`, abortOnFail: true, delayAbortEval: '30s' });
  }
  const p99 = (ms: number) => [`p(99)<${ms}`];
  return {
    // Only unexpected answers count: each request declares the status it expects (client.ts),
    // so an invalid record's 400 passes and a 400 (or 201) where another status was due fails.
    http_req_failed: failed,
    // Invalid records must still be refused under load; the summary also shows how many were sent.
    'http_req_failed{expected_status:400}': [`rate<${limits.maxFailureRate}`],
    checks: [`rate>${limits.minPassRate}`],
    // Per record, batches included: status, fraud rules, the field named in a rejection; and
    // separately for the invalid records and the re-sends (the summary shows how many of each).
    records_as_expected: [`rate>${limits.minPassRate}`],
    'records_as_expected{expected:rejected}': [`rate>${limits.minPassRate}`],
    'records_as_expected{expected:duplicate}': [`rate>${limits.minPassRate}`],
    'http_req_duration{op:single,expected_response:true}': p99(limits.p99Ms.single),
    'http_req_duration{op:batch,expected_response:true}': p99(limits.p99Ms.batch),
    'http_req_duration{op:read,expected_response:true}': p99(limits.p99Ms.read),
  };
}
