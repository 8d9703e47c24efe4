import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import formatsModule from 'ajv-formats/dist/formats.js';
import { seededRandom as random } from '../../loadtest/lib/random.ts';
import { transactionKind } from '../src/ingest/kinds.ts';
import { dateTimeMs, isDateTime } from '../src/ingest/timestamp.ts';
import { createValidator } from '../src/ingest/validate.ts';

// What the service used before timestamp.ts, and what it must agree with.
const ajvDateTime = (formatsModule as any).fullFormats['date-time'].validate as (text: string) => boolean;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A valid RFC 3339 date-time in the strict form (T, Z or ±hh:mm) that Date.parse reads. */
function strictDateTime(next: () => number): string {
  const year = next() < 0.8 ? 1970 + Math.floor(next() * 130) : 100 + Math.floor(next() * 9900);
  const month = 1 + Math.floor(next() * 12);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const day = 1 + Math.floor(next() * (month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31));
  const time = `${pad(Math.floor(next() * 24))}:${pad(Math.floor(next() * 60))}:${pad(Math.floor(next() * 60))}`;
  const digits = Math.floor(next() * 10); // 0: no fraction
  const fraction = digits === 0 ? '' : '.' + Array.from({ length: digits }, () => Math.floor(next() * 10)).join('');
  const zone = next() < 0.4 ? 'Z' : `${next() < 0.5 ? '+' : '-'}${pad(Math.floor(next() * 24))}:${pad(Math.floor(next() * 60))}`;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${time}${fraction}${zone}`;
}

describe('RFC 3339 timestamps (timestamp.ts)', () => {
  it('gives the instant Date.parse gives, for 20,000 date-times with fractions and offsets', () => {
    const next = random(1);
    for (let i = 0; i < 20_000; i++) {
      const text = strictDateTime(next);
      assert.equal(dateTimeMs(text), Date.parse(text), text);
      assert.equal(isDateTime(text), true, text);
    }
  });

  it('reads the forms ajv-formats also accepts (t, z, a space, +hh, +hhmm) as their strict equivalents', () => {
    const cases: Array<[string, string]> = [
      ['2026-11-22t10:00:00z', '2026-11-22T10:00:00Z'],
      ['2026-11-22 10:00:00.5Z', '2026-11-22T10:00:00.500Z'],
      ['2026-11-22T10:00:00+01', '2026-11-22T10:00:00+01:00'],
      ['2026-11-22T10:00:00-0130', '2026-11-22T10:00:00-01:30'],
      ['0000-01-01T00:00:00Z', '0000-01-01T00:00:00Z'],
      ['9999-12-31T23:59:59.999999Z', '9999-12-31T23:59:59.999Z'],
      ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00Z'],
      ['2000-02-29T12:00:00Z', '2000-02-29T12:00:00Z'],
    ];
    for (const [text, strict] of cases) {
      assert.equal(isDateTime(text), true, text);
      assert.equal(ajvDateTime(text), true, text);
      assert.equal(dateTimeMs(text), Date.parse(strict), text);
    }
  });

  it('refuses what is not a date-time, as ajv-formats does', () => {
    for (const text of ['', '2026-11-22', '2026-11-22T10:00:00', '2026-11-22T10:00Z', '2026-13-01T00:00:00Z', '2026-00-01T00:00:00Z',
      '2023-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-11-22T24:00:00Z', '2026-11-22T10:60:00Z',
      '2026-11-22T10:00:61Z', '2026-11-22T10:00:00.Z', '2026-11-22T10:00:00+24:00', '2026-11-22T10:00:00+01:60', '2026-11-22T10:00:00+1',
      '2026-11-22T10:00:00+01:', '2026-11-22T10:00:00+01:000', '2026-11-22T10:00:00ZZ', '2026-11-22X10:00:00Z', '٢٠٢٦-11-22T10:00:00Z',
      '2026-11-22T10:00:00Z ', ' 2026-11-22T10:00:00Z', '+2026-11-22T10:00:00Z']) {
      assert.equal(isDateTime(text), false, JSON.stringify(text));
      assert.equal(ajvDateTime(text), false, JSON.stringify(text));
      assert.ok(Number.isNaN(dateTimeMs(text)), JSON.stringify(text));
    }
  });

  it('accepts the leap second (23:59:60 in UTC) as a date-time that has no epoch instant', () => {
    for (const text of ['2016-12-31T23:59:60Z', '2016-12-31T23:59:60.5Z', '2017-01-01T00:59:60+01:00', '2016-12-31T18:59:60-05:00', '2016-12-31T23:30:60-00:29']) {
      assert.equal(isDateTime(text), true, text);
      assert.equal(ajvDateTime(text), true, text);
      assert.ok(Number.isNaN(dateTimeMs(text)), text);
    }
    for (const text of ['2016-12-31T23:58:60Z', '2016-12-31T23:59:60+01:00', '2016-12-31T23:59:60-00:01']) {
      assert.equal(isDateTime(text), false, text);
      assert.equal(ajvDateTime(text), false, text);
    }
    // The one place the two differ: ajv-formats' leap-second branch checks only the UTC hour.
    assert.equal(ajvDateTime('2026-11-22T24:59:30+01:00'), true);
    assert.equal(isDateTime('2026-11-22T24:59:30+01:00'), false);
  });

  it('agrees with ajv-formats on 100,000 mutated date-times, except the hours past 23 it lets through', () => {
    const next = random(2);
    const alphabet = '0123456789:-+.TtZz \n\u00a0x';
    const looseOnly: string[] = [];
    let valid = 0;
    for (let i = 0; i < 100_000; i++) {
      const chars = [...strictDateTime(next)];
      for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
        const at = Math.floor(next() * (chars.length + 1));
        const c = alphabet[Math.floor(next() * alphabet.length)];
        const what = next();
        if (what < 0.6) chars[at] = c;
        else if (what < 0.8) chars.splice(at, 0, c);
        else chars.splice(at, 1);
      }
      const text = chars.join('');
      const ours = isDateTime(text);
      const theirs = ajvDateTime(text);
      if (ours) valid++;
      if (ours === theirs) continue;
      // ajv-formats' leap-second branch checks the UTC hour only, so it passes e.g. 24:59:30+01:00.
      assert.ok(theirs && !ours, `we accept what ajv-formats refuses: ${JSON.stringify(text)}`);
      assert.ok(/[T\s]2[4-9]:|[T\s][3-9]\d:|:[6-9]\d:/i.test(text), `ajv-formats accepts ${JSON.stringify(text)}`);
      looseOnly.push(text);
    }
    assert.ok(valid > 5_000, `enough mutations stayed valid to compare (${valid})`);
    assert.ok(looseOnly.length < 100, `${looseOnly.length} differences`);
  });

  it('lets the validator accept, with the right instant, forms Date.parse refused or misread', () => {
    const validate = createValidator(transactionKind);
    const transaction = (timestamp: string) => ({
      transaction_id: 'tx-ts', timestamp, account_id: 'acc-1', customer_id: 'cust-1', amount: 10,
      currency: 'EUR', transaction_type: 'purchase', region: 'eu',
    });
    const cases: Array<[string, number]> = [
      ['2026-11-22T10:00:00+01', Date.parse('2026-11-22T10:00:00+01:00')], // Date.parse: NaN
      ['2026-11-22\u202810:00:00Z', Date.parse('2026-11-22T10:00:00Z')], // Date.parse: NaN
      ['0050-06-01 00:00:00Z', Date.parse('0050-06-01T00:00:00Z')], // Date.parse: the year 1950
    ];
    for (const [timestamp, expected] of cases) {
      const outcome = validate(transaction(timestamp));
      assert.ok(outcome.ok, JSON.stringify(timestamp));
      assert.equal(outcome.timestampMs, expected, JSON.stringify(timestamp));
    }
  });
});
