// Bad input, by hand, against the real service process over real HTTP (default limits: 1 MiB body,
// 1000 records a batch). Every kind the reliability issue lists: invalid JSON, wrong content types,
// huge bodies, deep nesting, Unicode edge cases, 1e309 and -0, numeric strings, duplicate keys.
// Each answer is a 4xx problem+json naming the field where there is one, never a 5xx; afterwards
// the process is still up, records accepted before are read back byte for byte, and no refused
// record was stored.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { claim, transaction } from '../service/test/helpers.ts';
import { assertFieldProblem, assertProblem, largeRequest, rawRequest, startIngestor, type Ingestor, type RawResponse } from './service.ts';

const JSON_TYPE = { 'content-type': 'application/json' };
const BODY_LIMIT = 1_048_576; // BODY_LIMIT_BYTES default
const BATCH_MAX = 1000; // BATCH_MAX_RECORDS default
const ENDPOINTS = ['/v1/transactions', '/v1/transactions/batch', '/v1/claims', '/v1/claims/batch'];

let svc: Ingestor;
/** Inputs sent per kind, and the statuses they got: the figures of docs/reliability.md. */
const tally = new Map<string, Map<number, number>>();
/** Records the service refused: none of them may be readable afterwards. */
const refused: Array<{ plural: 'transactions' | 'claims'; id: string }> = [];
/** Records accepted before any bad input, with their exact read-back text. */
const baseline: Array<{ path: string; text: string }> = [];

function count<R extends RawResponse>(kind: string, res: R): R {
  const statuses = tally.get(kind) ?? new Map<number, number>();
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  tally.set(kind, statuses);
  assert.ok(res.status < 500, `${kind}: ${res.status} ${res.text.slice(0, 300)}`);
  return res;
}

async function post(kind: string, path: string, body: string | Buffer, headers: Record<string, string> = JSON_TYPE) {
  return count(kind, await rawRequest(svc.url, { path, headers, body }));
}

const get = (path: string) => rawRequest(svc.url, { method: 'GET', path });

/** A transaction's JSON text with one field's value replaced by raw JSON text. */
function txWith(field: string, rawValue: string, overrides: Record<string, unknown> = {}): { id: string; text: string } {
  const record = transaction({ [field]: '__RAW__', ...overrides });
  return { id: String(record.transaction_id), text: JSON.stringify(record).replace('"__RAW__"', rawValue) };
}

function claimWith(field: string, rawValue: string): { id: string; text: string } {
  const record = claim({ [field]: '__RAW__' });
  return { id: String(record.claim_id), text: JSON.stringify(record).replace('"__RAW__"', rawValue) };
}

