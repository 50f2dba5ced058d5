import type { QueryField, QueryResult } from './sql.js';

/** Output of `dockerhub-sync sql`: an aligned table for people, CSV and JSON for other programs. */

export type OutputFormat = 'table' | 'csv' | 'json';

// Type OIDs whose text output maps onto a JSON number, boolean or document.
const INTEGER_TYPES = new Set([20, 21, 23, 26]); // int8, int2, int4, oid
const FLOAT_TYPES = new Set([700, 701]); // float4, float8
const BOOL = 16;
const JSON_TYPES = new Set([114, 3802]); // json, jsonb
const TEXT_ARRAY_TYPES = new Set([1009, 1015, 1002, 1014]); // text[], varchar[], char[], bpchar[]

/**
 * One cell as JSON text. json and jsonb are printed as the text Postgres sent (already JSON):
 * parsing it would round numbers to doubles (12345678901234567890, 1.10, 1e400 would change).
 */
export function jsonText(text: string | null, typeId: number): string {
  if (text !== null && JSON_TYPES.has(typeId)) return text;
  return JSON.stringify(jsonValue(text, typeId), null, 2).replaceAll('\n', '\n    ');
}

/**
 * Object keys for the columns of a result: the first column of a name keeps it, the next ones
 * get `_2`, `_3` … (SELECT 1 AS a, 2 AS a → a, a_2), skipping a key another column already has,
 * so no column is lost. CSV and the table keep the names as Postgres sent them.
 */
export function uniqueKeys(names: readonly string[]): string[] {
  const taken = new Set(names);
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    if (count === 1) return name;
    let n = count;
    let key = `${name}_${n}`;
    while (taken.has(key)) key = `${name}_${++n}`;
    taken.add(key);
    return key;
  });
}

/**
 * A JSON value for one cell. Numbers stay numbers only where JSON can hold them exactly (a
 * bigint beyond 2^53 and every numeric stay strings); json/jsonb become documents; text arrays
 * become arrays; everything else is Postgres's text.
 */
export function jsonValue(text: string | null, typeId: number): unknown {
  if (text === null) return null;
  if (INTEGER_TYPES.has(typeId)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : text;
  }
  if (FLOAT_TYPES.has(typeId)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  if (typeId === BOOL) return text === 't';
  if (JSON_TYPES.has(typeId)) return JSON.parse(text) as unknown;
  if (TEXT_ARRAY_TYPES.has(typeId)) return parseTextArray(text) ?? text;
  return text;
}

/** A one-dimensional Postgres array literal of text, e.g. `{a,"b c",NULL}`; undefined otherwise. */
export function parseTextArray(literal: string): (string | null)[] | undefined {
  if (!literal.startsWith('{') || !literal.endsWith('}')) return undefined;
  const body = literal.slice(1, -1);
  if (body === '') return [];
  const items: (string | null)[] = [];
  let i = 0;
  while (i <= body.length) {
    if (body[i] === '{') return undefined; // nested arrays stay text
    if (body[i] === '"') {
      let value = '';
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        value += body[i] ?? '';
        i++;
      }
      items.push(value);
      i += 2; // closing quote and comma
    } else {
      const end = body.indexOf(',', i);
      const raw = body.slice(i, end === -1 ? body.length : end);
      items.push(raw === 'NULL' ? null : raw);
      i = end === -1 ? body.length + 1 : end + 1;
    }
  }
  return items;
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled; NULL is empty. */
export function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\r\n]/.test(value) || value === '' ? `"${value.replaceAll('"', '""')}"` : value;
}

const NUMERIC_TYPES = new Set([20, 21, 23, 26, 700, 701, 1700]);

const NAMED_ESCAPES: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Tabs, line breaks and other control characters would break the columns; they print escaped (\t, \n, \x01). */
export function escapeControls(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]/g, (c) => NAMED_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function renderAligned(fields: QueryField[], rows: (string | null)[][]): string {
  const cells = rows.map((row) => row.map((value) => escapeControls(value ?? '')));
  const names = fields.map((field) => escapeControls(field.name));
  const widths = fields.map((_, i) => Math.max(names[i]!.length, ...cells.map((row) => (row[i] ?? '').length)));
  // Numbers align right, as in psql.
  const pad = (cell: string, i: number) =>
    NUMERIC_TYPES.has(fields[i]!.typeId) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
  const line = (row: string[], align = true) =>
    row
      .map((cell, i) => (align ? pad(cell, i) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    line(names, false),
    line(widths.map((w) => '-'.repeat(w)), false),
    ...cells.map((row) => line(row)),
  ].join('\n');
}

export function formatResult(result: QueryResult, format: OutputFormat): string {
  if (result.fields.length === 0) {
    // A statement without a result set: its command tag, whatever the format.
    if (format === 'json') return `${JSON.stringify({ command: result.command })}\n`;
    return `${result.command}\n`;
  }
  if (format === 'csv') {
    return `${[result.fields.map((f) => csvField(f.name)), ...result.rows.map((row) => row.map(csvField))]
      .map((line) => line.join(','))
      .join('\n')}\n`;
  }
  if (format === 'json') {
    const keys = uniqueKeys(result.fields.map((field) => field.name));
    if (result.rows.length === 0) return '[]\n';
    const objects = result.rows.map((row) => {
      const members = result.fields.map((field, i) => `    ${JSON.stringify(keys[i])}: ${jsonText(row[i] ?? null, field.typeId)}`);
      return `  {\n${members.join(',\n')}\n  }`;
    });
    return `[\n${objects.join(',\n')}\n]\n`;
  }
  const count = result.rows.length;
  return `${renderAligned(result.fields, result.rows)}\n(${count} ${count === 1 ? 'row' : 'rows'})\n`;
}
