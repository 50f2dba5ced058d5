import { getTableName } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { primaryKeyOf } from '../db/keys.js';
import * as t from '../db/schema/index.js';
import type { EntitySpec } from './upsert.js';

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
