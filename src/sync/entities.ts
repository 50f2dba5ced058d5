import * as t from '../db/schema/index.js';
import type { EntitySpec } from './upsert.js';

/** Every entity table with its key; `entity` is what `changes.entity` says. */
export const entities = {
  repositories: { entity: 'repositories', table: t.repositories, keys: ['namespace', 'name'] },
  tags: { entity: 'tags', table: t.tags, keys: ['namespace', 'repository', 'name'] },
  tagImages: { entity: 'tag_images', table: t.tagImages, keys: ['namespace', 'repository', 'tag', 'digest'] },
  auditLogs: { entity: 'audit_logs', table: t.auditLogs, keys: ['account', 'event_hash'] },
  auditLogActions: { entity: 'audit_log_actions', table: t.auditLogActions, keys: ['account', 'name'] },
  orgMembers: { entity: 'org_members', table: t.orgMembers, keys: ['org', 'id'] },
  teams: { entity: 'teams', table: t.teams, keys: ['org', 'id'] },
  teamMembers: { entity: 'team_members', table: t.teamMembers, keys: ['org', 'team', 'id'] },
  orgSettings: { entity: 'org_settings', table: t.orgSettings, keys: ['org'] },
  accessTokens: { entity: 'access_tokens', table: t.accessTokens, keys: ['uuid'] },
  orgAccessTokens: { entity: 'org_access_tokens', table: t.orgAccessTokens, keys: ['org', 'id'] },
  orgInvites: { entity: 'org_invites', table: t.orgInvites, keys: ['org', 'id'] },
} satisfies Record<string, EntitySpec>;
