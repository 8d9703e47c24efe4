// API keys, against the real service process started with INGEST_API_KEYS: every /v1 operation
// refuses a request without a valid key with 401 and stores nothing, however the key or the path
// is dressed up; valid keys work by either header; health and the OpenAPI document stay open; and
// no key shows up in an answer or a log line.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { claim, transaction } from '../service/test/helpers.ts';
import { assertProblem, rawRequest, startIngestor, type Ingestor, type RawResponse } from './service.ts';

const KEYS = ['rel-key-0123456789abcdef', 'second-key-ZYXW'];
const JSON_TYPE = { 'content-type': 'application/json' };

let svc: Ingestor;
let refusedCount = 0;
const refusedIds: string[] = [];

before(async () => {
  // Spaces and an empty entry around the keys: the configuration trims them.
  svc = await startIngestor({ INGEST_API_KEYS: ` ${KEYS[0]} ,, ${KEYS[1]} `, LOG_LEVEL: 'info' });
});
after(async () => {
  await svc?.stop();
});

const send = (options: { method?: string; path: string; headers?: Record<string, string>; body?: string }) =>
  rawRequest(svc.url, { method: options.method ?? 'GET', path: options.path, headers: options.headers, body: options.body });

function assertUnauthorized(res: RawResponse, what: string) {
  refusedCount++;
  const problem = assertProblem(res, 401, what);
  assert.equal(problem.type, 'urn:problem:unauthorized', what);
  assert.equal(res.headers['www-authenticate'], 'Bearer', what);
  // The problem's `instance` echoes the request's own URL; no other key may ever show.
  for (const key of KEYS) if (!what.includes(key)) assert.ok(!res.text.includes(key), `${what}: the answer shows a key`);
}

/** The five /v1 operations, each with a fresh body; `stored` lists what a success would store. */
function operations() {
  const tx = transaction();
  const cl = claim();
  const batchTx = transaction();
  const batchCl = claim();
  return {
    stored: [`/v1/transactions/${tx.transaction_id}`, `/v1/claims/${cl.claim_id}`, `/v1/transactions/${batchTx.transaction_id}`, `/v1/claims/${batchCl.claim_id}`],
    requests: [
      { method: 'POST', path: '/v1/transactions', body: JSON.stringify(tx) },
      { method: 'POST', path: '/v1/transactions/batch', body: JSON.stringify({ records: [batchTx] }) },
      { method: 'POST', path: '/v1/claims', body: JSON.stringify(cl) },
      { method: 'POST', path: '/v1/claims/batch', body: JSON.stringify({ records: [batchCl] }) },
      { method: 'GET', path: '/v1/transactions/anything' },
      { method: 'GET', path: '/v1/claims/anything' },
    ],
  };
}

