// The load test's settings, read from environment variables once. Shared by the k6 script
// (from __ENV) and the Node launcher (from process.env), so no k6 or Node imports.

export const SCENARIO_NAMES = ['smoke', 'load', 'stress', 'spike', 'soak'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface Settings {
  scenario: ScenarioName;
  /** The ingestor, without a trailing slash. */
  baseUrl: string;
  /** Iterations (about requests) per second at "normal" load; the other profiles scale from it. */
  targetRate: number;
  /** How long load and soak hold their rate, and stress each of its steps; undefined: the profile's default. */
  holdDuration: string | undefined;
  /** Tags every metric; one test run, one testid. */
  testid: string;
  /** Sent as a bearer token when the ingestor requires API keys (INGEST_API_KEYS). */
  apiKey: string | undefined;
}

export const DEFAULT_BASE_URL = 'http://localhost:8080';
export const DEFAULT_TARGET_RATE = 200;

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

export function readSettings(env: Record<string, string | undefined>, nowMs: number): Settings {
  const scenario = env.SCENARIO || 'smoke';
  if (!isScenarioName(scenario)) throw new Error(`SCENARIO must be one of ${SCENARIO_NAMES.join(', ')}, not "${scenario}"`);

  const targetRate = Number(env.TARGET_RATE || DEFAULT_TARGET_RATE);
  if (!Number.isInteger(targetRate) || targetRate < 1) throw new Error(`TARGET_RATE must be a positive integer, not "${env.TARGET_RATE}"`);

  const holdDuration = env.HOLD_DURATION || undefined;
  if (holdDuration !== undefined && !/^(\d+h)?(\d+m)?(\d+s)?$/.test(holdDuration)) {
    throw new Error(`HOLD_DURATION must be a k6 duration such as 90s, 5m or 1h30m, not "${holdDuration}"`);
  }

  return {
    scenario,
    baseUrl: (env.BASE_URL || DEFAULT_BASE_URL).replace(/\/+$/, ''),
    targetRate,
    holdDuration,
    testid: env.TESTID || defaultTestId(scenario, nowMs),
    apiKey: env.API_KEY || undefined,
  };
}

/** For example "load-20261122T101500": readable in Grafana, sortable, unique enough per person. */
export function defaultTestId(scenario: string, nowMs: number): string {
  return `${scenario}-${new Date(nowMs).toISOString().slice(0, 19).replace(/[-:]/g, '')}`;
}

/**
 * The run id in record ids: the testid in id characters, plus the start time, so records stay
 * traceable to their test and a second run with the same TESTID still sends new ids.
 */
export function runIdFrom(testid: string, startMs: number): string {
  const cleaned = testid.replace(/[^A-Za-z0-9._:-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 40);
  return `${cleaned || 'run'}-${startMs.toString(36)}`;
}
