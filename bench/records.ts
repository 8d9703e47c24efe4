// The benchmark's records: valid transactions with unique ids, the same for the load generator
// (bench/load.ts) and the stage benchmark (bench/stages.ts).
//
// One record in FLAGGED_EVERY is above the high-amount threshold: the notable-record path (a
// sampled span of its own and a warn log) runs at a fixed, realistic rate. Customers are new in
// every run, from a pool of a million: the velocity rule (more than 5 records of a customer in
// 60 s) sees each at most a few times a minute. (They used to repeat across the benchmark's
// phases, and in the half-load phase the rule flagged every record; with a pool of 100,000, a
// 10 s batch run would have started flagging above 50,000 records/s, most records near 100,000.)
export const FLAGGED_EVERY = 1000;
const CUSTOMERS = 1_000_000;
const currencies = ['USD', 'EUR', 'GBP', 'JPY'];
const regions = ['na', 'eu', 'apac', 'latam', 'mea'];

/** A function that returns a new valid transaction on each call; `run` keeps ids and customers apart between runs. */
export function transactions(run: string): () => Record<string, unknown> {
  let n = 0;
  return () => {
    const i = n++;
    return {
      transaction_id: `b-${run}-${i}`,
      timestamp: new Date().toISOString(),
      account_id: `acc-${i % 5000}`,
      customer_id: `cust-${run}-${i % CUSTOMERS}`,
      amount: i % FLAGGED_EVERY === FLAGGED_EVERY - 1 ? 20_000 : 10 + (i % 900),
      currency: currencies[i % currencies.length],
      transaction_type: 'purchase',
      region: regions[i % regions.length],
      channel: 'web',
    };
  };
}
