import { describe, expect, it } from 'vitest';
import { generateWorld } from '../../../src/emulator/generator/world.js';
import { EmulatorState } from '../../../src/emulator/state/state.js';
import { accessTokenRow } from '../../../src/endpoints/access-tokens.js';
import { actionRows } from '../../../src/endpoints/audit-log-actions.js';
import { auditLogRow } from '../../../src/endpoints/audit-logs.js';
import { bool, json, num, obj, str, ts } from '../../../src/sync/convert.js';
import { orgAccessTokenRow } from '../../../src/endpoints/org-access-tokens.js';
import { inviteRow } from '../../../src/endpoints/org-invites.js';
import { orgMemberRow } from '../../../src/endpoints/org-members.js';
import { orgSettingsRow } from '../../../src/endpoints/org-settings.js';
import { repositoryRow } from '../../../src/endpoints/repositories.js';
import { tagImageRows, tagRow } from '../../../src/endpoints/tags.js';
import { teamMemberRow } from '../../../src/endpoints/team-members.js';
import { teamRow } from '../../../src/endpoints/teams.js';
import * as t from '../../../src/db/schema/index.js';
import { imageKey } from '../../../src/hub/schemas.js';
import type { Row } from '../../../src/sync/context.js';
import { primaryKeyOf } from '../../../src/db/keys.js';
import { entities } from '../../../src/sync/entities.js';
import { auditEventHash } from '../../../src/sync/hash.js';
import { rowMapper } from '../../../src/sync/mapping.js';
import { rowHash } from '../../../src/sync/upsert.js';

