// Records for the fault-injection tests, shared by the k6 scripts and the Node tests: each body
// is a pure function of its id (and the run's base time), so the test can rebuild exactly what k6
// sent for any id it finds, acknowledged or not, without k6 writing every payload out.
// No k6 or Node imports: this file runs in both.
import { seededRandom as mulberry32 } from '../../loadtest/lib/random.ts';

const REGIONS = ['na', 'eu', 'apac', 'latam', 'mea'] as const;
const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'CAD'] as const;
const TYPES = ['purchase', 'debit', 'credit', 'transfer', 'withdrawal', 'refund'] as const;
const CHANNELS = ['web', 'mobile', 'pos'] as const;
const CATEGORIES = ['groceries', 'electronics', 'travel', 'restaurants', 'fuel'] as const;

/** FNV-1a of the id seeds the load tests' mulberry32 stream: the same numbers in V8 and in k6's Sobek. */
export function seededRandom(text: string): () => number {
  let seed = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    seed ^= text.charCodeAt(i);
    seed = Math.imul(seed, 0x01000193) >>> 0;
  }
  return mulberry32(seed);
}

/** `ft-<run>-<vu>-<seq>`: unique per run, VU and record; id characters only. */
export function faultRecordId(runId: string, vu: number, seq: number): string {
  return `ft-${runId}-${vu}-${seq.toString(36)}`;
}

/**
 * A valid transaction for `id`, keys in the schema's order (service/src/schemas/records.ts), so
 * `JSON.stringify` of it is exactly the payload the service stores (its canonical JSON). Amounts
 * are whole cents below the fraud threshold; timestamps within a minute before `baseMs`.
 */
export function faultTransaction(id: string, baseMs: number): Record<string, unknown> {
  const random = seededRandom(id);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const currency = pick(CURRENCIES);
  const cents = 100 + Math.floor(random() * 500_000);
  const type = pick(TYPES);
  const customer = 1 + Math.floor(random() * 1_000_000);
  const body: Record<string, unknown> = {
    transaction_id: id,
    timestamp: new Date(baseMs - Math.floor(random() * 60_000)).toISOString(),
    account_id: `acc-${customer}`,
    customer_id: `cust-${customer}`,
    amount: currency === 'JPY' ? Math.round(cents / 100) : cents / 100,
    currency,
    transaction_type: type,
    region: pick(REGIONS),
  };
  if (type === 'purchase' || type === 'refund') {
    body.merchant_id = `m-${1 + Math.floor(random() * 5000)}`;
    body.category = pick(CATEGORIES);
  }
  body.channel = type === 'withdrawal' ? 'atm' : pick(CHANNELS);
  return body;
}
