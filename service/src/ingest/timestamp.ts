// RFC 3339 date-times read from their characters, with no allocation: the `date-time` format check
// (the strings ajv-formats' full `date-time` accepts, which split the string and ran two regular
// expressions, a dozen small strings per record; except hours past 23, which its leap-second branch
// lets through) and the instant in epoch milliseconds (which Date.parse gave, and got wrong or NaN
// for some forms the format allows: `+01`, a U+2028 separator, years below 100 after a space).
// Both run on every record; docs/benchmarks.md has the cost before and after.

/** Fields of the last string scanned; module-level so that a scan allocates nothing. */
let year = 0;
let month = 0;
let day = 0;
let hour = 0;
let minute = 0;
let second = 0;
let millisecond = 0;
/** The offset from UTC in minutes, east positive (0 for `Z`). */
let offsetMinutes = 0;

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const isLeapYear = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

/** The value of the ASCII digit at `i`, or -1. */
function digit(text: string, i: number): number {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** The two-digit number at `i`, or -1. */
function twoDigits(text: string, i: number): number {
  const a = digit(text, i);
  const b = digit(text, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** What separates the date from the time in ajv-formats: `T`, `t` or a whitespace character. */
function isSeparator(code: number): boolean {
  return code === 84 || code === 116 || /\s/.test(String.fromCharCode(code));
}

/** The last text scanned and whether it scanned: validation checks the format (Ajv), then asks
 * for the instant of the same string, which then needs no second pass. */
let scannedText: string | undefined;
let scannedOk = false;

/**
 * Scans `YYYY-MM-DD`, a separator, `hh:mm:ss`, an optional fraction and a zone (`Z`, `z`, or
 * `+hh`, `+hhmm`, `+hh:mm`, the forms ajv-formats accepts), into the fields above. False when the
 * text has another shape or a field is out of range; the leap second 60 is left to the caller.
 */
function scan(text: string): boolean {
  if (text !== scannedText) {
    scannedOk = scanFields(text);
    scannedText = text;
  }
  return scannedOk;
}

function scanFields(text: string): boolean {
  const n = text.length;
  if (n < 20) return false; // the shortest: YYYY-MM-DDThh:mm:ssZ
  const y1 = twoDigits(text, 0);
  const y2 = twoDigits(text, 2);
  if (y1 < 0 || y2 < 0 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return false;
  year = y1 * 100 + y2;
  month = twoDigits(text, 5);
  day = twoDigits(text, 8);
  if (month < 1 || month > 12 || day < 1) return false;
  if (day > (month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month])) return false;
  if (!isSeparator(text.charCodeAt(10))) return false;
  hour = twoDigits(text, 11);
  minute = twoDigits(text, 14);
  second = twoDigits(text, 17);
  if (hour < 0 || minute < 0 || second < 0 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return false;
  let i = 19;
  millisecond = 0;
  if (text.charCodeAt(i) === 46) { // '.': one or more digits; the first three are milliseconds
    i++;
    const start = i;
    while (i < n && digit(text, i) >= 0) {
      if (i - start < 3) millisecond = millisecond * 10 + digit(text, i);
      i++;
    }
    if (i === start) return false;
    for (let k = i - start; k < 3; k++) millisecond *= 10;
  }
  const zone = text.charCodeAt(i);
  if (zone === 90 || zone === 122) { // 'Z' or 'z'
    offsetMinutes = 0;
    return i + 1 === n;
  }
  if (zone !== 43 && zone !== 45) return false; // '+' or '-'
  const offsetHours = twoDigits(text, i + 1);
  if (offsetHours < 0) return false;
  let offsetMins = 0;
  if (i + 3 < n) {
    const at = text.charCodeAt(i + 3) === 58 ? i + 4 : i + 3; // the colon is optional
    offsetMins = twoDigits(text, at);
    if (offsetMins < 0 || at + 2 !== n) return false;
  } else if (i + 3 !== n) {
    return false;
  }
  if (offsetHours > 23 || offsetMins > 59) return false;
  offsetMinutes = (zone === 45 ? -1 : 1) * (offsetHours * 60 + offsetMins);
  return true;
}

/** Whether the time is the leap second RFC 3339 allows: 23:59:60 in UTC. */
function isLeapSecond(): boolean {
  const utc = (((hour * 60 + minute - offsetMinutes) % 1440) + 1440) % 1440;
  return second === 60 && utc === 23 * 60 + 59;
}

/** The `date-time` format of JSON Schema, as ajv-formats' full mode checks it (time zone required). */
export function isDateTime(text: string): boolean {
  if (!scan(text)) return false;
  if (hour <= 23 && minute <= 59 && second <= 59) return true;
  return hour <= 23 && minute <= 59 && isLeapSecond();
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * The instant of an RFC 3339 date-time in epoch milliseconds (fractions past the millisecond
 * dropped, as Date.parse does), or NaN when the text is not one, or is a leap second, which no
 * epoch-millisecond clock can hold.
 */
export function dateTimeMs(text: string): number {
  if (!scan(text) || hour > 23 || minute > 59 || second > 59) return NaN;
  return ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + millisecond;
}
