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

function renderAligned(fields: QueryField[], rows: (string | null)[][]): string {
  // Line breaks inside a value would break the columns; show them escaped.
  const cells = rows.map((row) => row.map((value) => (value ?? '').replaceAll('\r', '\\r').replaceAll('\n', '\\n')));
  const widths = fields.map((field, i) => Math.max(field.name.length, ...cells.map((row) => (row[i] ?? '').length)));
  // Numbers align right, as in psql.
  const pad = (cell: string, i: number) =>
    NUMERIC_TYPES.has(fields[i]!.typeId) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
  const line = (row: string[], align = true) =>
    row
      .map((cell, i) => (align ? pad(cell, i) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    line(fields.map((f) => f.name), false),
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
    const objects = result.rows.map((row) =>
      Object.fromEntries(result.fields.map((field, i) => [field.name, jsonValue(row[i] ?? null, field.typeId)])),
    );
    return `${JSON.stringify(objects, null, 2)}\n`;
  }
  const count = result.rows.length;
  return `${renderAligned(result.fields, result.rows)}\n(${count} ${count === 1 ? 'row' : 'rows'})\n`;
}
