import { describe, expect, it } from 'vitest';
import { LIST_FIELDS } from '../../src/endpoints/repositories.js';
import { normalizeTimestamp } from '../../src/sync/hash.js';
import { runCli } from '../support/cli.js';
import type { TestDatabase } from '../support/db.js';
import { syncEnv, type RunningEmulator, withEmulatorAndDatabase } from '../support/emulator.js';

type Json = Record<string, unknown>;

async function query<T = Json>(target: TestDatabase, text: string): Promise<T[]> {
  return target.query<T>(text);
}

/** Whole rows as JSON (timestamps as ISO text), keyed by the given columns. */
async function tableByKey(target: TestDatabase, table: string, key: string[], where = 'TRUE'): Promise<Map<string, Json>> {
  const rows = await query<{ r: Json }>(target, `SELECT to_jsonb(t) AS r FROM dockerhub.${table} t WHERE ${where}`);
  return new Map(rows.map(({ r }) => [key.map((k) => String(r[k])).join('/'), r]));
}

const ts = (value: unknown) => normalizeTimestamp(value);
const without = (object: Json, keys: string[]) => Object.fromEntries(Object.entries(object).filter(([k]) => !keys.includes(k)));

async function sync(emulator: RunningEmulator, target: TestDatabase, args: string[] = [], extra: Record<string, string> = {}) {
  const result = await runCli(['sync', ...args], { env: syncEnv(emulator, target.env, extra) });
  if (result.code !== 0) throw new Error(`sync exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

describe('sync against the emulator', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;

  withEmulatorAndDatabase((started) => ({ emulator, target } = started));

  it('a first sync makes every table match the emulator', async () => {
    const result = await sync(emulator, target);
    expect(result.stdout).toContain('0 slice(s) failed');
    const snapshot = emulator.snapshot();

    // Repositories: every one, list fields as columns, detail-only fields in raw.
    const repos = await tableByKey(target, 'repositories', ['namespace', 'name']);
    const expectedRepos = Object.values(snapshot.repositories).flat();
    expect(repos.size).toBe(expectedRepos.length);
    for (const repo of expectedRepos) {
      const row = repos.get(`${repo.namespace}/${repo.name}`);
      expect(row, `${repo.namespace}/${repo.name}`).toBeDefined();
      expect(row!.deleted_at).toBeNull();
      expect(row!.pull_count).toBe(repo.pull_count);
      expect(row!.star_count).toBe(repo.star_count);
      expect(row!.is_private).toBe(repo.is_private);
      expect(row!.description ?? null).toBe(repo.description ?? null);
      expect(ts(row!.last_updated)).toBe(ts(repo.last_updated));
      expect(ts(row!.date_registered)).toBe(ts(repo.date_registered));
      expect(row!.full_description ?? null).toBe(repo.full_description ?? null);
      expect(row!.permissions).toEqual(repo.permissions);
      expect(row!.immutable_tags_settings).toEqual(repo.immutable_tags_settings);
      const raw = row!.raw as Json;
      const detailOnly = Object.keys(repo).filter((k) => !LIST_FIELDS.has(k));
      for (const field of detailOnly) expect(raw[field], `${repo.name}.${field}`).toEqual((repo as unknown as Json)[field]);
    }
    // One stats observation per repository.
    const stats = await query<{ n: number }>(target, 'SELECT count(*)::int AS n FROM dockerhub.repository_stats');
    expect(stats[0]!.n).toBe(expectedRepos.length);

    // Tags and images: every tag of every repository, raw exactly as the API sent it.
    const tags = await tableByKey(target, 'tags', ['namespace', 'repository', 'name']);
    const expectedTags = Object.entries(snapshot.tags).flatMap(([key, list]) => list.map((tag) => ({ key, tag })));
    expect(tags.size).toBe(expectedTags.length);
    let expectedImages = 0;
    for (const { key, tag } of expectedTags) {
      const row = tags.get(`${key}/${tag.name}`);
      expect(row, `${key}:${tag.name}`).toBeDefined();
      expect(row!.raw).toEqual(tag);
      expect(row!.tag_status ?? null).toBe((tag as unknown as Json).tag_status ?? null);
      expect(ts(row!.tag_last_pulled)).toBe(ts((tag as unknown as Json).tag_last_pulled));
      expect(ts(row!.tag_last_pushed)).toBe(ts((tag as unknown as Json).tag_last_pushed));
      expect(ts(row!.last_updated)).toBe(ts(tag.last_updated));
      expect(row!.full_size ?? null).toBe(tag.full_size ?? null);
      expect(row!.digest ?? null).toBe((tag as unknown as Json).digest ?? null);
      expectedImages += new Set((tag.images ?? []).map((image) => image.digest ?? `${image.os}/${image.architecture}/${image.variant}`)).size;
    }
    const images = await query<{ n: number; nulls: number }>(
      target,
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE variant IS NULL)::int AS nulls FROM dockerhub.tag_images`,
    );
    expect(images[0]!.n).toBe(expectedImages);
    expect(images[0]!.nulls).toBeGreaterThan(0);

    // Audit events: all of them, once each.
    const audit = await query<{ account: string; n: number }>(target, 'SELECT account, count(*)::int AS n FROM dockerhub.audit_logs GROUP BY account ORDER BY account');
    const expectedAudit = Object.entries(snapshot.auditLogs)
      .filter(([, events]) => events.length > 0)
      .map(([account, events]) => ({ account, n: events.length }))
      .sort((a, b) => a.account.localeCompare(b.account));
    expect(audit).toEqual(expectedAudit);
    const storedEvents = await query<{ raw: Json }>(target, 'SELECT raw FROM dockerhub.audit_logs');
    const storedSet = new Set(storedEvents.map((e) => JSON.stringify(e.raw, Object.keys(e.raw).sort())));
    for (const events of Object.values(snapshot.auditLogs)) {
      for (const event of events) expect(storedSet.has(JSON.stringify(event, Object.keys(event).sort()))).toBe(true);
    }

    // The small organization resources: exact snapshots.
    const compareList = async (table: string, key: string[], expected: { k: string; item: Json }[], drop: string[] = []) => {
      const rows = await tableByKey(target, table, key);
      expect(rows.size, table).toBe(expected.length);
      for (const { k, item } of expected) {
        expect(rows.get(k)?.raw, `${table} ${k}`).toEqual(without(item, drop));
      }
    };
    await compareList('org_members', ['org', 'id'], Object.entries(snapshot.members).flatMap(([org, list]) => list.map((m) => ({ k: `${org}/${String(m.id)}`, item: m as unknown as Json }))));
    await compareList('teams', ['org', 'id'], Object.entries(snapshot.teams).flatMap(([org, list]) => list.map((t) => ({ k: `${org}/${t.id}`, item: t as unknown as Json }))));
    await compareList(
      'team_members',
      ['org', 'team', 'id'],
      Object.entries(snapshot.teamMembers).flatMap(([key, list]) => list.map((m) => ({ k: `${key}/${String(m.id)}`, item: m as unknown as Json }))),
    );
    await compareList('org_access_tokens', ['org', 'id'], Object.entries(snapshot.orgAccessTokens).flatMap(([org, list]) => list.map((t) => ({ k: `${org}/${t.id}`, item: t as unknown as Json }))), ['token']);
    await compareList('org_invites', ['org', 'id'], Object.entries(snapshot.invites).flatMap(([org, list]) => list.map((i) => ({ k: `${org}/${i.id}`, item: i as unknown as Json }))));
    await compareList('access_tokens', ['uuid'], snapshot.accessTokens.map((t) => ({ k: String(t.uuid), item: t as unknown as Json })), ['token']);
    const settings = await tableByKey(target, 'org_settings', ['org']);
    for (const [org, value] of Object.entries(snapshot.orgSettings)) {
      expect(settings.get(org)?.restricted_images).toEqual((value as unknown as Json).restricted_images);
    }
    // Members keep Hub's nulls and the renamed last_seen_at.
    const members = await tableByKey(target, 'org_members', ['org', 'id']);
    for (const [org, list] of Object.entries(snapshot.members)) {
      for (const member of list) {
        const row = members.get(`${org}/${String(member.id)}`)!;
        expect(row.role).toBe(member.role ?? null);
        expect(ts(row.member_last_seen_at)).toBe(ts((member as unknown as Json).last_seen_at));
        expect(ts(row.last_logged_in_at)).toBe(ts((member as unknown as Json).last_logged_in_at));
      }
    }
    // No secret reached the database.
    const dump = JSON.stringify(await query(target, 'SELECT raw FROM dockerhub.access_tokens UNION ALL SELECT raw FROM dockerhub.org_access_tokens'));
    expect(dump).not.toContain(emulator.credentials.pat);
    for (const oat of emulator.credentials.oat) expect(dump).not.toContain(oat.token);
    const errors = await query<{ n: number }>(target, 'SELECT count(*)::int AS n FROM dockerhub.sync_errors');
    expect(errors[0]!.n).toBe(0);
  });

  it('a second sync with nothing changed reads only the lists and writes no entity row', async () => {
    const [{ max }] = (await query<{ max: number | null }>(target, 'SELECT max(id)::int AS max FROM dockerhub.changes')) as [{ max: number | null }];
    const [{ lastRun }] = (await query<{ lastRun: number }>(target, 'SELECT max(id)::int AS "lastRun" FROM dockerhub.sync_runs')) as [{ lastRun: number }];
    emulator.requests.reset();
    await sync(emulator, target);
    const counts = emulator.requests.counts;
    const snapshot = emulator.snapshot({ tags: false });
    const repoCount = Object.values(snapshot.repositories).flat().length;
    // The repository list pages only (ceil(n/100) per namespace); no detail, no tags.
    const listPages = Object.values(snapshot.repositories).reduce((sum, list) => sum + Math.max(1, Math.ceil(list.length / 100)), 0);
    expect(counts['repositories.list']).toBe(listPages);
    expect(counts['repositories.get'] ?? 0).toBe(0);
    expect(counts['tags.list'] ?? 0).toBe(0);
    // Audit logs: one (empty) window per organization.
    expect(counts['auditlogs.list']).toBe(snapshot.orgs.length);
    expect(repoCount).toBeGreaterThan(0);
    const newChanges = await query<{ n: number }>(target, `SELECT count(*)::int AS n FROM dockerhub.changes WHERE id > ${max ?? 0}`);
    expect(newChanges[0]!.n).toBe(0);
    const written = await query<{ n: number; runs: number }>(
      target,
      `SELECT coalesce(sum(rows_inserted + rows_updated + rows_deleted), 0)::int AS n, count(*)::int AS runs
       FROM dockerhub.sync_runs WHERE id > ${lastRun} AND status = 'succeeded'`,
    );
    expect(written[0]!.runs).toBeGreaterThan(0);
    expect(written[0]!.n).toBe(0);
  });

  it('reflects deletions, new tags, pulls, audit events and a removed member exactly', async () => {
    const before = emulator.snapshot();
    const [{ max }] = (await query<{ max: number | null }>(target, 'SELECT max(id)::int AS max FROM dockerhub.changes')) as [{ max: number | null }];
    const org = before.orgs[0]!;
    const orgRepos = before.repositories[org]!;
    const withTags = orgRepos.filter((r) => (before.tags[`${org}/${r.name}`] ?? []).length >= 2);
    const [gone, pushed, pulled] = [withTags[0]!, withTags[1]!, orgRepos.find((r) => r.name !== withTags[0]!.name && r.name !== withTags[1]!.name)!];
    const goneTags = before.tags[`${org}/${gone.name}`]!.map((t) => t.name);
    const droppedTag = before.tags[`${org}/${pushed.name}`]![0]!.name;
    emulator.state.deleteRepository(org, gone.name);
    emulator.state.deleteTag(org, pushed.name, droppedTag);
    emulator.state.addTag(org, pushed.name, 'new-one');
    emulator.state.addTag(org, pushed.name, 'new-two');
    const newPulls = emulator.state.bumpPulls(org, pulled.name, 500);
    emulator.state.appendAuditEvents(org, 3);
    const leaving = before.members[org]!.find((m) => m.role !== 'Owner' && m.username !== before.user && (m.groups ?? []).length > 0)
      ?? before.members[org]!.find((m) => m.username !== before.user)!;
    emulator.state.removeMember(org, String(leaving.username));
    const after = emulator.snapshot();

    emulator.requests.reset();
    await sync(emulator, target);
    // Tags are read again only where a push or delete moved last_updated, or a pull moved pull_count.
    const tagPages = (key: string) => Math.max(1, Math.ceil((after.tags[key] ?? []).length / 100));
    expect(emulator.requests.counts['tags.list']).toBe(tagPages(`${org}/${pushed.name}`) + tagPages(`${org}/${pulled.name}`));

    const changes = await query<{ entity: string; key: Json; op: string; changed: Json | null }>(
      target,
      `SELECT entity, entity_key AS key, op, changed FROM dockerhub.changes WHERE id > ${max ?? 0} ORDER BY id`,
    );
    // jsonb orders keys its own way: name the key columns explicitly.
    const keyColumns: Record<string, string[]> = {
      repositories: ['namespace', 'name'],
      tags: ['namespace', 'repository', 'name'],
      audit_logs: ['account', 'event_hash'],
      org_members: ['org', 'id'],
      team_members: ['org', 'team', 'id'],
    };
    const ops = (entity: string, op: string) =>
      changes
        .filter((c) => c.entity === entity && c.op === op)
        .map((c) => keyColumns[entity]!.map((k) => String(c.key[k])).join('/'))
        .sort();

    expect(ops('repositories', 'delete')).toEqual([`${org}/${gone.name}`]);
    expect(ops('repositories', 'update')).toEqual([`${org}/${pulled.name}`, `${org}/${pushed.name}`].sort());
    const pullChange = changes.find((c) => c.entity === 'repositories' && c.key.name === pulled.name)!;
    expect(pullChange.changed!.pull_count).toEqual({ old: pulled.pull_count, new: newPulls });
    expect(ops('tags', 'delete')).toEqual([...goneTags.map((t) => `${org}/${gone.name}/${t}`), `${org}/${pushed.name}/${droppedTag}`].sort());
    expect(ops('tags', 'insert')).toEqual([`${org}/${pushed.name}/new-one`, `${org}/${pushed.name}/new-two`]);
    expect(ops('audit_logs', 'insert')).toHaveLength(after.auditLogs[org]!.length - before.auditLogs[org]!.length);
    expect(ops('org_members', 'delete')).toEqual([`${org}/${String(leaving.id)}`]);
    // Team membership and counts follow the snapshot diff exactly.
    const teamKeys = (s: typeof before) => Object.entries(s.teamMembers).flatMap(([k, list]) => list.map((m) => `${k}/${String(m.id)}`)).filter((k) => k.startsWith(`${org}/`));
    const removedTeamMembers = teamKeys(before).filter((k) => !teamKeys(after).includes(k)).sort();
    expect(ops('team_members', 'delete')).toEqual(removedTeamMembers);

    // Tables agree: deleted rows are marked, not dropped; pull history has the new value.
    const deletedRepo = await query<{ deleted: boolean }>(target, `SELECT deleted_at IS NOT NULL AS deleted FROM dockerhub.repositories WHERE namespace = '${org}' AND name = '${gone.name}'`);
    expect(deletedRepo).toEqual([{ deleted: true }]);
    const liveGoneTags = await query<{ n: number }>(target, `SELECT count(*)::int AS n FROM dockerhub.tags WHERE namespace = '${org}' AND repository = '${gone.name}' AND deleted_at IS NULL`);
    expect(liveGoneTags[0]!.n).toBe(0);
    const stats = await query<{ pull_count: number }>(target, `SELECT pull_count FROM dockerhub.repository_stats WHERE namespace = '${org}' AND name = '${pulled.name}' ORDER BY observed_at`);
    expect(stats.map((s) => Number(s.pull_count))).toEqual([pulled.pull_count, newPulls]);
    const liveTags = await query<{ name: string }>(target, `SELECT name FROM dockerhub.tags WHERE namespace = '${org}' AND repository = '${pushed.name}' AND deleted_at IS NULL ORDER BY name`);
    expect(liveTags.map((t) => t.name)).toEqual(after.tags[`${org}/${pushed.name}`]!.map((t) => t.name).sort());
    const auditCount = await query<{ n: number }>(target, `SELECT count(*)::int AS n FROM dockerhub.audit_logs WHERE account = '${org}'`);
    expect(auditCount[0]!.n).toBe(after.auditLogs[org]!.length);
  });

  it('brings a deleted repository back as a restore when it reappears', async () => {
    const org = emulator.snapshot({ tags: false }).orgs[1]!;
    emulator.state.addRepository(org, { name: 'comes-and-goes' });
    await sync(emulator, target, ['--only', 'repositories']);
    emulator.state.deleteRepository(org, 'comes-and-goes');
    await sync(emulator, target, ['--only', 'repositories']);
    emulator.state.addRepository(org, { name: 'comes-and-goes' });
    await sync(emulator, target, ['--only', 'repositories']);
    const history = await query<{ op: string }>(target, `SELECT op FROM dockerhub.changes WHERE entity = 'repositories' AND entity_key->>'name' = 'comes-and-goes' ORDER BY id`);
    expect(history.map((h) => h.op)).toEqual(['insert', 'delete', 'restore']);
    const row = await query<{ deleted_at: unknown }>(target, `SELECT deleted_at FROM dockerhub.repositories WHERE name = 'comes-and-goes'`);
    expect(row).toEqual([{ deleted_at: null }]);
  });

  it('reads configured watched tags with the get-tag call, and marks one that disappeared', async () => {
    const snapshot = emulator.snapshot();
    const [key, list] = Object.entries(snapshot.tags).find(([, tags]) => tags.length >= 2)!;
    const [first, second] = [list[0]!, list[1]!];
    const watched = `${key}:${first.name},${key}:${second.name}`;
    emulator.requests.reset();
    await sync(emulator, target, ['--only', 'watched_tags'], { DOCKERHUB_WATCHED_TAGS: watched });
    expect(emulator.requests.get('tags.get')).toBe(2);
    expect(emulator.requests.get('tags.list')).toBe(0);
    const [namespace, repository] = key.split('/') as [string, string];
    emulator.state.deleteTag(namespace, repository, second.name);
    await sync(emulator, target, ['--only', 'watched_tags'], { DOCKERHUB_WATCHED_TAGS: watched });
    const rows = await query<{ name: string; deleted: boolean }>(
      target,
      `SELECT name, deleted_at IS NOT NULL AS deleted FROM dockerhub.tags WHERE namespace = '${namespace}' AND repository = '${repository}' AND name IN ('${first.name}', '${second.name}') ORDER BY name = '${first.name}' DESC`,
    );
    expect(rows).toEqual([
      { name: first.name, deleted: false },
      { name: second.name, deleted: true },
    ]);
  });

  it('replaces the images of a re-pushed tag: new ones in, old ones marked deleted', async () => {
    const snapshot = emulator.snapshot();
    const [key, tag] = Object.entries(snapshot.tags)
      .flatMap(([k, list]) => list.map((t) => [k, t] as const))
      .find(([, t]) => (t.images ?? []).filter((i) => i.digest).length >= 2)!;
    const [namespace, repository] = key.split('/') as [string, string];
    const pushed = emulator.state.addTag(namespace, repository, { name: tag.name, platforms: ['linux/riscv64'] });
    await sync(emulator, target);
    const images = await query<{ digest: string; architecture: string; live: boolean }>(
      target,
      `SELECT digest, architecture, deleted_at IS NULL AS live FROM dockerhub.tag_images
       WHERE namespace = '${namespace}' AND repository = '${repository}' AND tag = '${tag.name}'`,
    );
    const live = images.filter((i) => i.live);
    expect(live.map((i) => i.digest).sort()).toEqual((pushed.images ?? []).map((i) => i.digest).sort());
    expect(live.every((i) => i.architecture === 'riscv64')).toBe(true);
    const oldDigests = (tag.images ?? []).map((i) => i.digest).filter((d): d is string => Boolean(d));
    for (const digest of oldDigests) expect(images.find((i) => i.digest === digest)?.live, digest).toBe(false);
    const deletes = await query<{ n: number }>(
      target,
      `SELECT count(*)::int AS n FROM dockerhub.changes WHERE entity = 'tag_images' AND op = 'delete' AND entity_key->>'tag' = '${tag.name}' AND entity_key->>'repository' = '${repository}'`,
    );
    expect(deletes[0]!.n).toBe(new Set(oldDigests).size);
  });
});
