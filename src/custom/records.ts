import { JSONPath } from 'jsonpath-plus';
import { z } from 'zod';
import { extractPage } from '../hub/pagination.js';
import { hashOf, stableStringify } from '../sync/hash.js';
import { toJsonPath, type ColumnType } from './config.js';

/**
 * What a user-defined endpoint makes of one response page: its records (dataPath), the metadata
 * around them (metadataPath), each record's key and cursor value, and whether the values of the
 * declared columns fit their types. Pure functions over JSON; the page loop stores the result.
 */

/** Every value the JSONPath selects in `json` (jsonpath-plus, evaluated safely). */
export function selectAll(path: string, json: unknown): unknown[] {
  const found = JSONPath({ path: toJsonPath(path), json: json as object, wrap: true, eval: 'safe' }) as unknown;
  return Array.isArray(found) ? found : [];
}

/** The first value the JSONPath selects, or undefined. */
export function selectOne(path: string, json: unknown): unknown {
  return selectAll(path, json)[0];
}

/**
 * The records of a page: the dataPath's matches, or without one the items of a Docker Hub list
 * envelope (`results`, `logs`, `data`, an array), or the body itself when it is a single object.
 * A record that is not an object is kept as `{ value: ... }`.
 */
export function recordsOf(body: unknown, dataPath: string | undefined): Record<string, unknown>[] {
  const found = dataPath !== undefined ? selectAll(dataPath, body) : (extractPage(body)?.items ?? (body === undefined || body === null ? [] : [body]));
  return found.map((item) => (item !== null && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : { value: item }));
}

/** The metadataPath's value: one match as it is, several as a list, none as null. */
export function metadataOf(body: unknown, metadataPath: string | undefined): unknown {
  if (metadataPath === undefined) return null;
  const found = selectAll(metadataPath, body);
  if (found.length === 0) return null;
  return found.length === 1 ? found[0] : found;
}

/** `record_key`: the key values (one as text, several as a JSON list), or a hash of the whole record without a key. */
export function recordKeyOf(record: Record<string, unknown>, keys: readonly string[]): { key: string } | { missing: string } {
  if (keys.length === 0) return { key: hashOf(record) };
  const values: unknown[] = [];
  for (const path of keys) {
    const value = selectOne(path, record);
    if (value === undefined || value === null || value === '') return { missing: path };
    values.push(value);
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : stableStringify(value));
  return { key: values.length === 1 ? text(values[0]) : JSON.stringify(values.map(text)) };
}

/** Order of two cursor values: instants by time, numbers by value, anything else as text. */
export function compareCursor(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') {
    const ta = /^\d{4}-\d{2}-\d{2}/.test(a) ? Date.parse(a) : Number.NaN;
    const tb = /^\d{4}-\d{2}-\d{2}/.test(b) ? Date.parse(b) : Number.NaN;
    if (!Number.isNaN(ta) && !Number.isNaN(tb) && ta !== tb) return ta - tb;
    if (!Number.isNaN(ta) && !Number.isNaN(tb)) return 0;
  }
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function maxCursor(a: unknown, b: unknown): unknown {
  if (a === undefined || a === null) return b;
  if (b === undefined || b === null) return a;
  return compareCursor(a, b) >= 0 ? a : b;
}

const INT4 = 2 ** 31;

/** Starts with a day that exists (Postgres refuses 2025-02-30; JavaScript rolls it over). */
function realDay(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}
const INT8_MAX = 9223372036854775807n;

/** Why `value` cannot be read as `type` by the generated view, or undefined. */
export function columnValueProblem(value: unknown, type: ColumnType): string | undefined {
  if (value === undefined || value === null) return undefined;
  const integerText = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? String(v) : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? v.trim() : undefined);
  switch (type) {
    case 'text':
    case 'jsonb':
      return undefined;
    case 'integer': {
      const text = integerText(value);
      return text !== undefined && Math.abs(Number(text)) < INT4 ? undefined : 'is not an integer (32-bit)';
    }
    case 'bigint': {
      const text = integerText(value);
      if (text === undefined) return 'is not a whole number';
      const big = BigInt(text);
      return big <= INT8_MAX && big >= -INT8_MAX - 1n ? undefined : 'is too large for bigint';
    }
    case 'numeric':
    case 'double precision':
      if (typeof value === 'number' && Number.isFinite(value)) return undefined;
      return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? undefined : 'is not a number';
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false' ? undefined : 'is not true or false';
    case 'timestamptz':
      if (typeof value === 'number' && Number.isFinite(value)) return undefined; // unix seconds
      return typeof value === 'string' && realDay(value) && !Number.isNaN(Date.parse(value)) ? undefined : 'is not a timestamp';
    case 'date':
      return typeof value === 'string' && realDay(value) ? undefined : 'is not a date';
  }
}

export interface RecordCheck {
  keys: readonly string[];
  /** Declared columns read from the record itself (not from `_parent`): path segments and type. */
  columns: readonly { name: string; segments: readonly string[]; type: ColumnType }[];
}

/**
 * The schema a record must pass to be stored: an object with every key present, and every
 * declared column holding a value its type can hold. A record that fails lands in sync_errors
 * with these messages, and the rest of the page is kept.
 */
export function recordSchema(check: RecordCheck): z.ZodType<Record<string, unknown>> {
  return z.record(z.string(), z.unknown()).superRefine((record, ctx) => {
    const key = recordKeyOf(record, check.keys);
    if ('missing' in key) ctx.addIssue({ code: 'custom', message: `key ${key.missing} has no value`, path: [key.missing] });
    for (const column of check.columns) {
      let value: unknown = record;
      for (const segment of column.segments) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
      const problem = columnValueProblem(value, column.type);
      if (problem) ctx.addIssue({ code: 'custom', message: `column ${column.name} (${column.type}): ${JSON.stringify(value)} ${problem}`, path: [...column.segments] });
    }
  });
}