// The hand-written mappers the column-name mapping replaced, kept verbatim as the reference: the
// generic mapping must produce exactly these rows (same columns, same values, same row hash),
// or every stored row would be rewritten once after an upgrade.
const legacy = (() => {
function orgMemberRow(org: string, raw: Record<string, unknown>): Row {
  return {
    org,
    id: String(raw.id ?? raw.username),
    username: str(raw.username),
    full_name: str(raw.full_name),
    email: str(raw.email),
    role: str(raw.role),
    type: str(raw.type),
    groups: json(raw.groups),
    is_guest: bool(raw.is_guest),
    company: str(raw.company),
    location: str(raw.location),
    date_joined: ts(raw.date_joined),
    last_logged_in_at: ts(raw.last_logged_in_at),
    member_last_seen_at: ts(raw.last_seen_at),
    last_desktop_version: str(raw.last_desktop_version),
    raw,
  };
}

function teamRow(org: string, raw: Record<string, unknown>): Row {
  return {
    org,
    id: num(raw.id),
    uuid: str(raw.uuid),
    name: str(raw.name),
    description: str(raw.description),
    member_count: num(raw.member_count),
    role: str(raw.role),
    raw,
  };
}

function teamMemberRow(org: string, team: string, raw: Record<string, unknown>): Row {
  return {
    org,
    team,
    id: String(raw.id ?? raw.username),
    username: str(raw.username),
    full_name: str(raw.full_name),
    email: str(raw.email),
    type: str(raw.type),
    raw,
  };
}

function orgSettingsRow(org: string, raw: Record<string, unknown>): Row {
  return {
    org,
    restricted_images: json(raw.restricted_images),
    registry_access_management: json(raw.registry_access_management),
    raw,
  };
}

function accessTokenRow(account: string, input: Record<string, unknown>): Row {
  const { token: _secret, ...raw } = input;
  return {
    uuid: String(raw.uuid),
    account,
    client_id: str(raw.client_id),
    creator_ip: str(raw.creator_ip),
    creator_ua: str(raw.creator_ua),
    created_at: ts(raw.created_at),
    last_used: ts(raw.last_used),
    generated_by: str(raw.generated_by),
    is_active: bool(raw.is_active),
    token_label: str(raw.token_label),
    scopes: json(raw.scopes),
    expires_at: ts(raw.expires_at),
    raw,
  };
}

function orgAccessTokenRow(org: string, input: Record<string, unknown>): Row {
  const { token: _secret, ...raw } = input;
  return {
    org,
    id: String(raw.id),
    label: str(raw.label),
    description: str(raw.description),
    created_by: str(raw.created_by),
    is_active: bool(raw.is_active),
    created_at: ts(raw.created_at),
    expires_at: ts(raw.expires_at),
    last_used_at: ts(raw.last_used_at),
    resources: json(raw.resources),
    raw,
  };
}

function inviteRow(org: string, raw: Record<string, unknown>): Row {
  return {
    org,
    id: String(raw.id),
    inviter_username: str(raw.inviter_username),
    invitee: str(raw.invitee),
    team: str(raw.team),
    role: str(raw.role),
    created_at: ts(raw.created_at),
    raw,
  };
}

function actionRows(account: string, body: Record<string, unknown>): Row[] {
  const rows: Row[] = [];
  for (const [group, value] of Object.entries(obj(body.actions))) {
    const groupObject = obj(value);
    const actions = Array.isArray(groupObject.actions) ? groupObject.actions : [];
    for (const item of actions) {
      const action = obj(item);
      const short = String(action.name);
      rows.push({
        account,
        name: short.startsWith(`${group}.`) ? short : `${group}.${short}`,
        group,
        group_label: str(groupObject.label),
        description: str(action.description),
        label: str(action.label),
        raw: { ...action, group },
      });
    }
  }
  return rows;
}

function tagRow(namespace: string, repository: string, raw: Record<string, unknown>): Row {
  return {
    namespace,
    repository,
    name: String(raw.name),
    id: num(raw.id),
    creator: num(raw.creator),
    last_updater: num(raw.last_updater),
    last_updater_username: str(raw.last_updater_username),
    repository_id: num(raw.repository),
    full_size: num(raw.full_size),
    v2: bool(raw.v2),
    // The spec calls it `status`; real responses say `tag_status`.
    tag_status: str(raw.tag_status ?? raw.status),
    tag_last_pulled: ts(raw.tag_last_pulled),
    tag_last_pushed: ts(raw.tag_last_pushed),
    last_updated: ts(raw.last_updated),
    media_type: str(raw.media_type),
    content_type: str(raw.content_type),
    digest: str(raw.digest),
    raw,
  };
}

function imagesOf(tag: Record<string, unknown>): unknown[] | undefined {
  const images = tag.images;
  if (Array.isArray(images)) return images;
  if (images !== null && typeof images === 'object') return [images];
  return undefined;
}

function tagImageRows(namespace: string, repository: string, tag: Record<string, unknown>): Row[] {
  const images = imagesOf(tag) ?? [];
  const rows = new Map<string, Row>();
  for (const value of images) {
    const image = obj(value);
    const digest = imageKey(image);
    rows.set(digest, {
      namespace,
      repository,
      tag: String(tag.name),
      digest,
      architecture: str(image.architecture),
      features: str(image.features),
      variant: str(image.variant),
      os: str(image.os),
      os_features: str(image.os_features),
      os_version: str(image.os_version),
      size: num(image.size),
      status: str(image.status),
      last_pulled: ts(image.last_pulled),
      last_pushed: ts(image.last_pushed),
      layers: json(image.layers),
      raw: image,
    });
  }
  return [...rows.values()];
}

function repositoryRow(namespace: string, raw: Record<string, unknown>): Row {
  return {
    namespace,
    name: String(raw.name),
    repository_type: str(raw.repository_type),
    status: num(raw.status),
    status_description: str(raw.status_description),
    description: str(raw.description),
    is_private: bool(raw.is_private),
    is_automated: bool(raw.is_automated),
    star_count: num(raw.star_count),
    pull_count: num(raw.pull_count),
    last_updated: ts(raw.last_updated),
    last_modified: ts(raw.last_modified),
    date_registered: ts(raw.date_registered),
    affiliation: str(raw.affiliation),
    media_types: json(raw.media_types),
    content_types: json(raw.content_types),
    categories: json(raw.categories),
    storage_size: num(raw.storage_size),
    user: str(raw.user),
    hub_user: str(raw.hub_user),
    collaborator_count: num(raw.collaborator_count),
    has_starred: bool(raw.has_starred),
    full_description: str(raw.full_description),
    permissions: json(raw.permissions),
    immutable_tags_settings: json(raw.immutable_tags_settings),
    source: str(raw.source),
    raw,
  };
}

function auditLogRow(account: string, raw: Record<string, unknown>): Row {
  return {
    account,
    event_hash: auditEventHash(account, raw),
    action: str(raw.action),
    name: str(raw.name),
    actor: str(raw.actor),
    data: json(raw.data),
    timestamp: ts(raw.timestamp),
    action_description: str(raw.action_description),
    raw,
  };
}
  return { orgMemberRow, teamRow, teamMemberRow, orgSettingsRow, accessTokenRow, orgAccessTokenRow, inviteRow, actionRows, tagRow, tagImageRows, repositoryRow, auditLogRow };
})();

