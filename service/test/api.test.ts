// The API contract, through Fastify's inject against a real SQLite file.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { claim, json, startTestService, transaction, type TestService } from './helpers.ts';

let svc: TestService;
before(async () => {
  svc = await startTestService({ BATCH_MAX_RECORDS: '50', BODY_LIMIT_BYTES: '65536' });
});
after(() => svc.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = json) =>
  svc.app.inject({ method: 'POST', url, headers, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });

function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number) {
  assert.equal(res.statusCode, status);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = res.json();
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.match(body.type, /^urn:problem:/);
  assert.equal(body.stack, undefined);
  return body;
}

describe('POST /v1/transactions', () => {
  it('accepts a valid transaction with 201, its id and fraud result, and reads it back', async () => {
    const tx = transaction();
    const res = await post('/v1/transactions', tx);
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.json(), { id: tx.transaction_id, status: 'accepted', fraud: { flagged: false, rules: [] } });
    assert.equal(res.headers.location, `/v1/transactions/${tx.transaction_id}`);
    const read = await svc.app.inject({ url: `/v1/transactions/${tx.transaction_id}` });
    assert.equal(read.statusCode, 200);
    const body = read.json();
    assert.equal(body.amount, tx.amount);
    assert.equal(body.merchant_id, tx.merchant_id);
    assert.deepEqual(body.fraud, { flagged: false, rules: [] });
    assert.ok(Date.parse(body.received_at) > 0);
  });

  it('flags a transaction over 10,000 and stores the flag', async () => {
    const tx = transaction({ amount: 25_000 });
    const res = await post('/v1/transactions', tx);
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.json().fraud, { flagged: true, rules: ['high_amount'] });
    const read = await svc.app.inject({ url: `/v1/transactions/${tx.transaction_id}` });
    assert.deepEqual(read.json().fraud.rules, ['high_amount']);
  });

  it('flags the sixth record of one customer within 60 s as velocity', async () => {
    const customer = `burst-${Date.now()}`;
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const res = await post('/v1/transactions', transaction({ customer_id: customer, timestamp: `2026-11-22T10:00:${10 + i}Z` }));
      statuses.push(res.json().fraud.rules.join());
    }
    assert.deepEqual(statuses, ['', '', '', '', '', 'velocity']);
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['a negative amount', { amount: -50 }, '/amount'],
    ['a zero amount', { amount: 0 }, '/amount'],
    ['a numeric string amount', { amount: '100' }, '/amount'],
    ['a lower-case currency', { currency: 'eur' }, '/currency'],
    ['an unknown currency', { currency: 'ZZZ' }, '/currency'],
    ['an unknown type', { transaction_type: 'gift' }, '/transaction_type'],
    ['an unknown region', { region: 'mars' }, '/region'],
    ['an unknown channel', { channel: 'fax' }, '/channel'],
    ['a timestamp without offset', { timestamp: '2026-11-22 10:00:00' }, '/timestamp'],
    ['an id with spaces', { transaction_id: 'a b' }, '/transaction_id'],
    ['an unknown field', { surprise: true }, '/surprise'],
  ];
  for (const [what, change, field] of invalid) {
    it(`refuses ${what} with 400 naming ${field}`, async () => {
      const body = assertProblem(await post('/v1/transactions', transaction(change)), 400);
      assert.ok(body.errors.some((e: { field: string }) => e.field === field), JSON.stringify(body.errors));
    });
  }

  it('names every missing required field', async () => {
    const body = assertProblem(await post('/v1/transactions', { transaction_id: 'x1' }), 400);
    const fields = body.errors.map((e: { field: string }) => e.field).sort();
    assert.deepEqual(fields, ['/account_id', '/amount', '/currency', '/customer_id', '/region', '/timestamp', '/transaction_type']);
  });

  it('answers 200 duplicate for the same id and payload, in any key order', async () => {
    const tx = transaction({ amount: 30_000 });
    assert.equal((await post('/v1/transactions', tx)).statusCode, 201);
    const reordered = Object.fromEntries(Object.entries(tx).reverse());
    const again = await post('/v1/transactions', reordered);
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), { id: tx.transaction_id, status: 'duplicate', fraud: { flagged: true, rules: ['high_amount'] } });
  });

  it('answers 409 for the same id with a different payload, and keeps the first', async () => {
    const tx = transaction();
    await post('/v1/transactions', tx);
    const body = assertProblem(await post('/v1/transactions', { ...tx, amount: 99 }), 409);
    assert.match(body.detail, new RegExp(String(tx.transaction_id)));
    const read = await svc.app.inject({ url: `/v1/transactions/${tx.transaction_id}` });
    assert.equal(read.json().amount, tx.amount);
  });

  it('refuses malformed JSON, a wrong content type and a body over the limit', async () => {
    assertProblem(await post('/v1/transactions', '{"amount": 1,'), 400);
    assertProblem(await post('/v1/transactions', 'amount=1', { 'content-type': 'application/x-www-form-urlencoded' }), 415);
    assertProblem(await post('/v1/transactions', JSON.stringify({ ...transaction(), category: 'x'.repeat(70_000) })), 413);
  });

  it('refuses bodies that are not an object, and edge-case numbers', async () => {
    assertProblem(await post('/v1/transactions', '[1,2]'), 400);
    assertProblem(await post('/v1/transactions', '"text"'), 400);
    const tx = JSON.stringify(transaction());
    assertProblem(await post('/v1/transactions', tx.replace('42.5', '1e309')), 400);
    assertProblem(await post('/v1/transactions', tx.replace('42.5', '-0')), 400);
  });

  it('survives deep nesting and prototype keys without a 5xx', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    assert.ok((await post('/v1/transactions', deep)).statusCode < 500);
    assertProblem(await post('/v1/transactions', `{"__proto__": {"x": 1}, ${JSON.stringify(transaction()).slice(1)}`), 400);
  });

  it('takes the last of duplicate keys, as JSON.parse does, and validates that', async () => {
    const tx = transaction();
    const text = JSON.stringify(tx).replace('"amount":42.5', '"amount":-1,"amount":42.5');
    assert.equal((await post('/v1/transactions', text)).statusCode, 201);
  });

  it('accepts Unicode in free text, and refuses it in ids', async () => {
    assert.equal((await post('/v1/transactions', transaction({ category: 'café ☕ 𝄞' }))).statusCode, 201);
    assertProblem(await post('/v1/transactions', transaction({ transaction_id: 'tx-é' })), 400);
  });
});

