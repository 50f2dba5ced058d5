import { getTableColumns, getTableName, type Column } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { bool, json, num, str, ts } from './convert.js';
import { primaryKeyOf } from '../db/keys.js';
import type { Row } from './upsert.js';

/** Columns every entity table has that the sync itself maintains (never mapped from the API). */
const BOOKKEEPING = new Set(['raw', 'row_hash', 'first_seen_at', 'last_seen_at', 'deleted_at']);

/** API value → column value, by the column's SQL type. */
export type Converter = (value: unknown) => unknown;

const CONVERTERS: Record<string, Converter> = {
  PgText: str,
  PgVarchar: str,
  PgInteger: num,
  PgBigInt53: num,
  PgSmallInt: num,
  PgDoublePrecision: num,
  PgReal: num,
  PgBoolean: bool,
  PgTimestampString: ts,
  PgTimestamp: ts,
  PgJsonb: json,
  PgJson: json,
};

/** Key columns are never null: a text key is the API value as text (as Hub's ids are numbers or strings). */
const keyText: Converter = (value) => String(value);

/**
 * Where a column gets its value when it is not the same-named API field:
 * - a string names another API field (`member_last_seen_at: 'last_seen_at'`), converted by the column's type;
 * - a function computes the value from the item and the context (`id: (item) => item.id ?? item.username`),
 *   also converted by the column's type.
 */
export type ColumnSource = string | ((item: Record<string, unknown>, context: Record<string, unknown>) => unknown);

export interface RowMapping {
  /** The exceptions to "column = same-named API field". */
  columns?: Record<string, ColumnSource>;
  /** Columns this mapping leaves alone (another step owns them; they keep their stored values). */
  skip?: readonly string[];
  /** What is stored in `raw` (and read by the columns): e.g. the item without its secret. Default: the item. */
  raw?: (item: Record<string, unknown>) => Record<string, unknown>;
}

export type RowMapper = (item: Record<string, unknown>, context?: Record<string, unknown>) => Row;

interface ColumnPlan {
  name: string;
  convert: Converter;
  source: ColumnSource;
}

/**
 * A row mapper built from the drizzle table itself: every column is filled from the API field of
 * the same name with the converter for the column's type; a column named in the context (the
 * slice's `org`, `namespace`, `repository` …) takes the context value as it is; `raw` holds the
 * whole item. `mapping` lists only the exceptions. Throws at definition time on a column type it
 * cannot convert or an exception that names no column, so a typo never reaches a sync.
 */
export function rowMapper(table: PgTable, mapping: RowMapping = {}): RowMapper {
  const tableName = getTableName(table);
  const columns = getTableColumns(table) as Record<string, Column>;
  const keys = new Set(primaryKeyOf(table));
  const skip = new Set(mapping.skip ?? []);
  for (const name of [...Object.keys(mapping.columns ?? {}), ...skip]) {
    if (!(name in columns)) throw new Error(`mapping of ${tableName}: there is no column "${name}"`);
  }
  const plans: ColumnPlan[] = [];
  for (const [name, column] of Object.entries(columns)) {
    if (BOOKKEEPING.has(name) || skip.has(name)) continue;
    const typed = CONVERTERS[column.columnType];
    if (!typed) throw new Error(`mapping of ${tableName}: column "${name}" has type ${column.columnType}, which has no converter`);
    const convert = keys.has(name) && typed === str ? keyText : typed;
    plans.push({ name, convert, source: mapping.columns?.[name] ?? name });
  }
  const prepare = mapping.raw;
  return (item, context = {}) => {
    const raw = prepare ? prepare(item) : item;
    const row: Record<string, unknown> = {};
    for (const plan of plans) {
      if (typeof plan.source === 'string' && plan.source === plan.name && Object.prototype.hasOwnProperty.call(context, plan.name)) {
        row[plan.name] = context[plan.name];
        continue;
      }
      const value = typeof plan.source === 'function' ? plan.source(raw, context) : raw[plan.source];
      row[plan.name] = plan.convert(value);
    }
    row.raw = raw;
    return row as Row;
  };
}
