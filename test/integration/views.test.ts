import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gt, sql, type SQL } from 'drizzle-orm';
import { getViewConfig } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { staleTags, VIEW_NAMES, views } from '../../src/db/views.js';
import { accessTokenRow } from '../../src/endpoints/access-tokens.js';
import { actionRows } from '../../src/endpoints/audit-log-actions.js';
import { auditLogRow } from '../../src/endpoints/audit-logs.js';
import { orgAccessTokenRow } from '../../src/endpoints/org-access-tokens.js';
import { inviteRow } from '../../src/endpoints/org-invites.js';
import { orgMemberRow } from '../../src/endpoints/org-members.js';
import { tagImageRows, tagRow } from '../../src/endpoints/tags.js';
import { normalizeTimestamp, stableStringify } from '../../src/sync/hash.js';
import { ROOT } from '../support/cli.js';
import { DAY_MS, syncedEmulator, type SyncedEmulator } from '../support/synced-emulator.js';

/**
 * Every view, checked against an answer computed here from the emulator's snapshot (what the
 * API served), not from the tables the views read. The database comes from two real sync
 * passes (see test/support/synced-emulator.ts), so history exists: pull growth over days,
 * visibility changes, deletions.
 */

type Json = Record<string, any>;

const iso = (value: unknown): string | null => normalizeTimestamp(value);
const ms = (value: unknown): number => Date.parse(String(value));
const days = (later: number, earlier: number): number => Math.floor((later - earlier) / DAY_MS);
const utcDay = (value: unknown): string => new Date(ms(value)).toISOString().slice(0, 10);
/** Sortable spelling of an ISO instant (fractions padded), for max/min over microsecond stamps. */
const sortable = (value: string) => value.replace(/(?:\.(\d+))?Z$/, (_m, f: string | undefined) => `.${(f ?? '').padEnd(6, '0')}Z`);
const later = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : sortable(a) >= sortable(b) ? a : b);
const earlier = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : sortable(a) <= sortable(b) ? a : b);