describe('POST /v1/claims', () => {
  it('accepts a claim and flags a high and late one', async () => {
    const ok = await post('/v1/claims', claim());
    assert.equal(ok.statusCode, 201);
    assert.equal(ok.json().fraud.flagged, false);
    const flagged = await post('/v1/claims', claim({ claim_amount: 80_000, incident_date: '2026-01-02' }));
    assert.deepEqual(flagged.json().fraud.rules, ['high_claim', 'late_report']);
  });

  it('refuses an incident after the claim', async () => {
    const body = assertProblem(await post('/v1/claims', claim({ incident_date: '2026-11-23' })), 400);
    assert.deepEqual(body.errors.map((e: { field: string }) => e.field), ['/incident_date']);
  });

  it('refuses an unknown claim type and status', async () => {
    const body = assertProblem(await post('/v1/claims', claim({ claim_type: 'pet', claim_status: 'lost' })), 400);
    assert.deepEqual(body.errors.map((e: { field: string }) => e.field).sort(), ['/claim_status', '/claim_type']);
  });

  it('reads a claim back and answers 404 for an unknown one', async () => {
    const c = claim();
    await post('/v1/claims', c);
    const read = await svc.app.inject({ url: `/v1/claims/${c.claim_id}` });
    assert.equal(read.json().policy_number, c.policy_number);
    assertProblem(await svc.app.inject({ url: '/v1/claims/nope' }), 404);
  });
});

