// Background traffic for the end-to-end tests that read rates, ratios and time-shifted series: a
// steady trickle of records until stopped. Each region gets one record about every second, one in
// ten of them fraud-like (a steady baseline for the fraud-wave alert), and some invalid ones.
import { claim, transaction } from '../../service/test/helpers.ts';

export const REGIONS = ['na', 'eu', 'apac', 'latam', 'mea'] as const;

function record(i: number): { path: string; body: Record<string, unknown> } {
  const region = REGIONS[i % REGIONS.length];
  const fraudLike = Math.floor(i / REGIONS.length) % 10 === 0;
  if (i % 4 === 3) {
    return { path: '/v1/claims', body: claim({ region, claim_amount: fraudLike ? 90_000 : 900 + i }) };
  }
  const body = transaction({ region, amount: fraudLike ? 15_000 : 25 + (i % 500) });
  if (i % 13 === 0) body.amount = -1;
  return { path: '/v1/transactions', body };
}

export function startTrickle(baseUrl: string, everyMs = 200): { stop(): Promise<void>; sent(): number } {
  let stopped = false;
  let sent = 0;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const { path, body } = record(i);
      try {
        await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        sent++;
      } catch {
        // the service is going away at the end of the test
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
    sent: () => sent,
  };
}
