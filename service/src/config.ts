// Every setting of the service comes from the environment, read and checked here once.
// The README's configuration table lists the same variables; a test keeps the two in step.
import { getHeapStatistics } from 'node:v8';

export interface FraudThresholds {
  /** A transaction above this amount, in its currency's units, is flagged `high_amount`. */
  highAmount: number;
  /** More than this many records from one customer within the window are flagged `velocity`. */
  velocityMaxRecords: number;
  velocityWindowSeconds: number;
  /** A claim above this amount is flagged `high_claim`. */
  highClaimAmount: number;
  /** An incident reported more than this many days before its claim is flagged `late_report`. */
  lateReportDays: number;
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  logLevel: string;
  apiKeys: string[];
  bodyLimitBytes: number;
  batchMaxRecords: number;
  /** Longest a request waits for its group commit to gather company, in milliseconds. */
  commitMaxDelayMs: number;
  commitMaxRecords: number;
  /** Load-shedding limits: above them the service answers 503 with Retry-After. */
  maxInFlightRequests: number;
  maxInFlightBytes: number;
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
  maxPendingRecords: number;
  retryAfterSeconds: number;
  shutdownTimeoutMs: number;
  fraud: FraudThresholds;
}

type Env = Record<string, string | undefined>;

/** 90% of the V8 heap limit (set by --max-old-space-size): shed load before the heap runs out. */
function defaultMaxHeapUsedMb(): number {
  return Math.floor((getHeapStatistics().heap_size_limit * 0.9) / 1024 / 1024);
}

export class ConfigError extends Error {}

function integer(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return value;
}

function positiveNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${name} must be a number > 0, got "${raw}"`);
  }
  return value;
}

export function loadConfig(env: Env = process.env): Config {
  return {
    host: env.HOST || '0.0.0.0',
    port: integer(env, 'PORT', 8080),
    dataDir: env.DATA_DIR || './data',
    logLevel: env.LOG_LEVEL || 'info',
    apiKeys: (env.INGEST_API_KEYS ?? '').split(',').map((key) => key.trim()).filter(Boolean),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 1_048_576, 1),
    batchMaxRecords: integer(env, 'BATCH_MAX_RECORDS', 1000, 1),
    commitMaxDelayMs: integer(env, 'STORE_COMMIT_MAX_DELAY_MS', 0),
    commitMaxRecords: integer(env, 'STORE_COMMIT_MAX_RECORDS', 5000, 1),
    maxInFlightRequests: integer(env, 'MAX_IN_FLIGHT_REQUESTS', 256),
    // 1 MiB: about 50 batches of 100 records, some 40 ms of one core's work, for bursts. Under
    // overload, half of it (plugins/in-flight-bytes.ts): at 1 MiB for everything, under
    // three times the capacity, admitted batches waited ~90 ms, long enough to survive two
    // scavenges, and mark-compacts took a third of the core; at 512 KiB for everything, one stall at
    // half load (accepted latencies up to 69 ms) was shed (docs/reliability.md, Overload).
    maxInFlightBytes: integer(env, 'MAX_IN_FLIGHT_BYTES', 1024 * 1024),
    maxEventLoopDelayMs: integer(env, 'MAX_EVENT_LOOP_DELAY_MS', 100),
    maxHeapUsedBytes: integer(env, 'MAX_HEAP_USED_MB', defaultMaxHeapUsedMb()) * 1024 * 1024,
    maxPendingRecords: integer(env, 'MAX_PENDING_RECORDS', 20_000, 1),
    retryAfterSeconds: integer(env, 'RETRY_AFTER_SECONDS', 1, 1),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 1),
    fraud: {
      highAmount: positiveNumber(env, 'FRAUD_HIGH_AMOUNT', 10_000),
      velocityMaxRecords: integer(env, 'FRAUD_VELOCITY_MAX_RECORDS', 5, 1),
      velocityWindowSeconds: positiveNumber(env, 'FRAUD_VELOCITY_WINDOW_SECONDS', 60),
      highClaimAmount: positiveNumber(env, 'FRAUD_HIGH_CLAIM_AMOUNT', 50_000),
      lateReportDays: positiveNumber(env, 'FRAUD_LATE_REPORT_DAYS', 90),
    },
  };
}
