import { getTableColumns, getTableName } from 'drizzle-orm';
import { getTableConfig, type PgColumn, type PgTable } from 'drizzle-orm/pg-core';

/**
 * Primary keys, read out of the drizzle tables: the table is the one place a key is written
 * down, and this module the one place that reads it (the sync's entity specs and mappings,
 * `endpoints show`, the custom records' key budget).
 */

/** The columns of a table's primary key: a composite `primaryKey({...})` or a single column declared `.primaryKey()`. */
export function primaryKeyColumns(table: PgTable): PgColumn[] {
  const config = getTableConfig(table);
  return config.primaryKeys[0]?.columns ?? config.columns.filter((column) => column.primary);
}

/** The primary key of a drizzle table, as the property names its columns have on the table object. */
export function primaryKeyOf(table: PgTable): string[] {
  const byName = new Map(Object.entries(getTableColumns(table)).map(([key, column]) => [column.name, key]));
  const names = primaryKeyColumns(table).map((column) => column.name);
  if (names.length === 0) throw new Error(`table ${getTableName(table)} has no primary key`);
  return names.map((name) => byName.get(name) ?? name);
}