type Item = Record<string, unknown>;
const items = (value: unknown): Item[] => value as Item[];

/** Emulator data of two seeds, with drift fields, plus hand-made edge cases (missing, null, odd values). */
function worlds() {
  return [1, 'mapping'].map((seed) => new EmulatorState(generateWorld(seed, 1), { now: () => Date.UTC(2026, 0, 1) }).snapshot());
}

function expectSame(actual: Row, expected: Row) {
  expect(actual).toStrictEqual(expected);
  expect(rowHash(actual)).toBe(rowHash(expected));
}

const edge: Item[] = [
  {},
  { id: 7, username: null, name: null, last_seen_at: '', created_at: '2024-01-01T00:00:00+02:00', is_active: 0, groups: null, scopes: ['repo:read'] },
  { id: 'x', username: 'u', status: 'inactive', tag_status: null, repository: '12', full_size: '34', v2: 'yes', images: { os: 'linux', architecture: 'amd64' } },
  { id: null, username: 'only-username', token: 'fake-secret', extra: { nested: true }, emulator_drift: 1 },
];

describe('keys come from the drizzle tables', () => {
  it.each([
    ['repositories', ['namespace', 'name']],
    ['tags', ['namespace', 'repository', 'name']],
    ['tagImages', ['namespace', 'repository', 'tag', 'digest']],
    ['auditLogs', ['account', 'event_hash']],
    ['auditLogActions', ['account', 'name']],
    ['orgMembers', ['org', 'id']],
    ['teams', ['org', 'id']],
    ['teamMembers', ['org', 'team', 'id']],
    ['orgSettings', ['org']],
    ['accessTokens', ['uuid']],
    ['orgAccessTokens', ['org', 'id']],
    ['orgInvites', ['org', 'id']],
  ] as const)('%s is keyed by %j', (name, keys) => {
    expect(entities[name].keys).toEqual(keys);
  });

  it('names the entity after its table', () => {
    expect(entities.tagImages.entity).toBe('tag_images');
    expect(entities.orgMembers.entity).toBe('org_members');
  });

  it('reads a single-column primary key', () => expect(primaryKeyOf(t.orgSettings)).toEqual(['org']));
});