function sortBy<T extends Json>(rows: T[], keys: string[]): T[] {
  const keyOf = (row: T) => stableStringify(keys.map((k) => row[k] ?? null));
  return [...rows].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

/** Timestamp columns to UTC ISO text with microseconds trimmed (the same spelling on both sides). */
function normalize(row: Json, timestampColumns: string[]): Json {
  const out = { ...row };
  for (const column of timestampColumns) if (column in out) out[column] = iso(out[column]);
  return out;
}

describe('SQL views against a synced emulator', () => {
  let f: SyncedEmulator;

  beforeAll(async () => {
    f = await syncedEmulator();
  }, 600_000);
  afterAll(async () => {
    await f?.close();
  });

  const query = async <T = Json>(text: string | SQL) =>
    rowsOf<T>(await f.database.db.execute(typeof text === 'string' ? sql.raw(text) : text));

  /**
   * A view's rows and the now() they were computed against, read in one transaction under a
   * far-from-UTC session time zone: no view may depend on the session's time zone.
   */
  async function readView(name: string): Promise<{ now: number; rows: Json[] }> {
    return f.database.db.transaction(async (tx) => {
      await tx.execute(sql.raw(`SET LOCAL TimeZone = 'Asia/Kathmandu'`));
      const [clock] = rowsOf<{ now: string }>(await tx.execute(sql.raw(`SELECT to_jsonb(now()) #>> '{}' AS now`)));
      const rows = rowsOf<{ r: Json | string }>(await tx.execute(sql.raw(`SELECT to_jsonb(v) AS r FROM dockerhub.${name} v`)));
      return {
        now: ms(iso(clock!.now)),
        rows: rows.map(({ r }) => (typeof r === 'string' ? (JSON.parse(r) as Json) : r)),
      };
    });
  }

  const liveRepositories = () => Object.values(f.after.repositories).flat();
  const tagsOf = (namespace: string, name: string) => f.after.tags[`${namespace}/${name}`] ?? [];
  const inPass2 = (value: unknown) => {
    const at = ms(value);
    return at >= f.pass2.start.getTime() - 1000 && at <= f.pass2.end.getTime() + 1000;
  };

  it('every view in src/db/views.ts exists with exactly its columns and types', async () => {
    const columns = await query<{ table_name: string; column_name: string; data_type: string }>(`
      SELECT c.table_name, c.column_name, c.data_type
      FROM information_schema.columns c
      JOIN information_schema.views v ON v.table_schema = c.table_schema AND v.table_name = c.table_name
      WHERE c.table_schema = 'dockerhub' ORDER BY c.table_name, c.ordinal_position`);
    const inDb = [...new Set(columns.map((c) => c.table_name))].sort();
    expect(inDb).toEqual([...VIEW_NAMES].sort());
    for (const name of VIEW_NAMES) {
      const config = getViewConfig(views[name]);
      expect(config.name).toBe(name);
      expect(config.schema).toBe('dockerhub');
      const declared = Object.values(config.selectedFields as Record<string, { name: string; getSQLType(): string }>).map((c) => [c.name, c.getSQLType()]);
      const actual = columns.filter((c) => c.table_name === name).map((c) => [c.column_name, c.data_type]);
      expect(declared, name).toEqual(actual);
    }
  });

  it('docs/tables-and-views.md documents every view, every column, and its example queries run', async () => {
    const doc = readFileSync(path.join(ROOT, 'docs/tables-and-views.md'), 'utf8');
    const start = doc.indexOf('\n## Views');
    expect(start).toBeGreaterThan(-1);
    const end = doc.indexOf('\n## ', start + 5);
    const section = doc.slice(start, end === -1 ? undefined : end);
    expect(section.length).toBeGreaterThan(100);
    for (const name of VIEW_NAMES) {
      const start = section.indexOf(`### \`${name}\``);
      expect(start, `the docs have a section for ${name}`).toBeGreaterThan(-1);
      const end = section.indexOf('\n### ', start + 5);
      const text = section.slice(start, end === -1 ? undefined : end);
      const documented = new Set(
        text
          .split('\n')
          .filter((line) => line.startsWith('| `'))
          .flatMap((line) => [...line.split('|')[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!)),
      );
      const config = getViewConfig(views[name]);
      for (const column of Object.values(config.selectedFields as Record<string, { name: string }>)) {
        expect(documented.has(column.name), `the docs document ${name}.${column.name}`).toBe(true);
      }
      expect(text, `the docs have an example query for ${name}`).toMatch(new RegExp(`\`\`\`sql[\\s\\S]*dockerhub\\.${name}\\b`));
    }
    const statements = [...section.matchAll(/```sql\n([\s\S]*?)```/g)].flatMap((m) =>
      m[1]!
        .split(';')
        .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
        .filter(Boolean),
    );
    expect(statements.length).toBeGreaterThanOrEqual(VIEW_NAMES.length);
    for (const statement of statements) await query(statement);
  });

  it('stale_tags: every live tag with days since its last pull (or push, never pulled)', async () => {
    const { now, rows } = await readView('stale_tags');
    const firstSeen = new Map(
      (await query<{ k: string; first: string }>(`SELECT namespace || '/' || repository || ':' || name AS k, to_jsonb(first_seen_at) #>> '{}' AS first FROM dockerhub.tags`)).map(
        (r) => [r.k, iso(r.first)],
      ),
    );
    const expected: Json[] = [];
    for (const repo of liveRepositories()) {
      for (const tag of tagsOf(repo.namespace, repo.name)) {
        const row = tagRow(repo.namespace, repo.name, tag as unknown as Json);
        const idle = (row.tag_last_pulled ?? row.tag_last_pushed ?? row.last_updated ?? firstSeen.get(`${repo.namespace}/${repo.name}:${tag.name}`)) as string;
        expected.push({
          namespace: repo.namespace,
          repository: repo.name,
          tag: tag.name,
          is_private: repo.is_private,
          tag_status: row.tag_status,
          digest: row.digest,
          full_size: row.full_size,
          tag_last_pulled: iso(row.tag_last_pulled),
          tag_last_pushed: iso(row.tag_last_pushed),
          last_updated: iso(row.last_updated),
          never_pulled: row.tag_last_pulled === null,
          idle_since: iso(idle),
          days_since_pull: days(now, ms(idle)),
        });
      }
    }
    const timestamps = ['tag_last_pulled', 'tag_last_pushed', 'last_updated', 'idle_since'];
    const keys = ['namespace', 'repository', 'tag'];
    expect(expected.length).toBeGreaterThan(100);
    expect(sortBy(rows.map((r) => normalize(r, timestamps)), keys)).toEqual(sortBy(expected, keys));

    // The fixture's story shows: the fresh push is 0 days idle; the deleted repository is gone.
    const { freshTag, deletedRepository, deletedTag } = f.mutations;
    expect(rows.find((r) => r.repository === freshTag.repository && r.tag === freshTag.tag)?.days_since_pull).toBe(0);
    expect(rows.some((r) => r.namespace === deletedRepository.namespace && r.repository === deletedRepository.name)).toBe(false);
    expect(rows.some((r) => r.repository === deletedTag.repository && r.tag === deletedTag.tag)).toBe(false);
    expect(rows.some((r) => r.days_since_pull > 90)).toBe(true);
    // The typed handle filters the way docs/tables-and-views.md says.
    const viaDrizzle = await f.database.db.select().from(staleTags).where(gt(staleTags.days_since_pull, 90));
    expect(viaDrizzle.length).toBe(rows.filter((r) => r.days_since_pull > 90).length);
  });

  it('images_per_architecture: distinct images, tags and repositories per platform, size once per digest', async () => {
    const { rows } = await readView('images_per_architecture');
    interface Group { namespace: string; os: unknown; architecture: unknown; variant: unknown; digests: Map<string, number | null>; tags: Set<string>; repos: Set<string>; pushed: string | null; pulled: string | null }
    const groups = new Map<string, Group>();
    for (const repo of liveRepositories()) {
      for (const tag of tagsOf(repo.namespace, repo.name)) {
        for (const image of tagImageRows(repo.namespace, repo.name, tag as unknown as Json)) {
          const key = JSON.stringify([repo.namespace, image.os, image.architecture, image.variant]);
          const group = groups.get(key) ?? {
            namespace: repo.namespace, os: image.os, architecture: image.architecture, variant: image.variant,
            digests: new Map(), tags: new Set(), repos: new Set(), pushed: null, pulled: null,
          };
          const digest = String(image.digest);
          if (group.digests.has(digest)) expect(group.digests.get(digest), `size of ${digest}`).toBe(image.size);
          group.digests.set(digest, image.size as number | null);
          group.tags.add(`${repo.name}:${tag.name}`);
          group.repos.add(repo.name);
          group.pushed = later(group.pushed, iso(image.last_pushed));
          group.pulled = later(group.pulled, iso(image.last_pulled));
          groups.set(key, group);
        }
      }
    }
    const expected = [...groups.values()].map((g) => ({
      namespace: g.namespace,
      os: g.os,
      architecture: g.architecture,
      variant: g.variant,
      platform: [g.os, g.architecture, g.variant].filter((p) => p !== null && p !== undefined).join('/'),
      images: g.digests.size,
      tags: g.tags.size,
      repositories: g.repos.size,
      total_size: [...g.digests.values()].reduce<number>((sum, size) => sum + (size ?? 0), 0),
      last_pushed: g.pushed,
      last_pulled: g.pulled,
    }));
    const keys = ['namespace', 'os', 'architecture', 'variant'];
    expect(expected.length).toBeGreaterThan(3);
    expect(sortBy(rows.map((r) => normalize(r, ['last_pushed', 'last_pulled'])), keys)).toEqual(sortBy(expected, keys));
  });

  it('repository_visibility_changes: the repository made public and the one made private, nothing else', async () => {
    const { rows } = await readView('repository_visibility_changes');
    const { madePublic, madePrivate } = f.mutations;
    const stable = rows.map(({ changed_at, run_id, change_id, ...rest }) => {
      expect(inPass2(changed_at), `changed_at ${changed_at}`).toBe(true);
      expect(typeof change_id).toBe('number');
      expect(run_id).not.toBeNull();
      return rest;
    });
    expect(sortBy(stable, ['namespace', 'name'])).toEqual(
      sortBy(
        [
          { ...madePublic, was_private: true, is_private: false, change: 'made public', repository_deleted: false, op: 'update' },
          { ...madePrivate, was_private: false, is_private: true, change: 'made private', repository_deleted: false, op: 'update' },
        ],
        ['namespace', 'name'],
      ),
    );
  });

  it('repository_visibility: every live repository, its visibility and the last change of it', async () => {
    const { now, rows } = await readView('repository_visibility');
    const { madePublic, madePrivate } = f.mutations;
    const same = (a: { namespace: string; name: string }, b: { namespace: string; name: string }) => a.namespace === b.namespace && a.name === b.name;
    const changedAt = new Map<string, string>();
    const expected = liveRepositories().map((repo) => {
      const flipped = same(repo, madePublic) ? 'private' : same(repo, madePrivate) ? 'public' : null;
      const actual = rows.find((r) => same(r as never, repo));
      if (flipped && actual) changedAt.set(`${repo.namespace}/${repo.name}`, actual.visibility_changed_at);
      return {
        namespace: repo.namespace,
        name: repo.name,
        visibility: repo.is_private ? 'private' : 'public',
        is_private: repo.is_private,
        pull_count: repo.pull_count,
        star_count: repo.star_count,
        last_updated: iso(repo.last_updated),
        date_registered: iso(repo.date_registered),
        visibility_changed_at: flipped ? iso(actual?.visibility_changed_at) : null,
        previous_visibility: flipped,
        made_public: flipped === 'private' && !repo.is_private,
        days_since_visibility_change: flipped ? days(now, ms(actual?.visibility_changed_at)) : null,
      };
    });
    for (const at of changedAt.values()) expect(inPass2(at)).toBe(true);
    expect(changedAt.size).toBe(2);
    const keys = ['namespace', 'name'];
    expect(sortBy(rows.map((r) => normalize(r, ['last_updated', 'date_registered', 'visibility_changed_at'])), keys)).toEqual(sortBy(expected, keys));
    expect(rows.filter((r) => r.made_public).map((r) => `${r.namespace}/${r.name}`)).toEqual([`${madePublic.namespace}/${madePublic.name}`]);
  });

  it('token_usage: personal and organization tokens with use, expiry and status', async () => {
    const { now, rows } = await readView('token_usage');
    const tokens = [
      ...f.after.accessTokens.map((t) => {
        const row = accessTokenRow(f.after.user, t as unknown as Json);
        return { kind: 'personal', owner: f.after.user, token_id: row.uuid, label: row.token_label, is_active: row.is_active, scopes: row.scopes, created_at: row.created_at, last_used_at: row.last_used, expires_at: row.expires_at };
      }),
      ...f.after.orgs.flatMap((org) =>
        (f.after.orgAccessTokens[org] ?? []).map((t) => {
          const row = orgAccessTokenRow(org, t as unknown as Json);
          return { kind: 'organization', owner: org, token_id: row.id, label: row.label, is_active: row.is_active, scopes: row.resources, created_at: row.created_at, last_used_at: row.last_used_at, expires_at: row.expires_at };
        }),
      ),
    ];
    const status = (t: (typeof tokens)[number]) => {
      if (t.is_active === false) return 'inactive';
      if (t.expires_at && ms(t.expires_at) <= now) return 'expired';
      if (t.expires_at && ms(t.expires_at) - now <= 30 * DAY_MS) return 'expiring';
      if (!t.last_used_at) return 'never used';
      if (now - ms(t.last_used_at) > 90 * DAY_MS) return 'unused';
      return 'ok';
    };
    const expected = tokens.map((t) => ({
      ...t,
      created_at: iso(t.created_at),
      last_used_at: iso(t.last_used_at),
      expires_at: iso(t.expires_at),
      never_used: !t.last_used_at,
      days_since_use: t.last_used_at || t.created_at ? days(now, ms(t.last_used_at ?? t.created_at)) : null,
      days_until_expiry: t.expires_at ? days(ms(t.expires_at), now) : null,
      expired: Boolean(t.expires_at && ms(t.expires_at) <= now),
      status: status(t),
    }));
    const keys = ['kind', 'owner', 'token_id'];
    expect(expected.filter((t) => t.kind === 'personal').length).toBeGreaterThan(0);
    expect(expected.filter((t) => t.kind === 'organization').length).toBeGreaterThan(0);
    expect(sortBy(rows.map((r) => normalize(r, ['created_at', 'last_used_at', 'expires_at'])), keys)).toEqual(sortBy(expected, keys));
    // The data covers every status, and the fixture's tokens land where they should.
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['inactive', 'expired', 'expiring', 'never used', 'unused', 'ok']));
    const statusOf = (id: string) => rows.find((r) => r.token_id === id)?.status;
    expect(statusOf(f.mutations.tokens.expiring)).toBe('expiring');
    expect(statusOf(f.mutations.tokens.used)).toBe('ok');
    expect(statusOf(f.mutations.tokens.deactivated)).toBe('inactive');
  });

  it('member_activity: live members with role, teams and last login', async () => {
    const { now, rows } = await readView('member_activity');
    const expected = f.after.orgs.flatMap((org) =>
      (f.after.members[org] ?? []).map((member) => {
        const row = orgMemberRow(org, member as unknown as Json);
        return {
          org,
          id: row.id,
          username: row.username,
          full_name: row.full_name,
          email: row.email,
          role: row.role,
          is_guest: row.is_guest,
          groups: row.groups,
          team_count: Array.isArray(row.groups) ? row.groups.length : 0,
          date_joined: iso(row.date_joined),
          last_logged_in_at: iso(row.last_logged_in_at),
          member_last_seen_at: iso(row.member_last_seen_at),
          never_logged_in: row.last_logged_in_at === null,
          days_since_login: row.last_logged_in_at ? days(now, ms(row.last_logged_in_at)) : null,
          last_desktop_version: row.last_desktop_version,
        };
      }),
    );
    const keys = ['org', 'id'];
    expect(new Set(expected.map((m) => m.role)).size).toBeGreaterThan(1);
    expect(sortBy(rows.map((r) => normalize(r, ['date_joined', 'last_logged_in_at', 'member_last_seen_at'])), keys)).toEqual(sortBy(expected, keys));
    const { removedMember } = f.mutations;
    expect(rows.some((r) => r.org === removedMember.org && r.username === removedMember.username)).toBe(false);
  });

  it('pending_invites: invites with their age', async () => {
    const { now, rows } = await readView('pending_invites');
    const expected = f.after.orgs.flatMap((org) =>
      (f.after.invites[org] ?? []).map((invite) => {
        const row = inviteRow(org, invite as unknown as Json);
        return {
          org,
          id: row.id,
          invitee: row.invitee,
          inviter_username: row.inviter_username,
          team: row.team,
          role: row.role,
          created_at: iso(row.created_at),
          age_days: row.created_at ? days(now, ms(row.created_at)) : null,
        };
      }),
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(sortBy(rows.map((r) => normalize(r, ['created_at'])), ['org', 'id'])).toEqual(sortBy(expected, ['org', 'id']));
  });

  it('repository_pull_growth: one row per repository and UTC day with the growth since the day before', async () => {
    const { rows } = await readView('repository_pull_growth');
    const day1 = utcDay(f.pass1At.toISOString());
    const beforeByKey = new Map(Object.values(f.before.repositories).flat().map((r) => [`${r.namespace}/${r.name}`, r]));
    const pass2Rows = rows.filter((r) => r.day !== day1);
    for (const row of pass2Rows) expect(inPass2(row.observed_at), `observed_at ${row.observed_at}`).toBe(true);
    const day2 = pass2Rows[0] ? utcDay(pass2Rows[0].observed_at) : '';
    const gap = Math.round((Date.parse(day2) - Date.parse(day1)) / DAY_MS);
    const expected: Json[] = [];
    for (const repo of liveRepositories()) {
      const old = beforeByKey.get(`${repo.namespace}/${repo.name}`);
      if (old) {
        expected.push({ namespace: repo.namespace, name: repo.name, day: day1, observed_at: f.pass1At.toISOString(), pull_count: old.pull_count, star_count: old.star_count, pulls_added: null, stars_added: null, previous_day: null, days_covered: null });
      }
      if (!old || old.pull_count !== repo.pull_count || old.star_count !== repo.star_count) {
        expected.push({
          namespace: repo.namespace, name: repo.name, day: day2, observed_at: 'pass 2',
          pull_count: repo.pull_count, star_count: repo.star_count,
          pulls_added: old ? repo.pull_count - old.pull_count : null,
          stars_added: old ? repo.star_count - old.star_count : null,
          previous_day: old ? day1 : null,
          days_covered: old ? gap : null,
        });
      }
    }
    const actual = rows.map((r) => ({ ...r, observed_at: r.day === day1 ? new Date(ms(r.observed_at)).toISOString() : 'pass 2' }));
    const keys = ['namespace', 'name', 'day'];
    expect(sortBy(actual, keys)).toEqual(sortBy(expected, keys));
    // The bumped repositories show exactly the pulls the fixture added.
    for (const pulled of f.mutations.pulled) {
      expect(rows.find((r) => r.namespace === pulled.namespace && r.name === pulled.name && r.day === day2)?.pulls_added).toBe(pulled.count);
    }
    expect(gap).toBeGreaterThanOrEqual(1);
  });

  it('audit_activity_daily: events per account, UTC day, actor and action, with the action label', async () => {
    const { rows } = await readView('audit_activity_daily');
    const accounts = (await query<{ account: string }>(`SELECT DISTINCT account FROM dockerhub.audit_logs ORDER BY 1`)).map((r) => r.account);
    expect(accounts).toEqual(expect.arrayContaining(f.after.orgs));
    const groups = new Map<string, Json>();
    for (const account of accounts) {
      const catalogue = new Map(actionRows(account, (f.after.auditActions[account] ?? {}) as unknown as Json).map((a) => [a.name, a]));
      const seen = new Set<string>();
      for (const event of f.after.auditLogs[account] ?? []) {
        const row = auditLogRow(account, event as unknown as Json);
        if (seen.has(String(row.event_hash)) || row.timestamp === null) continue; // identical events are one row
        seen.add(String(row.event_hash));
        const key = JSON.stringify([account, utcDay(row.timestamp), row.actor, row.action]);
        const action = catalogue.get(String(row.action));
        const group = groups.get(key) ?? {
          account, day: utcDay(row.timestamp), actor: row.actor, action: row.action,
          action_group: action?.group ?? null, action_label: action?.label ?? null,
          events: 0, first_event_at: null, last_event_at: null,
        };
        group.events += 1;
        group.first_event_at = earlier(group.first_event_at, iso(row.timestamp));
        group.last_event_at = later(group.last_event_at, iso(row.timestamp));
        groups.set(key, group);
      }
    }
    const expected = [...groups.values()];
    const keys = ['account', 'day', 'actor', 'action'];
    expect(expected.reduce((n, g) => n + g.events, 0)).toBeGreaterThan(f.mutations.auditEventsAdded);
    expect(sortBy(rows.map((r) => normalize(r, ['first_event_at', 'last_event_at'])), keys)).toEqual(sortBy(expected, keys));
    expect(rows.some((r) => r.action_label !== null)).toBe(true);
  });

  it('deletions: the deleted repository with its tags, the deleted tag and the removed member', async () => {
    const { rows } = await readView('deletions');
    for (const row of rows) {
      expect(inPass2(row.deleted_at)).toBe(true);
      expect(row.restored_at).toBeNull();
    }
    const { deletedRepository, deletedTag, removedMember } = f.mutations;
    const member = (f.before.members[removedMember.org] ?? []).find((m) => m.username === removedMember.username)!;
    const expected = [
      { entity: 'repositories', entity_key: { namespace: deletedRepository.namespace, name: deletedRepository.name } },
      ...(f.before.tags[`${deletedRepository.namespace}/${deletedRepository.name}`] ?? []).map((t) => ({
        entity: 'tags', entity_key: { namespace: deletedRepository.namespace, repository: deletedRepository.name, name: t.name },
      })),
      { entity: 'tags', entity_key: { namespace: deletedTag.namespace, repository: deletedTag.repository, name: deletedTag.tag } },
      { entity: 'org_members', entity_key: { org: removedMember.org, id: orgMemberRow(removedMember.org, member as unknown as Json).id } },
    ];
    const actual = rows
      .filter((r) => ['repositories', 'tags', 'org_members'].includes(r.entity))
      .map((r) => ({ entity: r.entity, entity_key: r.entity_key }));
    const keys = ['entity', 'entity_key'];
    expect(sortBy(actual, keys)).toEqual(sortBy(expected, keys));
  });
});
