// A report CSV read against its schema: the header must name exactly the columns the schema lists
// (one it does not list, or one it lists that is missing, refuses the report), and every value
// must be of its column's type. Bytes stream into csv-parse and records out of it in batches;
// nothing here holds the whole file or the whole report as rows.

import { pipeline, Readable } from 'node:stream';
import { parse } from 'csv-parse';

export interface ReportField {
  name: string;
  type: string;
}

/** A report that cannot be loaded as it is; the message names the report, the column or line, and why. */
export class ReportRefusedError extends Error {
  override name = 'ReportRefusedError';
}

/** A value as its column's type says: numbers, booleans, ISO dates and timestamps, else the text. */
export type TypedValue = string | number | boolean | null;
export type TypedRecord = Record<string, TypedValue>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** One CSV cell as the schema's type for it; throws a message without the report's name. */
export function typedValue(text: string, type: string): TypedValue {
  if (text === '') return null;
  switch (type.toLowerCase()) {
    case 'integer':
    case 'int':
    case 'bigint': {
      const n = Number(text);
      if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new Error(`"${text.slice(0, 40)}" is not an integer`);
      return n;
    }
    case 'float':
    case 'double':
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`"${text.slice(0, 40)}" is not a number`);
      return n;
    }
    case 'boolean':
    case 'bool': {
      const v = text.trim().toLowerCase();
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      throw new Error(`"${text.slice(0, 40)}" is not a boolean`);
    }
    case 'date':
      if (!DATE.test(text.trim()) || Number.isNaN(Date.parse(`${text.trim()}T00:00:00Z`))) throw new Error(`"${text.slice(0, 40)}" is not a YYYY-MM-DD date`);
      return text.trim();
    case 'timestamp':
    case 'datetime': {
      const ms = Date.parse(text);
      if (Number.isNaN(ms)) throw new Error(`"${text.slice(0, 40)}" is not a timestamp`);
      return new Date(ms).toISOString();
    }
    default:
      return text;
  }
}

/**
 * Why a header does not match the schema (or the schema lacks a column the table needs), or
 * undefined. `required` are the columns the table cannot do without, with their types.
 */
export function headerProblem(header: readonly string[], fields: readonly ReportField[], required: readonly ReportField[]): string | undefined {
  const listed = new Set(fields.map((f) => f.name));
  const lacking = required.filter((r) => !fields.some((f) => f.name === r.name && f.type.toLowerCase() === r.type));
  if (lacking.length > 0) {
    return `its schema does not list ${lacking.map((r) => `${r.name} (${r.type})`).join(', ')}, which pull_usage needs (schema: ${fields.map((f) => `${f.name} ${f.type}`).join(', ')})`;
  }
  const repeated = header.filter((name, i) => header.indexOf(name) !== i);
  if (repeated.length > 0) return `the CSV header names ${[...new Set(repeated)].join(', ')} more than once`;
  const unlisted = header.filter((name) => !listed.has(name));
  const missing = fields.filter((f) => !header.includes(f.name)).map((f) => f.name);
  const problems: string[] = [];
  if (unlisted.length > 0) problems.push(`the CSV has column${unlisted.length > 1 ? 's' : ''} ${unlisted.join(', ')} that its schema does not list`);
  if (missing.length > 0) problems.push(`the CSV lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that its schema lists`);
  return problems.length > 0 ? `${problems.join('; ')} (schema: ${fields.map((f) => f.name).join(', ')}; CSV header: ${header.join(', ')})` : undefined;
}

/**
 * The records of a report CSV, typed by its schema, in batches of `batchSize`, read from the text
 * or from a byte stream as it arrives (backpressure holds the source while a batch is loaded).
 * Throws ReportRefusedError (named by `what`) for a header that does not match, a record of
 * another length, or a value that is not of its column's type; a failure of the source itself
 * (the network, a size cap) is thrown as it is, for it says nothing about the report.
 */
export async function* readReportCsv(
  source: string | AsyncIterable<Buffer | string>,
  fields: readonly ReportField[],
  options: { what: string; required: readonly ReportField[]; batchSize?: number },
): AsyncGenerator<TypedRecord[]> {
  const { what } = options;
  const batchSize = options.batchSize ?? 1000;
  const types = new Map(fields.map((f) => [f.name, f.type]));
  let sourceError: { error: unknown } | undefined;
  async function* tracked(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer | string> {
    try {
      yield* input;
    } catch (error) {
      sourceError = { error };
      throw error;
    }
  }
  const input = Readable.from(typeof source === 'string' ? [source] : tracked(source), { objectMode: false });
  const parser = pipeline(input, parse({ bom: true, skip_empty_lines: true, trim: false }), () => {});
  let header: string[] | undefined;
  let batch: TypedRecord[] = [];
  let line = 1;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = record.map((name) => name.trim());
        const problem = headerProblem(header, fields, options.required);
        if (problem) throw new ReportRefusedError(`${what} was refused: ${problem}. The report is not loaded; the others are.`);
        continue;
      }
      line++;
      batch.push(typedRecord(record, header, types, `${what}, record ${line}`));
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  } catch (error) {
    if (sourceError) throw sourceError.error;
    if (error instanceof ReportRefusedError) throw error;
    throw new ReportRefusedError(`${what} was refused: the CSV cannot be read (${error instanceof Error ? error.message : String(error)}). The report is not loaded; the others are.`);
  } finally {
    parser.destroy();
    input.destroy();
  }
  if (!header) throw new ReportRefusedError(`${what} was refused: the CSV is empty (no header line). The report is not loaded; the others are.`);
  if (batch.length > 0) yield batch;
}

function typedRecord(record: string[], header: string[], types: Map<string, string>, where: string): TypedRecord {
  const out: TypedRecord = {};
  header.forEach((name, i) => {
    try {
      out[name] = typedValue(record[i] ?? '', types.get(name) ?? 'string');
    } catch (error) {
      throw new ReportRefusedError(`${where} was refused: column ${name} (${types.get(name)}): ${(error as Error).message}. The report is not loaded; the others are.`);
    }
  });
  return out;
}
