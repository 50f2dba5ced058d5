import { getTableColumns, getTableName } from 'drizzle-orm';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import * as t from '../db/schema/index.js';
import type { EntitySpec } from './upsert.js';

/**
 * The primary key of a drizzle table, as its column names: a composite `primaryKey({...})` or a
 * single column declared `.primaryKey()`. The table is the one place a key is written down.
 */
export function primaryKeyOf(table: PgTable): string[] {
  const config = getTableConfig(table);
  const byName = new Map(Object.entries(getTableColumns(table)).map(([key, column]) => [column.name, key]));
  const composite = config.primaryKeys[0];
  const names = composite ? composite.columns.map((column) => column.name) : config.columns.filter((column) => column.primary).map((column) => column.name);
  if (names.length === 0) throw new Error(`table ${getTableName(table)} has no primary key`);
  return names.map((name) => byName.get(name) ?? name);
}

/** An entity table with its key taken from the table; `entity` (what `changes.entity` says) defaults to the table name. */
export function entitySpec(table: PgTable, entity: string = getTableName(table)): EntitySpec {
  return { entity, table, keys: primaryKeyOf(table) };
}

/** Every built-in entity table with its key; `entity` is what `changes.entity` says. */
export const entities = {
  repositories: entitySpec(t.repositories),
  tags: entitySpec(t.tags),
  tagImages: entitySpec(t.tagImages),
  auditLogs: entitySpec(t.auditLogs),
  auditLogActions: entitySpec(t.auditLogActions),
  orgMembers: entitySpec(t.orgMembers),
  teams: entitySpec(t.teams),
  teamMembers: entitySpec(t.teamMembers),
  orgSettings: entitySpec(t.orgSettings),
  accessTokens: entitySpec(t.accessTokens),
  orgAccessTokens: entitySpec(t.orgAccessTokens),
  orgInvites: entitySpec(t.orgInvites),
} satisfies Record<string, EntitySpec>;
