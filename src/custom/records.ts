import { JSONPath } from 'jsonpath-plus';
import { z } from 'zod';
import { customRecords } from '../db/schema/index.js';
import { extractPage } from '../hub/pagination.js';
import { firstUnstorable, keyTextBudget } from '../hub/schemas.js';
import { primaryKeyColumns } from '../db/keys.js';
import { hashOf, stableStringify } from '../sync/hash.js';
import { toJsonPath, type ColumnType } from './config.js';
import { pgInputProblem } from './pg-input.js';

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

/** A page with nothing in it: no body, an empty object or list, empty text. */
function emptyBody(body: unknown): boolean {
  if (body === undefined || body === null || body === '') return true;
  if (Array.isArray(body)) return body.length === 0;
  return typeof body === 'object' && Object.keys(body).length === 0;
}

/** A path that names one place (`$.data.items`, `$['x'][0]`): no wildcard, recursion or filter. */
function definitePath(path: string): boolean {
  return !/\*|\.\.|\?\(|\(|,|:/.test(path.replace(/'[^']*'|"[^"]*"/g, "''"));
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value} (${JSON.stringify(value).slice(0, 40)})`;
}

/** What a page has at its top (for a message about a data path that found nothing there). */
function topLevel(body: unknown): { keys?: string[]; kind: string; said: string } {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const keys = Object.keys(body);
    const shown = keys.slice(0, 20);
    return { keys, kind: 'an object', said: `its top-level keys are ${shown.join(', ')}${keys.length > shown.length ? `, … (${keys.length} in all)` : ''}` };
  }
  return { kind: kindOf(body), said: `it is ${kindOf(body)}${Array.isArray(body) ? ` of ${body.length} item(s)` : ''}` };
}

/**
 * Why a page cannot be read with `dataPath`, or undefined. A data path that matches nothing in a
 * non-empty page (the API renamed the field), a list path (`$.results[*]`) whose list is not a
 * list, or a record path that finds a scalar or a list where a record belongs: such a page does
 * not show the records, so it must not count as a listing that lacks them.
 */
export function dataPathProblem(body: unknown, dataPath: string | undefined): { message: string; payload: unknown } | undefined {
  if (dataPath === undefined || emptyBody(body)) return undefined;
  const path = toJsonPath(dataPath);
  const top = topLevel(body);
  const payload = { dataPath: path, ...(top.keys ? { top_level_keys: top.keys } : { page: top.kind }) };
  const list = /\[\*\]$/.test(path) ? path.slice(0, -3) : /\.\*$/.test(path) ? path.slice(0, -2) : undefined;
  if (list !== undefined) {
    const containers = list === '$' ? [body] : selectAll(list, body);
    if (containers.length === 0) {
      return definitePath(list) ? { message: `dataPath ${path} matched nothing in the page: ${list} is not there (${top.said})`, payload } : undefined;
    }
    const wrong = containers.find((c) => !Array.isArray(c) && !(path.endsWith('.*') && c !== null && typeof c === 'object'));
    if (wrong !== undefined) return { message: `dataPath ${path}: ${list} is ${kindOf(wrong)}, not a list of records (${top.said})`, payload };
    return undefined;
  }
  const found = selectAll(path, body);
  if (found.length === 0) return definitePath(path) ? { message: `dataPath ${path} matched nothing in the page (${top.said})`, payload } : undefined;
  const wrong = found.find((item) => item === null || typeof item !== 'object' || Array.isArray(item));
  if (wrong !== undefined) {
    return { message: `dataPath ${path} found ${kindOf(wrong)} where a record (an object) belongs${Array.isArray(wrong) ? `; for the items of a list use ${path}[*]` : ''} (${top.said})`, payload };
  }
  return undefined;
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

/** Why `value` cannot be read as `type` by the generated view, or undefined (Postgres' input rules: src/custom/pg-input.ts). */
export function columnValueProblem(value: unknown, type: ColumnType): string | undefined {
  return pgInputProblem(value, type);
}

/** UTF-8 bytes a record key may have: the primary key's index entry must fit in a Postgres page. */
export const RECORD_KEY_BYTES = keyTextBudget(primaryKeyColumns(customRecords).length);

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
    // jsonb and text refuse NUL characters and broken surrogates: such a record would fail the page's upsert.
    const unstorable = firstUnstorable(record, []);
    if (unstorable) ctx.addIssue({ code: 'custom', message: unstorable.message, path: unstorable.path });
    const key = recordKeyOf(record, check.keys);
    if ('missing' in key) ctx.addIssue({ code: 'custom', message: `key ${key.missing} has no value`, path: [key.missing] });
    else if (Buffer.byteLength(key.key, 'utf8') > RECORD_KEY_BYTES) {
      ctx.addIssue({ code: 'custom', message: `the record key (${Buffer.byteLength(key.key, 'utf8')} bytes) is longer than the ${RECORD_KEY_BYTES} bytes a record key can hold`, path: [] });
    }
    for (const column of check.columns) {
      let value: unknown = record;
      for (const segment of column.segments) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
      const problem = columnValueProblem(value, column.type);
      if (problem) ctx.addIssue({ code: 'custom', message: `column ${column.name} (${column.type}): ${JSON.stringify(value)} ${problem}`, path: [...column.segments] });
    }
  });
}