before(async () => {
  svc = await startIngestor();
  // Accepted before any bad input: one of each kind alone, and a batch of each.
  const singles = [
    { path: '/v1/transactions', record: transaction({ amount: 1234.56, category: 'café ☕' }), id: 'transaction_id', plural: 'transactions' },
    { path: '/v1/claims', record: claim({ claim_amount: 987.65 }), id: 'claim_id', plural: 'claims' },
  ];
  for (const { path, record, id, plural } of singles) {
    const res = await rawRequest(svc.url, { path, headers: JSON_TYPE, body: JSON.stringify(record) });
    assert.equal(res.status, 201, res.text);
    baseline.push({ path: `/v1/${plural}/${record[id]}`, text: '' });
  }
  const batches = [
    { path: '/v1/transactions/batch', records: [transaction(), transaction()], id: 'transaction_id', plural: 'transactions' },
    { path: '/v1/claims/batch', records: [claim(), claim()], id: 'claim_id', plural: 'claims' },
  ];
  for (const { path, records, id, plural } of batches) {
    const res = await rawRequest(svc.url, { path, headers: JSON_TYPE, body: JSON.stringify({ records }) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json().summary.accepted, records.length);
    for (const r of records) baseline.push({ path: `/v1/${plural}/${r[id]}`, text: '' });
  }
  for (const entry of baseline) {
    const res = await get(entry.path);
    assert.equal(res.status, 200);
    entry.text = res.text;
  }
});

after(async () => {
  await svc?.stop();
});

describe('invalid JSON', () => {
  const bodies: Array<[string, string]> = [
    ['truncated object', '{"amount": 1,'],
    ['lone open brace', '{'],
    ['lone close brace', '}'],
    ['trailing comma', '{"transaction_id":"x",}'],
    ['single quotes', "{'transaction_id': 'x'}"],
    ['unquoted key', '{transaction_id: "x"}'],
    ['line comment', '{"a":1} // comment'],
    ['block comment', '/* c */ {"a":1}'],
    ['two documents', '{"a":1} {"b":2}'],
    ['trailing garbage', '{"a":1}x'],
    ['undefined literal', '{"a":undefined}'],
    ['NaN literal', '{"amount":NaN}'],
    ['Infinity literal', '{"amount":Infinity}'],
    ['-Infinity literal', '{"amount":-Infinity}'],
    ['hex number', '{"amount":0x10}'],
    ['leading plus', '{"amount":+1}'],
    ['leading zero', '{"amount":01}'],
    ['bare dot fraction', '{"amount":.5}'],
    ['trailing dot', '{"amount":1.}'],
    ['incomplete exponent', '{"amount":1e}'],
    ['raw control character in a string', '{"category":"a\u0001b"}'],
    ['raw newline in a string', '{"category":"a\nb"}'],
    ['invalid escape', '{"category":"\\x41"}'],
    ['short unicode escape', '{"category":"\\u12"}'],
    ['unterminated string', '{"category":"abc}'],
    ['empty body', ''],
    ['whitespace only', ' \n\t '],
  ];
  for (const path of ENDPOINTS) {
    it(`answers 400 malformed-body on ${path} for ${bodies.length} broken documents`, async () => {
      for (const [what, body] of bodies) {
        const problem = assertProblem(await post('invalid JSON', path, body), 400, `${path} ${what}`);
        assert.equal(problem.type, 'urn:problem:malformed-body', `${path} ${what}: ${problem.type}`);
      }
    });
  }

  it('answers 400 naming the body for JSON that is not an object', async () => {
    for (const body of ['null', '[]', '[{}]', '"text"', '42', 'true']) {
      for (const path of ['/v1/transactions', '/v1/claims']) {
        assertFieldProblem(await post('invalid JSON', path, body), '/', `${path} ${body}`);
      }
      for (const path of ['/v1/transactions/batch', '/v1/claims/batch']) {
        assertProblem(await post('invalid JSON', path, body), 400, `${path} ${body}`);
      }
    }
  });
});

describe('wrong content type', () => {
  const refusedTypes = [
    undefined, // no Content-Type at all
    '',
    'text/plain',
    'text/plain; charset=utf-8',
    'text/html',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/octet-stream',
    'application/jsonx',
    'application/vnd.api+json',
    'application/problem+json',
    'application/json, text/plain',
    '*/*',
    'json',
  ];
  for (const path of ENDPOINTS) {
    it(`answers 415 on ${path} for ${refusedTypes.length} content types that are not JSON, and stores nothing`, async () => {
      const isClaim = path.startsWith('/v1/claims');
      for (const type of refusedTypes) {
        const record = isClaim ? claim() : transaction();
        const body = JSON.stringify(path.endsWith('/batch') ? { records: [record] } : record);
        const res = await post('wrong content type', path, body, type === undefined ? {} : { 'content-type': type });
        const problem = assertProblem(res, 415, `${path} ${JSON.stringify(type)}`);
        assert.equal(problem.type, 'urn:problem:unsupported-media-type');
        refused.push({ plural: isClaim ? 'claims' : 'transactions', id: String(isClaim ? record.claim_id : record.transaction_id) });
      }
    });
  }

  it('accepts application/json whatever its case and parameters', async () => {
    for (const type of ['APPLICATION/JSON', 'application/json; charset=utf-8', 'Application/Json;charset=UTF-8', ' application/json']) {
      const res = await post('wrong content type', '/v1/transactions', JSON.stringify(transaction()), { 'content-type': type });
      assert.equal(res.status, 201, `${type}: ${res.text}`);
    }
  });
});

describe('huge bodies', () => {
  it(`accepts a record padded to exactly the limit (${BODY_LIMIT} bytes)`, async () => {
    const record = transaction();
    const text = JSON.stringify(record);
    const body = text + ' '.repeat(BODY_LIMIT - Buffer.byteLength(text));
    assert.equal(Buffer.byteLength(body), BODY_LIMIT);
    assert.equal((await post('huge body', '/v1/transactions', body)).status, 201);
    assert.equal(JSON.parse((await get(`/v1/transactions/${record.transaction_id}`)).text).transaction_id, record.transaction_id);
  });

  const huge = Buffer.alloc(32 * 1024 * 1024, 32); // spaces: valid JSON whitespace, if it were read

  it('refuses a Content-Length over the limit with 413 before reading the body', async () => {
    for (const size of [BODY_LIMIT + 1, huge.length]) {
      for (const path of ENDPOINTS) {
        const res = count('huge body', await largeRequest(svc.url, { path, headers: JSON_TYPE, body: huge.subarray(0, size), headStartMs: 2000 }));
        assert.equal(res.bodyBytesSent, 0, 'answered on the headers alone');
        assert.equal(assertProblem(res, 413, `${path} ${size}`).type, 'urn:problem:body-too-large');
      }
    }
  });

  it('refuses 32 MiB sent at once, and 8 MiB chunked with no length, without buffering them', async () => {
    const rss = () => {
      try {
        return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${svc.child.pid}/status`, 'utf8'))![1]) * 1024;
      } catch {
        return undefined; // not Linux
      }
    };
    const before = rss();
    for (const path of ENDPOINTS) {
      for (const options of [{ body: huge }, { body: huge.subarray(0, 8 * 1024 * 1024), chunked: true }]) {
        const res = count('huge body', await largeRequest(svc.url, { path, headers: JSON_TYPE, ...options }));
        // 413, or the connection closed under a client still writing (see largeRequest).
        if (res.status !== 0) assert.equal(assertProblem(res, 413, path).type, 'urn:problem:body-too-large');
        assert.ok(res.bodyBytesSent < options.body.length, 'refused before the whole body was read');
      }
    }
    const afterwards = rss();
    if (before !== undefined && afterwards !== undefined) {
      // 8 bodies of 8 to 32 MiB went by: none of them was held whole.
      assert.ok(afterwards - before < 32 * 1024 * 1024, `RSS grew by ${((afterwards - before) / 1048576).toFixed(1)} MiB`);
    }
  });

  it(`refuses a batch of ${BATCH_MAX + 1} records naming /records, and answers one of ${BATCH_MAX} bad records one by one`, async () => {
    const tooMany = { records: Array.from({ length: BATCH_MAX + 1 }, () => transaction()) };
    assertFieldProblem(await post('huge body', '/v1/transactions/batch', JSON.stringify(tooMany)), '/records');
    for (const r of tooMany.records) refused.push({ plural: 'transactions', id: String(r.transaction_id) });
    const bad = { records: Array.from({ length: BATCH_MAX }, () => transaction({ amount: -1 })) };
    const res = await post('huge body', '/v1/transactions/batch', JSON.stringify(bad));
    assert.equal(res.status, 200);
    const body = res.json();
    assert.deepEqual(body.summary, { accepted: 0, duplicate: 0, rejected: BATCH_MAX, conflict: 0 });
    assert.ok(body.results.every((r: any) => r.status === 'rejected' && r.errors.some((e: any) => e.field === '/amount')));
    for (const r of bad.records) refused.push({ plural: 'transactions', id: String(r.transaction_id) });
  });

  it('refuses long strings and thousands of unknown fields under the limit, naming them', async () => {
    const longCategory = transaction({ category: 'x'.repeat(900_000) });
    assertFieldProblem(await post('huge body', '/v1/transactions', JSON.stringify(longCategory)), '/category');
    const longId = transaction({ transaction_id: 'a'.repeat(129) });
    assertFieldProblem(await post('huge body', '/v1/transactions', JSON.stringify(longId)), '/transaction_id');
    const manyFields: Record<string, unknown> = transaction();
    for (let i = 0; i < 40_000; i++) manyFields[`f${i}`] = i;
    const started = Date.now();
    const res = await post('huge body', '/v1/transactions', JSON.stringify(manyFields));
    assertFieldProblem(res, '/f39999');
    assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
    refused.push({ plural: 'transactions', id: String(longCategory.transaction_id) }, { plural: 'transactions', id: String(manyFields.transaction_id) });
  });
});

describe('deep nesting', () => {
  const depth = 400_000; // 800 KB of brackets: deep, and under the 1 MiB limit
  const arrays = '['.repeat(depth) + ']'.repeat(depth);
  const objects = '{"a":'.repeat(depth / 5) + '1' + '}'.repeat(depth / 5);
  const cases: Array<[string, string, string, string | undefined]> = [
    ['nested arrays as the body', '/v1/transactions', arrays, '/'],
    ['nested objects as the body', '/v1/claims', objects, '/claim_id'],
    ['nested arrays in a known field', '/v1/transactions', txWith('category', arrays).text, '/category'],
    ['nested objects in a known field', '/v1/transactions', txWith('amount', objects).text, '/amount'],
    ['nested arrays in an unknown field', '/v1/transactions', txWith('nested', arrays).text, '/nested'],
    ['__proto__ at the bottom of nested objects', '/v1/transactions', '{"a":'.repeat(100_000) + '{"__proto__":{"x":1}}' + '}'.repeat(100_000), undefined],
    ['constructor.prototype at the bottom', '/v1/claims', '{"a":'.repeat(100_000) + '{"constructor":{"prototype":{"x":1}}}' + '}'.repeat(100_000), undefined],
    ['nested objects as the batch', '/v1/transactions/batch', `{"records":${objects}}`, '/records'],
  ];
  for (const [what, path, body, field] of cases) {
    it(`answers 400 for ${what}`, async () => {
      const started = Date.now();
      const res = await post('deep nesting', path, body);
      if (field) assertFieldProblem(res, field, what);
      else assertProblem(res, 400, what);
      assert.ok(Date.now() - started < 5000, `${what}: ${Date.now() - started} ms`);
    });
  }

  it('rejects a deeply nested record inside a batch as that record only', async () => {
    const good = transaction();
    const res = await post('deep nesting', '/v1/transactions/batch', `{"records":[${arrays},${JSON.stringify(good)}]}`);
    assert.equal(res.status, 200);
    const body = res.json();
    assert.equal(body.results[0].status, 'rejected');
    assert.equal(body.results[0].errors[0].field, '/');
    assert.equal(body.results[1].status, 'accepted');
  });
});

describe('Unicode', () => {
  const texts: Array<[string, string]> = [
    ['emoji with a skin tone', '"👍🏽 ok 😀"'],
    ['CJK and Arabic', '"食料品 بقالة"'],
    ['right-to-left override', '"\\u202eevil"'],
    ['zero-width joiner and space', '"a\\u200db\\u200bc"'],
    ['combining marks', '"e\\u0301\\u0301\\u0301"'],
    ['byte order mark', '"\\ufeffx"'],
    ['noncharacter U+FFFF', '"\\uffff"'],
    ['NUL', '"a\\u0000b"'],
    ['lone high surrogate', '"x\\ud800"'],
    ['lone low surrogate', '"\\udc00y"'],
    ['64 astral characters (128 UTF-16 units)', JSON.stringify('𝄞'.repeat(64))],
  ];
  for (const [what, raw] of texts) {
    it(`stores free text with ${what} exactly, and a resend is a duplicate`, async () => {
      const { id, text } = txWith('category', raw);
      assert.equal((await post('Unicode', '/v1/transactions', text)).status, 201);
      const read = await get(`/v1/transactions/${id}`);
      assert.equal(read.json().category, JSON.parse(raw), 'read back as sent');
      const again = await post('Unicode', '/v1/transactions', text);
      assert.equal(again.status, 200);
      assert.equal(again.json().status, 'duplicate');
    });
  }

  it('counts length in characters: 65 astral characters are one too many', async () => {
    const { id, text } = txWith('category', JSON.stringify('𝄞'.repeat(65)));
    assertFieldProblem(await post('Unicode', '/v1/transactions', text), '/category');
    refused.push({ plural: 'transactions', id });
  });

  it('refuses ids, codes, enums and dates that only look right', async () => {
    const cases: Array<[string, string, string]> = [
      ['transaction_id', '"tx-é"', '/transaction_id'],
      ['transaction_id', '"tх-1"', '/transaction_id'], // Cyrillic х
      ['transaction_id', '"tx\\u200b1"', '/transaction_id'],
      ['transaction_id', '"tx\\u202e1"', '/transaction_id'],
      ['transaction_id', '"tx\\u00001"', '/transaction_id'],
      ['transaction_id', '"１２３"', '/transaction_id'], // fullwidth digits
      ['transaction_id', '"😀"', '/transaction_id'],
      ['customer_id', '"cust\\ud800"', '/customer_id'],
      ['currency', '"ЕUR"', '/currency'], // Cyrillic Е
      ['currency', '"eur"', '/currency'],
      ['transaction_type', '"purchase\\u200b"', '/transaction_type'],
      ['transaction_type', '"PURCHASE"', '/transaction_type'],
      ['region', '"ｅｕ"', '/region'],
      ['timestamp', '"٢٠٢٦-11-22T10:00:00Z"', '/timestamp'],
    ];
    for (const [field, raw, named] of cases) {
      const { id, text } = txWith(field, raw);
      assertFieldProblem(await post('Unicode', '/v1/transactions', text), named, `${field}=${raw}`);
      if (field !== 'transaction_id') refused.push({ plural: 'transactions', id });
    }
    const { text } = claimWith('incident_date', '"２０２６-11-18"');
    assertFieldProblem(await post('Unicode', '/v1/claims', text), '/incident_date');
  });

  it('decodes escaped keys before matching them, and refuses look-alike keys', async () => {
    const record = transaction();
    const escaped = JSON.stringify(record).replace('"amount"', '"\\u0061mount"');
    assert.equal((await post('Unicode', '/v1/transactions', escaped)).status, 201);
    const lookalike = transaction();
    const body = assertFieldProblem(await post('Unicode', '/v1/transactions', JSON.stringify(lookalike).replace('"amount"', '"аmount"')), '/amount');
    assert.ok(body.errors.some((e: { field: string }) => e.field === '/аmount'), 'names the unknown key too');
    refused.push({ plural: 'transactions', id: String(lookalike.transaction_id) });
  });

  it('reads bytes that are not UTF-8 as U+FFFD: free text keeps them replaced, ids are refused', async () => {
    for (const bad of [[0xc3, 0x28], [0xff], [0xc0, 0xaf], [0x80], [0xed, 0xa0, 0x80]]) {
      const record = transaction({ category: '__BYTES__' });
      const [head, tail] = JSON.stringify(record).split('__BYTES__');
      const body = Buffer.concat([Buffer.from(head), Buffer.from(bad), Buffer.from(tail)]);
      assert.equal((await post('Unicode', '/v1/transactions', body)).status, 201);
      assert.match((await get(`/v1/transactions/${record.transaction_id}`)).json().category, /\uFFFD/);
      assert.equal((await post('Unicode', '/v1/transactions', body)).json().status, 'duplicate', 'the same bytes again');
      const badId = transaction({ transaction_id: '__BYTES__' });
      const [h, t] = JSON.stringify(badId).split('__BYTES__');
      assertFieldProblem(await post('Unicode', '/v1/transactions', Buffer.concat([Buffer.from(h + 'tx'), Buffer.from(bad), Buffer.from(t)])), '/transaction_id');
    }
  });
});

describe('numbers: 1e309, -0 and numeric strings', () => {
  it('refuses amounts that overflow, underflow, are zero or negative, or exceed the maximum, naming the field', async () => {
    for (const raw of ['1e309', '-1e309', '-0', '0', '0.0', '-0.0', '0e10', '1e-400', '-5', '-1e-7', '1000000000000.01', '1e13', '123456789012345678901234567890']) {
      const tx = txWith('amount', raw);
      assertFieldProblem(await post('numbers', '/v1/transactions', tx.text), '/amount', `amount ${raw}`);
      const cl = claimWith('claim_amount', raw);
      assertFieldProblem(await post('numbers', '/v1/claims', cl.text), '/claim_amount', `claim_amount ${raw}`);
      refused.push({ plural: 'transactions', id: tx.id }, { plural: 'claims', id: cl.id });
    }
  });

  it('accepts the extremes of the range and reads them back as the same double', async () => {
    for (const [raw, value] of [['5e-324', 5e-324], ['1e12', 1e12], ['1000000000000.0', 1e12], ['42.50000000000000000001', 42.5], ['0.1e1', 1]] as const) {
      const { id, text } = txWith('amount', raw);
      assert.equal((await post('numbers', '/v1/transactions', text)).status, 201, raw);
      assert.equal((await get(`/v1/transactions/${id}`)).json().amount, value, raw);
    }
  });

  it('refuses numbers sent as strings, with no coercion', async () => {
    for (const raw of ['"100"', '"42.5"', '"1e3"', '" 42"', '"0x10"', '""', '"NaN"', '"Infinity"', '"-0"']) {
      const tx = txWith('amount', raw);
      const body = assertFieldProblem(await post('numbers', '/v1/transactions', tx.text), '/amount', `amount ${raw}`);
      assert.match(body.errors.find((e: { field: string }) => e.field === '/amount').message, /number/);
      const cl = claimWith('claim_amount', raw);
      assertFieldProblem(await post('numbers', '/v1/claims', cl.text), '/claim_amount', `claim_amount ${raw}`);
      refused.push({ plural: 'transactions', id: tx.id }, { plural: 'claims', id: cl.id });
    }
    const res = await post('numbers', '/v1/transactions/batch', JSON.stringify({ records: [transaction({ amount: '100' })] }));
    assert.equal(res.json().results[0].status, 'rejected');
    assert.equal(res.json().results[0].errors[0].field, '/amount');
  });

  it('refuses numbers and other types where strings belong, and other types for amounts', async () => {
    const cases: Array<[string, string]> = [
      ['transaction_id', '123'], ['timestamp', '1795388000'], ['currency', '978'], ['region', '1'], ['category', '5'],
      ['amount', 'true'], ['amount', 'null'], ['amount', '[]'], ['amount', '[42.5]'], ['amount', '{}'], ['amount', '{"value":42.5}'],
    ];
    for (const [field, raw] of cases) {
      const tx = txWith(field, raw);
      assertFieldProblem(await post('numbers', '/v1/transactions', tx.text), `/${field}`, `${field} ${raw}`);
      if (field !== 'transaction_id') refused.push({ plural: 'transactions', id: tx.id });
    }
    assertFieldProblem(await post('numbers', '/v1/claims', claimWith('incident_date', '20261118').text), '/incident_date');
  });
});

describe('duplicate keys', () => {
  it('takes the last value, as JSON.parse does, and stores the value it validated', async () => {
    const record = transaction({ amount: 42.5 });
    const text = JSON.stringify(record).replace('"amount":42.5', '"amount":-1,"amount":42.5');
    assert.equal((await post('duplicate keys', '/v1/transactions', text)).status, 201);
    assert.equal((await get(`/v1/transactions/${record.transaction_id}`)).json().amount, 42.5);
  });

  it('refuses a record whose last duplicate is invalid, naming the field', async () => {
    const record = transaction({ amount: 42.5 });
    const text = JSON.stringify(record).replace('"amount":42.5', '"amount":42.5,"amount":-1');
    assertFieldProblem(await post('duplicate keys', '/v1/transactions', text), '/amount');
    refused.push({ plural: 'transactions', id: String(record.transaction_id) });
  });

  it('stores a record with a repeated id key under its last id only', async () => {
    const record = transaction();
    const first = `${record.transaction_id}-first`;
    const text = JSON.stringify(record).replace('"transaction_id":', `"transaction_id":"${first}","transaction_id":`);
    const res = await post('duplicate keys', '/v1/transactions', text);
    assert.equal(res.status, 201);
    assert.equal(res.json().id, record.transaction_id);
    refused.push({ plural: 'transactions', id: first });
  });

  it('cannot change an accepted record with a repeated key: 409, and the first version stays', async () => {
    const [tx] = baseline;
    const stored = JSON.parse(tx.text);
    const original: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(stored)) if (k !== 'fraud' && k !== 'received_at') original[k] = v;
    const text = JSON.stringify(original).replace(/}$/, ',"amount":999999}');
    assertProblem(await post('duplicate keys', '/v1/transactions', text), 409);
    assert.equal((await get(tx.path)).text, tx.text);
  });

  it('takes the last "records" of a batch', async () => {
    const bad = transaction({ amount: -1 });
    const good = transaction();
    const res = await post('duplicate keys', '/v1/transactions/batch', `{"records":[${JSON.stringify(bad)}],"records":[${JSON.stringify(good)}]}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json().summary, { accepted: 1, duplicate: 0, rejected: 0, conflict: 0 });
    refused.push({ plural: 'transactions', id: String(bad.transaction_id) });
  });

  it('refuses prototype keys (__proto__, constructor.prototype) with 400', async () => {
    for (const path of ENDPOINTS) {
      const record = transaction();
      const inner = JSON.stringify(record).slice(1);
      for (const body of [`{"__proto__":{"amount":-1},${inner}`, `{"constructor":{"prototype":{"admin":true}},${inner}`, `{${inner.slice(0, -1)},"__proto__":{}}`]) {
        const wrapped = path.endsWith('/batch') ? `{"records":[${body}]}` : body;
        assertProblem(await post('duplicate keys', path, wrapped), 400, `${path} ${body.slice(0, 40)}`);
      }
      refused.push({ plural: 'transactions', id: String(record.transaction_id) });
    }
  });
});

describe('afterwards', () => {
  it('is still up and ready, lost nothing it had accepted, stored nothing it refused, and logged no error', async () => {
    assert.equal(svc.child.exitCode, null, 'process still running');
    assert.equal((await get('/healthz')).status, 200);
    assert.equal((await get('/readyz')).status, 200);
    for (const { path, text } of baseline) assert.equal((await get(path)).text, text, `${path} unchanged`);
    const ids = new Set(refused.map((r) => `${r.plural}/${r.id}`));
    for (const key of ids) {
      const res = await get(`/v1/${key.split('/')[0]}/${encodeURIComponent(key.slice(key.indexOf('/') + 1))}`);
      assert.equal(res.status, 404, `${key} must not be stored`);
    }
    assert.deepEqual(svc.errorLogs(), []);

    let total = 0;
    const lines: string[] = [];
    for (const [kind, statuses] of tally) {
      const sent = [...statuses.values()].reduce((a, b) => a + b, 0);
      total += sent;
      lines.push(`${kind}: ${sent} requests, statuses ${[...statuses].sort().map(([s, n]) => `${s === 0 ? 'closed' : s}×${n}`).join(' ')}`);
    }
    console.log(`bad input: ${total} requests; ${ids.size} refused records checked absent; ${baseline.length} baseline records unchanged`);
    for (const line of lines) console.log(`  ${line}`);
  });
});