describe('batches', () => {
  it('stores the good records and reports each bad one', async () => {
    const good = transaction();
    const dup = transaction();
    await post('/v1/transactions', dup);
    const res = await post('/v1/transactions/batch', {
      records: [good, transaction({ amount: -1 }), dup, { ...dup, amount: 7 }, 'not a record', transaction({ amount: 20_000 })],
    });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(body.summary, { accepted: 2, duplicate: 1, rejected: 2, conflict: 1 });
    assert.deepEqual(body.results.map((r: { status: string }) => r.status), ['accepted', 'rejected', 'duplicate', 'conflict', 'rejected', 'accepted']);
    assert.equal(body.results[1].errors[0].field, '/amount');
    assert.deepEqual(body.results[5].fraud.rules, ['high_amount']);
    assert.equal((await svc.app.inject({ url: `/v1/transactions/${good.transaction_id}` })).statusCode, 200);
  });

  it('refuses a leap-second timestamp, which Date cannot hold, and stores the rest of the batch', async () => {
    // RFC 3339 allows second 60 and so does the date-time format; Date.parse gives NaN for it,
    // which once reached the store and failed the whole commit group with it.
    const good = transaction();
    const transactionLeap = transaction({ timestamp: '2016-12-31T23:59:60Z' });
    const claimLeap = claim({ timestamp: '2016-12-31T23:59:60Z' });
    const res = await post('/v1/transactions/batch', { records: [good, transactionLeap] });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json().results.map((r: { status: string }) => r.status), ['accepted', 'rejected']);
    assert.deepEqual(res.json().results[1].errors, [{ field: '/timestamp', message: 'is not a representable instant (a leap second?)' }]);
    assert.equal((await svc.app.inject({ url: `/v1/transactions/${good.transaction_id}` })).statusCode, 200);
    const one = assertProblem(await post('/v1/claims', claimLeap), 400);
    assert.equal(one.errors[0].field, '/timestamp');
  });

  it('treats a repeated id inside one batch as a duplicate or a conflict', async () => {
    const tx = transaction();
    const res = await post('/v1/transactions/batch', { records: [tx, tx, { ...tx, amount: 1 }] });
    assert.deepEqual(res.json().results.map((r: { status: string }) => r.status), ['accepted', 'duplicate', 'conflict']);
  });

  it('accepts claim batches', async () => {
    const res = await post('/v1/claims/batch', { records: [claim(), claim()] });
    assert.deepEqual(res.json().summary, { accepted: 2, duplicate: 0, rejected: 0, conflict: 0 });
  });

  it('refuses an empty batch, one over the configured size, and a wrong envelope', async () => {
    assertProblem(await post('/v1/transactions/batch', { records: [] }), 400);
    const big = assertProblem(await post('/v1/transactions/batch', { records: Array.from({ length: 51 }, () => transaction()) }), 400);
    assert.equal(big.errors[0].field, '/records');
    assertProblem(await post('/v1/transactions/batch', [transaction()]), 400);
  });
});

describe('service endpoints', () => {
  it('answers liveness and readiness', async () => {
    assert.deepEqual((await svc.app.inject({ url: '/healthz' })).json(), { status: 'ok' });
    assert.deepEqual((await svc.app.inject({ url: '/readyz' })).json(), { status: 'ready' });
  });

  it('answers 404 problem for unknown routes', async () => {
    assertProblem(await svc.app.inject({ url: '/v2/nothing' }), 404);
  });

  it('serves OpenAPI 3.1 generated from the schemas', async () => {
    const doc = (await svc.app.inject({ url: '/openapi.json' })).json();
    assert.equal(doc.openapi, '3.1.0');
    const post = doc.paths['/v1/transactions/'] ?? doc.paths['/v1/transactions'];
    const schema = post.post.requestBody.content['application/json'].schema;
    assert.deepEqual(schema.properties.region.enum, ['na', 'eu', 'apac', 'latam', 'mea']);
    assert.ok(doc.paths['/v1/claims/batch']);
    assert.ok(doc.paths['/v1/claims/{id}']);
  });
});

describe('overload and readiness', () => {
  it('sheds records with 503 and Retry-After when too many wait for a commit', async () => {
    const small = await startTestService({ MAX_PENDING_RECORDS: '2' });
    try {
      const res = await small.app.inject({ method: 'POST', url: '/v1/transactions/batch', headers: json,
        payload: JSON.stringify({ records: [transaction(), transaction(), transaction()] }) });
      assertProblem(res, 503);
      assert.equal(res.headers['retry-after'], '1');
      assert.deepEqual(small.store.counts(), { transaction: 0, claim: 0 }, 'nothing stored from a refused request');
    } finally {
      await small.close();
    }
  });

  it('is not ready once the store is closed', async () => {
    const other = await startTestService();
    await other.store.close();
    assertProblem(await other.app.inject({ url: '/readyz' }), 503);
    await other.app.close();
  });
});

describe('API keys', () => {
  it('needs a key on /v1/* when configured, by Bearer or x-api-key, and not on health', async () => {
    const secured = await startTestService({ INGEST_API_KEYS: 'k-one,k-two' });
    try {
      const body = JSON.stringify(transaction());
      const none = await secured.app.inject({ method: 'POST', url: '/v1/transactions', headers: json, payload: body });
      assertProblem(none, 401);
      assert.equal(none.headers['www-authenticate'], 'Bearer');
      assertProblem(await secured.app.inject({ method: 'POST', url: '/v1/transactions', headers: { ...json, authorization: 'Bearer wrong' }, payload: body }), 401);
      const bearer = await secured.app.inject({ method: 'POST', url: '/v1/transactions', headers: { ...json, authorization: 'Bearer k-two' }, payload: body });
      assert.equal(bearer.statusCode, 201);
      const header = await secured.app.inject({ url: '/v1/transactions/nope', headers: { 'x-api-key': 'k-one' } });
      assert.equal(header.statusCode, 404);
      assert.equal((await secured.app.inject({ url: '/healthz' })).statusCode, 200);
    } finally {
      await secured.close();
    }
  });
});