describe('API keys enforced', () => {
  const badCredentials: Array<[string, Record<string, string>]> = [
    ['no credentials', {}],
    ['a wrong Bearer key', { authorization: 'Bearer wrong-key' }],
    ['a wrong x-api-key', { 'x-api-key': 'wrong-key' }],
    ['the key in another case', { authorization: `Bearer ${KEYS[0].toUpperCase()}` }],
    ['a prefix of the key', { authorization: `Bearer ${KEYS[0].slice(0, -1)}` }],
    ['the key with a suffix', { 'x-api-key': `${KEYS[0]}x` }],
    ['the key with a space inside x-api-key', { 'x-api-key': ` ${KEYS[0]} x` }],
    ['an empty Bearer', { authorization: 'Bearer ' }],
    ['Bearer and two tokens', { authorization: `Bearer ${KEYS[0]} ${KEYS[1]}` }],
    ['the key as Basic credentials', { authorization: `Basic ${Buffer.from(`${KEYS[0]}:`).toString('base64')}` }],
    ['the key under another scheme', { authorization: `Token ${KEYS[0]}` }],
    ['the key alone as Authorization', { authorization: KEYS[0] }],
    ['both keys joined', { 'x-api-key': `${KEYS[0]},${KEYS[1]}` }],
    ['the key in a cookie', { cookie: `api_key=${KEYS[0]}; x-api-key=${KEYS[0]}` }],
    ['the key in another header', { 'x-api-token': KEYS[0], 'api-key': KEYS[0] }],
  ];
  for (const [what, headers] of badCredentials) {
    it(`refuses ${what} on every /v1 operation, storing nothing`, async () => {
      const { requests, stored } = operations();
      for (const request of requests) {
        const res = await send({ ...request, headers: { ...(request.body ? JSON_TYPE : {}), ...headers } });
        assertUnauthorized(res, `${what}: ${request.method} ${request.path}`);
      }
      refusedIds.push(...stored);
    });
  }

  it('refuses the key in the query string', async () => {
    for (const query of [`api_key=${KEYS[0]}`, `x-api-key=${KEYS[0]}`, `key=${KEYS[0]}&token=${KEYS[0]}`]) {
      const tx = transaction();
      assertUnauthorized(await send({ method: 'POST', path: `/v1/transactions?${query}`, headers: JSON_TYPE, body: JSON.stringify(tx) }), query);
      refusedIds.push(`/v1/transactions/${tx.transaction_id}`);
    }
  });

  it('refuses a path dressed up to look like another route (percent-encoding, absolute form)', async () => {
    // Before the fix in service/src/plugins/auth.ts the first four reached the route without a key:
    // the router decodes %76 to "v" and accepts absolute-form targets, the key check did neither.
    const host = new URL(svc.url).host;
    const paths = [
      '/%761/transactions',
      '/v1/%74ransactions',
      '/%76%31/claims/batch',
      `http://${host}/v1/transactions`,
      '/v1/transactions?',
      '/v1/transactions#x',
      '/v1/transactions/',
      '/v1//transactions',
      '/v1/./transactions',
      '/v1/nope',
    ];
    for (const path of paths) {
      const tx = transaction();
      const res = await send({ method: 'POST', path, headers: JSON_TYPE, body: JSON.stringify(tx) });
      assertUnauthorized(res, `POST ${path}`);
      refusedIds.push(`/v1/transactions/${tx.transaction_id}`);
    }
    for (const path of ['/%761/transactions/x', `http://${host}/v1/claims/x`, '/v1/transactions/x?x-api-key=' + KEYS[0]]) {
      assertUnauthorized(await send({ path }), `GET ${path}`);
    }
    // Paths that match no route at all are 404 (no data there), never a success.
    for (const path of ['//v1/transactions', '/V1/transactions', '/./v1/transactions', '/v1/../v1/transactions']) {
      const res = await send({ method: 'POST', path, headers: JSON_TYPE, body: JSON.stringify(transaction()) });
      assert.ok(res.status === 401 || res.status === 404, `${path}: ${res.status}`);
    }
  });

  it('refuses HEAD and OPTIONS on /v1 too', async () => {
    for (const method of ['HEAD', 'OPTIONS']) {
      const res = await send({ method, path: '/v1/transactions/anything' });
      assert.ok(res.status === 401 || res.status === 404, `${method}: ${res.status}`);
    }
  });
});

describe('valid keys', () => {
  it('accepts every configured key, by Bearer (any case of the scheme) or x-api-key', async () => {
    const ways: Array<Record<string, string>> = [
      { authorization: `Bearer ${KEYS[0]}` },
      { authorization: `bearer ${KEYS[1]}` },
      { 'x-api-key': KEYS[0] },
      { 'x-api-key': KEYS[1] },
    ];
    for (const headers of ways) {
      const tx = transaction();
      assert.equal((await send({ method: 'POST', path: '/v1/transactions', headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(tx) })).status, 201);
      const read = await send({ path: `/v1/transactions/${tx.transaction_id}`, headers });
      assert.equal(read.status, 200);
      const batch = await send({ method: 'POST', path: '/v1/claims/batch', headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify({ records: [claim()] }) });
      assert.equal(batch.json().summary.accepted, 1);
    }
  });

  it('keeps health and the OpenAPI document open, with or without a key', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json']) {
      assert.equal((await send({ path })).status, 200, path);
      assert.equal((await send({ path, headers: { authorization: 'Bearer wrong' } })).status, 200, path);
    }
  });
});

describe('afterwards', () => {
  it('stored nothing it refused, and no key appears in the logs', async () => {
    for (const path of refusedIds) {
      const res = await send({ path, headers: { 'x-api-key': KEYS[0] } });
      assert.equal(res.status, 404, `${path} must not be stored`);
    }
    const output = svc.output();
    assert.match(output, /ingestor ready/, 'info logs were on');
    for (const key of KEYS) assert.ok(!output.includes(key), 'a key appears in the logs');
    assert.deepEqual(svc.errorLogs(), []);
    console.log(`api keys: ${refusedCount} unauthorized requests refused with 401; ${refusedIds.length} records checked absent`);
  });
});
