import type { ColumnType } from './config.js';

/**
 * Can Postgres read this JSON value as the declared column type, the way the generated view reads
 * it (`data #>> path` cast to the type; a JSON number in a timestamptz column is unix seconds)?
 * A pure function that follows Postgres' own input rules (int4in, int8in, numeric_in, float8in,
 * boolin, date_in, timestamptz_in, to_timestamp): every value it accepts, Postgres 15 and later
 * accept (test/integration/custom/pg-input.test.ts runs a table of inputs through real casts).
 * It is stricter in a few places on purpose: dates and timestamps must be ISO 8601 with a 4-digit
 * year (not "today", "epoch", "20250101", "Jan 8 1999" or a time of 24:00), and numbers decimal
 * (not 0x10 or 1_000, which Postgres 16 reads as integers and numerics and 15 refuses).
 */
export function pgInputProblem(value: unknown, type: ColumnType): string | undefined {
  if (value === undefined || value === null) return undefined;
  switch (type) {
    case 'text':
    case 'jsonb':
      return undefined;
    case 'integer':
      return integerProblem(value, INT4, 'integer');
    case 'bigint':
      return integerProblem(value, INT8, 'bigint');
    case 'numeric':
      return numericProblem(value);
    case 'double precision':
      return doubleProblem(value);
    case 'boolean':
      return booleanProblem(value);
    case 'date':
      return typeof value === 'string' && isoDateTime(value, 'date') ? undefined : 'is not a date (YYYY-MM-DD)';
    case 'timestamptz':
      if (typeof value === 'number') return unixSecondsProblem(value);
      return typeof value === 'string' && isoDateTime(value, 'timestamptz') ? undefined : 'is not a timestamp (ISO 8601, or unix seconds as a number)';
  }
}

// Postgres skips these around a value (isspace in the C locale); JavaScript's trim() skips more.
const WS = '[ \\t\\n\\r\\v\\f]*';
const around = (inner: string) => new RegExp(`^${WS}(?:${inner})${WS}$`);

const INT4 = { min: -(2n ** 31n), max: 2n ** 31n - 1n };
const INT8 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const INTEGER_TEXT = around('([+-]?\\d+)');

/** The text `data #>> path` gives for a JSON scalar (what the view casts). */
function viewText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

function integerProblem(value: unknown, range: { min: bigint; max: bigint }, name: string): string | undefined {
  let whole: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return 'is not a whole number';
    whole = BigInt(value);
  } else {
    const match = typeof value === 'string' ? INTEGER_TEXT.exec(value) : null;
    if (!match) return 'is not a whole number';
    whole = BigInt(match[1]!);
  }
  return whole < range.min || whole > range.max ? `is out of range for ${name}` : undefined;
}

const DECIMAL = '([+-]?)(\\d+\\.?\\d*|\\.\\d+)(?:[eE]([+-]?\\d+))?';
const DECIMAL_TEXT = around(DECIMAL);
const SPECIAL = around('[+-]?(?:inf|infinity)|nan');
/** numeric_in: an exponent within ±INT32_MAX/2, at most 131072 digits before the point, 16383 after. */
const NUMERIC_MAX_EXPONENT = 1_073_741_823;
const NUMERIC_MAX_LEAD = 131_071;
const NUMERIC_MAX_SCALE = 16_383;

function numericProblem(value: unknown): string | undefined {
  if (typeof value === 'number') return undefined; // a JSON number is a numeric
  const text = viewText(value);
  if (text === undefined) return 'is not a number';
  if (SPECIAL.test(text.toLowerCase())) return undefined;
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return 'is not a number';
  const exponent = match[3] === undefined ? 0 : Number(match[3]);
  if (Math.abs(exponent) > NUMERIC_MAX_EXPONENT) return 'is out of range for numeric';
  const [whole = '', fraction = ''] = match[2]!.split('.');
  if (Math.max(0, fraction.length - exponent) > NUMERIC_MAX_SCALE) return 'is out of range for numeric';
  const significant = whole.replace(/^0+/, '');
  // The power of ten of the first digit that is not zero (a zero fits whatever its exponent).
  const lead = significant !== '' ? significant.length - 1 : /[1-9]/.test(fraction) ? -(fraction.search(/[1-9]/) + 1) : undefined;
  return lead !== undefined && lead + exponent > NUMERIC_MAX_LEAD ? 'is out of range for numeric' : undefined;
}

function doubleProblem(value: unknown): string | undefined {
  if (typeof value === 'number') return undefined; // parsed from JSON: always a finite double
  const text = viewText(value);
  if (text === undefined) return 'is not a number';
  if (SPECIAL.test(text.toLowerCase())) return undefined;
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return 'is not a number';
  const parsed = Number(`${match[1]}${match[2]}${match[3] === undefined ? '' : `e${match[3]}`}`);
  // float8in refuses overflow, and underflow to zero of a number that is not zero.
  if (!Number.isFinite(parsed)) return 'is out of range for double precision';
  if (parsed === 0 && /[1-9]/.test(match[2]!)) return 'is out of range for double precision';
  return undefined;
}

/** boolin: t/true, f/false, y/yes, n/no (any prefix), on, off (at least "of"), 1, 0; any case. */
function booleanProblem(value: unknown): string | undefined {
  if (typeof value === 'boolean') return undefined;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : undefined;
  const word = text === undefined ? undefined : /^[ \t\n\r\v\f]*(.*?)[ \t\n\r\v\f]*$/s.exec(text)![1]!.toLowerCase();
  if (word !== undefined && word !== '') {
    if (['true', 'false', 'yes', 'no'].some((full) => full.startsWith(word))) return undefined;
    if (['on', 'off', 'of', '1', '0'].includes(word)) return undefined;
  }
  return 'is not a boolean (true/false, yes/no, on/off, 1/0)';
}

const ISO = around(
  '(\\d{4})-(\\d{2})-(\\d{2})' + // date
    '(?:[T ](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.\\d+)?)?' + // time of day
    '(?: ?(?:[Zz]|[+-](\\d{2})(?::?(\\d{2}))?))?)?', // offset
);

/** An ISO 8601 date (and for timestamptz a time and offset) of a real day in the years 1 to 9999. */
function isoDateTime(text: string, type: 'date' | 'timestamptz'): boolean {
  const match = ISO.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return false;
  if (match[4] !== undefined) {
    if (Number(match[4]) > 23 || Number(match[5]) > 59 || Number(match[6] ?? 0) > 59) return false;
    if (Number(match[7] ?? 0) > 15 || Number(match[8] ?? 0) > 59) return false;
  }
  return type === 'date' || type === 'timestamptz';
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** to_timestamp(seconds) takes instants from 4714-11-24 BC to before 294277-01-01 (Julian day 0 to TIMESTAMP_END_JULIAN). */
const UNIX_MIN = -210_866_803_200;
const UNIX_END = 9_224_318_016_000;

function unixSecondsProblem(seconds: number): string | undefined {
  return seconds >= UNIX_MIN && seconds < UNIX_END ? undefined : 'is not a timestamp (out of range as unix seconds)';
}