describe('mapping by column name matches the hand-written mappers', () => {
  const data = worlds();

  it('org_members', () => {
    for (const world of data) for (const [org, list] of Object.entries(world.members)) for (const m of items(list)) expectSame(orgMemberRow(org, m), legacy.orgMemberRow(org, m));
    for (const m of edge) expectSame(orgMemberRow('acme', m), legacy.orgMemberRow('acme', m));
  });

  it('teams and team_members', () => {
    for (const world of data) {
      for (const [org, list] of Object.entries(world.teams)) for (const team of items(list)) expectSame(teamRow(org, team), legacy.teamRow(org, team));
      for (const [key, list] of Object.entries(world.teamMembers)) {
        const [org = '', team = ''] = key.split('/');
        for (const m of items(list)) expectSame(teamMemberRow(org, team, m), legacy.teamMemberRow(org, team, m));
      }
    }
    for (const item of edge) {
      expectSame(teamRow('acme', item), legacy.teamRow('acme', item));
      expectSame(teamMemberRow('acme', 'devs', item), legacy.teamMemberRow('acme', 'devs', item));
    }
  });

  it('org_settings, org_invites, org_access_tokens', () => {
    for (const world of data) {
      for (const [org, settings] of Object.entries(world.orgSettings)) expectSame(orgSettingsRow(org, settings as unknown as Item), legacy.orgSettingsRow(org, settings as unknown as Item));
      for (const [org, list] of Object.entries(world.invites)) for (const i of items(list)) expectSame(inviteRow(org, i), legacy.inviteRow(org, i));
      for (const [org, list] of Object.entries(world.orgAccessTokens)) for (const o of items(list)) expectSame(orgAccessTokenRow(org, o), legacy.orgAccessTokenRow(org, o));
    }
    for (const item of edge) {
      expectSame(orgSettingsRow('acme', item), legacy.orgSettingsRow('acme', item));
      expectSame(inviteRow('acme', item), legacy.inviteRow('acme', item));
      expectSame(orgAccessTokenRow('acme', item), legacy.orgAccessTokenRow('acme', item));
    }
  });

  it('access_tokens (the secret dropped the same way)', () => {
    for (const world of data) for (const pat of items(world.accessTokens)) expectSame(accessTokenRow(world.user, pat), legacy.accessTokenRow(world.user, pat));
    for (const item of edge) expectSame(accessTokenRow('alice', item), legacy.accessTokenRow('alice', item));
  });

  it('audit_log_actions', () => {
    for (const world of data) {
      for (const [account, catalogue] of Object.entries(world.auditActions)) {
        const actual = actionRows(account, catalogue as unknown as Item);
        const expected = legacy.actionRows(account, catalogue as unknown as Item);
        expect(actual.length).toBeGreaterThan(0);
        expect(actual).toHaveLength(expected.length);
        actual.forEach((row, i) => expectSame(row, expected[i]!));
      }
    }
  });

  it('audit_logs', () => {
    for (const world of data) for (const [account, list] of Object.entries(world.auditLogs)) for (const e of items(list)) expectSame(auditLogRow(account, e), legacy.auditLogRow(account, e));
    for (const item of edge) expectSame(auditLogRow('acme', item), legacy.auditLogRow('acme', item));
  });

  it('repositories, tags and tag_images', () => {
    let tagCount = 0;
    for (const world of data) {
      for (const [namespace, list] of Object.entries(world.repositories)) for (const r of items(list)) expectSame(repositoryRow(namespace, r), legacy.repositoryRow(namespace, r));
      for (const [key, list] of Object.entries(world.tags)) {
        const [namespace = '', repository = ''] = key.split('/');
        for (const tag of items(list)) {
          tagCount++;
          expectSame(tagRow(namespace, repository, tag), legacy.tagRow(namespace, repository, tag));
          const actual = tagImageRows(namespace, repository, tag);
          const expected = legacy.tagImageRows(namespace, repository, tag);
          expect(actual).toHaveLength(expected.length);
          actual.forEach((row, i) => expectSame(row, expected[i]!));
        }
      }
    }
    expect(tagCount).toBeGreaterThan(100);
    for (const item of edge) {
      expectSame(repositoryRow('acme', item), legacy.repositoryRow('acme', item));
      expectSame(tagRow('acme', 'api', item), legacy.tagRow('acme', 'api', item));
      expect(tagImageRows('acme', 'api', item)).toStrictEqual(legacy.tagImageRows('acme', 'api', item));
    }
  });
});

describe('rowMapper', () => {
  it('refuses an exception that names no column', () => {
    expect(() => rowMapper(t.teams, { columns: { nmae: 'name' } })).toThrow(/no column "nmae"/);
  });

  it('converts by column type and takes context columns as they are', () => {
    const map = rowMapper(t.teams);
    expect(map({ id: '5', name: 3, member_count: '2', org: 'ignored' }, { org: 'acme' })).toStrictEqual({
      org: 'acme', id: 5, uuid: null, name: '3', description: null, member_count: 2, role: null, raw: { id: '5', name: 3, member_count: '2', org: 'ignored' },
    });
  });
});
