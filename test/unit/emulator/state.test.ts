import { describe, expect, it } from 'vitest';
import { generateWorld } from '../../../src/emulator/generator/world.js';
import { EmulatorState } from '../../../src/emulator/state/state.js';

function fakeClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function setup(seed: number | string = 1) {
  const clock = fakeClock();
  const state = new EmulatorState(generateWorld(seed, 1), clock);
  const namespace = state.orgNames[0] as string;
  const repo = state.repositories.sorted(namespace, 'name').find((r) => r.seed.tagCount >= 3);
  if (!repo) throw new Error('no repository with three tags');
  return { clock, state, namespace, name: repo.seed.name, repo };
}

describe('tag paging', () => {
  it('pages concatenate to the full list in every ordering', () => {
    const { state, repo } = setup();
    const store = state.repositories;
    for (const ordering of ['-last_updated', 'last_updated', 'name', '-name'] as const) {
      const all = store.tagsPage(repo, 0, store.tagCount(repo), ordering).map((t) => t.name);
      const paged = [];
      for (let offset = 0; offset < all.length; offset += 2) paged.push(...store.tagsPage(repo, offset, 2, ordering).map((t) => t.name));
      expect(paged).toEqual(all);
    }
    const byName = store.tagsPage(repo, 0, 1000, 'name').map((t) => t.name);
    expect(byName).toEqual([...byName].sort());
  });

  it('get by name returns the same object as the listing', () => {
    const { state, repo } = setup();
    for (const tag of state.repositories.allTags(repo)) expect(state.repositories.getTag(repo, tag.name)).toEqual(tag);
  });
});

describe('admin mutations', () => {
  it('addTag makes the newest tag and moves last_updated; deleteTag hides it and moves last_updated', () => {
    const { clock, state, namespace, name, repo } = setup();
    const before = state.repositories.tagCount(repo);
    const updatedBefore = repo.lastUpdatedMs;
    clock.advance(1000);
    const tag = state.addTag(namespace, name, { name: 'brand-new', platforms: ['linux/amd64', 'linux/arm64'] });
    expect(tag.images.map((i) => i.architecture)).toEqual(['amd64', 'arm64']);
    expect(state.repositories.tagCount(repo)).toBe(before + 1);
    expect(state.repositories.tagsPage(repo, 0, 1)[0]?.name).toBe('brand-new');
    expect(repo.lastUpdatedMs).toBe(clock.now());
    expect(repo.lastUpdatedMs).toBeGreaterThan(updatedBefore);

    const generated = state.repositories.tagsPage(repo, 1, 1)[0]?.name as string;
    clock.advance(1000);
    expect(state.deleteTag(namespace, name, generated)).toBe(true);
    expect(state.deleteTag(namespace, name, generated)).toBe(false);
    expect(state.repositories.getTag(repo, generated)).toBeUndefined();
    expect(state.repositories.allTags(repo).map((t) => t.name)).not.toContain(generated);
    expect(state.repositories.tagCount(repo)).toBe(before);
    expect(repo.lastUpdatedMs).toBe(clock.now());
  });

  it('re-pushing an existing tag moves it to the front without duplicating it', () => {
    const { state, namespace, name, repo } = setup();
    const oldest = state.repositories.tagsPage(repo, 0, 1, 'last_updated')[0]?.name as string;
    const before = state.repositories.tagCount(repo);
    state.addTag(namespace, name, oldest);
    const names = state.repositories.allTags(repo).map((t) => t.name);
    expect(names[0]).toBe(oldest);
    expect(names.filter((n) => n === oldest)).toHaveLength(1);
    expect(state.repositories.tagCount(repo)).toBe(before);
  });

  it('bumpPulls changes pull_count and the tag pull time, never last_updated', () => {
    const { clock, state, namespace, name, repo } = setup();
    const updated = repo.lastUpdatedMs;
    const pulls = repo.pullCount;
    clock.advance(5000);
    expect(state.bumpPulls(namespace, name, 7)).toBe(pulls + 7);
    expect(repo.lastUpdatedMs).toBe(updated);
    const newest = state.repositories.tagsPage(repo, 0, 1)[0];
    expect(Date.parse(newest?.tag_last_pulled ?? '')).toBeGreaterThanOrEqual(Math.floor(clock.now() / 1000) * 1000);
    expect(newest?.tag_status).toBe('active');
  });

  it('addRepository / deleteRepository change the namespace listing and write audit events', () => {
    const { state, namespace } = setup();
    const info = state.addRepository(namespace, { name: 'fresh-repo', is_private: true, tags: 3 });
    expect(info.is_private).toBe(true);
    const repo = state.repositories.get(namespace, 'fresh-repo');
    expect(repo && state.repositories.tagCount(repo)).toBe(3);
    const recent = state.audit.query(namespace, {}, 0, 4).map((e) => e.action);
    expect(recent).toEqual(['repo.tag.push', 'repo.tag.push', 'repo.tag.push', 'repo.create']);
    expect(() => state.addRepository(namespace, 'fresh-repo')).toThrow(/already exists/);
    expect(() => state.addRepository(namespace, 'Bad Name')).toThrow(/invalid repository/);
    expect(state.deleteRepository(namespace, 'fresh-repo')).toBe(true);
    expect(state.repositories.get(namespace, 'fresh-repo')).toBeUndefined();
    expect(state.audit.query(namespace, {}, 0, 1)[0]?.action).toBe('repo.delete');
  });

  it('removeMember drops the member from the organization and its teams', () => {
    const { state } = setup();
    const org = state.orgNames[0] as string;
    const member = state.world.member.username;
    expect(state.removeMember(org, member)).toBe(true);
    expect(state.removeMember(org, member)).toBe(false);
    expect(state.orgs.members(org).map((m) => m.username)).not.toContain(member);
    for (const team of state.orgs.teams(org)) expect(state.orgs.teamMembers(org, team.name).map((m) => m.username)).not.toContain(member);
  });

  it('refuses to remove or demote the last owner', () => {
    const { state } = setup();
    const org = state.orgNames[1] as string;
    const owners = state.orgs.members(org, { role: 'owner' }).map((m) => m.username);
    for (const owner of owners.slice(1)) state.deleteMember(org, owner, state.user);
    expect(() => state.setMemberRole(org, state.user, 'member', state.user)).toThrow(/last owner/);
    expect(() => state.deleteMember(org, state.user, state.user)).toThrow(/last owner/);
  });
});

describe('audit log', () => {
  it('filters by from/to consistently with the full listing, newest first', () => {
    const { state, namespace } = setup();
    const all = state.audit.all(namespace);
    const times = all.map((e) => Date.parse(e.timestamp));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const fromMs = times[Math.floor(times.length * 0.7)] as number;
    const toMs = times[Math.floor(times.length * 0.2)] as number;
    const expected = all.filter((e) => Date.parse(e.timestamp) >= fromMs && Date.parse(e.timestamp) <= toMs);
    const got = [];
    for (let page = 0; ; page++) {
      const batch = state.audit.query(namespace, { fromMs, toMs }, page * 25, 25);
      got.push(...batch);
      if (batch.length < 25) break;
    }
    expect(got).toEqual(expected);
  });

  it('filters by action, actor and name', () => {
    const { state, namespace } = setup();
    const all = state.audit.all(namespace);
    const sample = all[3];
    if (!sample) throw new Error('no events');
    expect(state.audit.query(namespace, { action: sample.action }, 0, 1000)).toEqual(all.filter((e) => e.action === sample.action));
    expect(state.audit.query(namespace, { actor: sample.actor }, 0, 1000)).toEqual(all.filter((e) => e.actor === sample.actor));
    expect(state.audit.query(namespace, { name: sample.name }, 0, 1000)).toEqual(all.filter((e) => e.name === sample.name));
  });

  it('appends events newer than everything, given or generated', () => {
    const { state, namespace } = setup();
    const before = state.audit.all(namespace).length;
    const appended = state.appendAuditEvents(namespace, 3);
    state.appendAuditEvents(namespace, [{ action: 'repo.create', name: `${namespace}/x` }]);
    const all = state.audit.all(namespace);
    expect(all).toHaveLength(before + 4);
    expect(all[0]?.action).toBe('repo.create');
    expect(all.slice(1, 4)).toEqual([...appended].reverse());
    expect(() => state.appendAuditEvents('nobody-here', 1)).toThrow(/not found/);
  });

  it('merges late events (old timestamps) into their place; unfiltered pages stay consistent', () => {
    const { state, namespace } = setup();
    const before = state.audit.all(namespace);
    const between = Date.parse(before[40]?.timestamp ?? '') - 1000;
    const late = new Date(between).toISOString();
    state.appendAuditEvents(namespace, [{ action: 'repo.create', name: `${namespace}/late`, timestamp: late }]);
    state.appendAuditEvents(namespace, 2);
    const all = state.audit.all(namespace);
    const times = all.map((e) => Date.parse(e.timestamp));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(all.findIndex((e) => e.name === `${namespace}/late`)).toBe(41 + 2);
    const paged = [];
    for (let offset = 0; offset < all.length; offset += 7) paged.push(...state.audit.query(namespace, {}, offset, 7));
    expect(paged).toEqual(all);
    const windowed = state.audit.query(namespace, { fromMs: between - 1, toMs: between + 1 }, 0, 10);
    expect(windowed.map((e) => e.name)).toEqual([`${namespace}/late`]);
  });
});

describe('snapshot', () => {
  it('is identical for the same seed and holds every resource', () => {
    const a = setup(9).state.snapshot();
    const b = setup(9).state.snapshot();
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.namespaces).toEqual([a.user, ...a.orgs]);
    for (const ns of a.namespaces) {
      expect(a.repositories[ns]?.length).toBeGreaterThan(0);
      // Activity logs are an organization feature: the personal account has none.
      expect(a.auditLogs[ns]?.length ?? 0).toSatisfy((n: number) => (ns === a.user ? n === 0 : n > 0));
      for (const repo of a.repositories[ns] ?? []) {
        expect(repo.permissions).toEqual({ read: true, write: true, admin: true });
        expect(a.tags[`${ns}/${repo.name}`]?.length).toBeGreaterThan(0);
      }
    }
    for (const org of a.orgs) {
      expect(a.members[org]?.length).toBeGreaterThan(0);
      expect(a.teams[org]?.length).toBeGreaterThan(0);
      expect(a.teamMembers[`${org}/owners`]?.length).toBeGreaterThan(0);
      expect(a.orgSettings[org]).toHaveProperty('restricted_images');
      expect(a.orgAccessTokens[org]?.length).toBeGreaterThan(0);
      expect(a.invites[org]?.length).toBeGreaterThan(0);
    }
    expect(a.accessTokens.every((t) => t.token === '')).toBe(true);
    expect(Object.keys(setup(9).state.snapshot({ tags: false }).tags)).toHaveLength(0);
  });
});
