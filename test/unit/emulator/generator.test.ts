import { describe, expect, it } from 'vitest';
import { DAY } from '../../../src/emulator/format.js';
import { generateAuditEvent } from '../../../src/emulator/generator/audit.js';
import { generatedTagName, generateTag, tagPushedMs } from '../../../src/emulator/generator/tags.js';
import { generateWorld, organizationCount } from '../../../src/emulator/generator/world.js';
import type { Tag } from '../../../src/emulator/model.js';
import { hash32, Prng, prngFor } from '../../../src/emulator/prng.js';

const NAME_RULE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const DOCKER_ID = /^[a-z0-9]{4,30}$/;
const ISO_WITH_FRACTION = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const ISO_WHOLE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

function allTags(seed: number | string, scale = 1): Tag[] {
  const world = generateWorld(seed, scale);
  const out: Tag[] = [];
  for (const seeds of world.repositories.values()) {
    for (const repo of seeds) for (let i = 0; i < repo.tagCount; i++) out.push(generateTag(world.seedKey, world.epochMs, repo, i));
  }
  return out;
}

describe('prng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('separates key parts so ("a","bc") and ("ab","c") differ', () => {
    expect(hash32('a', 'bc')).not.toBe(hash32('ab', 'c'));
    expect(prngFor('x', 1).next()).toBe(prngFor('x', 1).next());
  });

  it('keeps int() within bounds and weighted() within the choices', () => {
    const rng = new Prng(7);
    for (let i = 0; i < 1000; i++) {
      const n = rng.int(3, 5);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(5);
    }
    const picks = new Set(Array.from({ length: 200 }, () => rng.weighted([['a', 1], ['b', 3]] as const)));
    expect([...picks].sort()).toEqual(['a', 'b']);
  });
});

describe('generateWorld at scale 1', () => {
  const world = generateWorld(1, 1);
  const repos = [...world.repositories.values()].flat();

  it('has one user and two organizations, each a valid Docker ID', () => {
    expect(world.orgs).toHaveLength(2);
    expect([...world.repositories.keys()]).toEqual([world.user.username, ...world.orgs.map((o) => o.name)]);
    for (const name of [world.user.username, ...world.orgs.map((o) => o.name)]) expect(name).toMatch(DOCKER_ID);
  });

  it('has about 40 repositories with valid, unique names, public and private', () => {
    expect(repos.length).toBeGreaterThanOrEqual(35);
    expect(repos.length).toBeLessThanOrEqual(45);
    for (const [, seeds] of world.repositories) {
      const names = seeds.map((r) => r.name);
      expect(new Set(names).size).toBe(names.length);
      for (const name of names) expect(name).toMatch(NAME_RULE);
    }
    expect(repos.some((r) => r.isPrivate)).toBe(true);
    expect(repos.some((r) => !r.isPrivate)).toBe(true);
  });

  it('spreads tag counts from 1 to about 60, skewed towards few', () => {
    const counts = repos.map((r) => r.tagCount);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...counts)).toBeLessThanOrEqual(60);
    const sorted = [...counts].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    expect(median).toBeLessThan(mean);
  });

  it('has members with every role, teams with members, invites, tokens and settings', () => {
    for (const org of world.orgs) {
      const roles = new Set([...org.members.values()].map((m) => m.role));
      expect(roles.has('owner')).toBe(true);
      expect(roles.has('member')).toBe(true);
      expect(org.members.get(world.user.username)?.role).toBe('owner');
      expect(org.teams.find((t) => t.name === 'owners')?.members).toContain(world.user.username);
      expect(org.teams.length).toBeGreaterThanOrEqual(3);
      expect(org.invites.length).toBeGreaterThan(0);
      expect(org.oats.length).toBeGreaterThanOrEqual(2);
      expect(typeof org.settings.restricted_images.enabled).toBe('boolean');
    }
    const allRoles = new Set(world.orgs.flatMap((o) => [...o.members.values()].map((m) => m.role)));
    expect([...allRoles].sort()).toEqual(['editor', 'member', 'owner']);
    expect(world.pats.length).toBeGreaterThanOrEqual(3);
    expect(world.orgs[0]?.members.get(world.member.username)?.role).toBe('member');
  });

  it('dates everything at or before the data epoch', () => {
    for (const repo of repos) {
      expect(repo.dateRegisteredMs).toBeLessThanOrEqual(world.epochMs);
      expect(repo.newestTagMs).toBeLessThanOrEqual(world.epochMs);
      expect(repo.newestTagMs).toBeGreaterThan(repo.dateRegisteredMs);
    }
  });

  it('puts a few hundred audit events over about six months', () => {
    const total = [...world.audit.values()].reduce((sum, ctx) => sum + ctx.count, 0);
    expect(total).toBeGreaterThanOrEqual(200);
    expect(total).toBeLessThanOrEqual(600);
    // Activity logs belong to organizations; the personal account has none of its own.
    expect(world.audit.get(world.user.username)?.count).toBe(0);
    for (const ctx of [...world.audit.values()].filter((c) => c.count > 0)) {
      const oldest = Date.parse(generateAuditEvent(world.seedKey, ctx, ctx.count - 1).timestamp);
      expect(world.epochMs - oldest).toBeGreaterThan(150 * DAY);
      expect(world.epochMs - oldest).toBeLessThan(200 * DAY);
    }
  });
});

describe('tags', () => {
  const tags = allTags(1);
  const images = tags.flatMap((t) => t.images);

  it('are byte-identical for the same seed and differ for another seed', () => {
    expect(JSON.stringify(allTags(1))).toBe(JSON.stringify(tags));
    expect(JSON.stringify(allTags(2))).not.toBe(JSON.stringify(tags));
    expect(JSON.stringify(allTags('demo'))).toBe(JSON.stringify(allTags('demo')));
  });

  it('have unique names per repository and push times falling with the index', () => {
    const world = generateWorld(5, 3);
    for (const repo of [...world.repositories.values()].flat()) {
      const names = Array.from({ length: repo.tagCount }, (_, i) => generatedTagName(world.seedKey, repo, i));
      expect(new Set(names).size).toBe(names.length);
      for (const name of names) expect(name).toMatch(/^[\w][\w.-]{0,127}$/);
      for (let i = 1; i < repo.tagCount; i++) expect(tagPushedMs(world.seedKey, repo, i)).toBeLessThan(tagPushedMs(world.seedKey, repo, i - 1));
    }
  });

  it('carry the nulls and variations real Hub has', () => {
    const many = allTags(3, 4);
    const manyImages = many.flatMap((t) => t.images);
    expect(many.some((t) => t.last_updated === null)).toBe(true);
    expect(many.some((t) => t.tag_last_pushed === null)).toBe(true);
    expect(many.some((t) => t.tag_last_pulled === null)).toBe(true);
    expect(manyImages.some((i) => i.os === '')).toBe(true);
    expect(images.some((i) => i.variant === null)).toBe(true);
    expect(images.some((i) => i.os_version === null)).toBe(true);
    const world = generateWorld(1, 1);
    expect([...world.repositories.values()].flat().some((r) => r.mediaTypes.includes(null))).toBe(true);
  });

  it('cover the usual architectures with variants, and both timestamp formats', () => {
    const archs = new Set(images.map((i) => (i.variant ? `${i.architecture}/${i.variant}` : i.architecture)));
    for (const expected of ['amd64', 'arm/v7']) expect(archs.has(expected)).toBe(true);
    const stamps = tags.map((t) => t.tag_last_pushed).filter((s): s is string => s !== null);
    expect(stamps.some((s) => ISO_WITH_FRACTION.test(s))).toBe(true);
    expect(stamps.some((s) => ISO_WHOLE.test(s))).toBe(true);
    expect(stamps.every((s) => ISO_WITH_FRACTION.test(s) || ISO_WHOLE.test(s))).toBe(true);
    expect(tags.every((t) => Array.isArray(t.images) && t.images.length > 0 && typeof t.v2 === 'boolean')).toBe(true);
  });

  it('include ppc64le and s390x somewhere at a larger scale', () => {
    const archs = new Set(allTags(1, 3).flatMap((t) => t.images.map((i) => i.architecture)));
    for (const expected of ['amd64', 'arm64', 'arm', 'ppc64le', 's390x']) expect(archs.has(expected)).toBe(true);
  });
});

describe('scale', () => {
  it('multiplies repositories (scale 100 ≈ 4000)', () => {
    const world = generateWorld(1, 100);
    const repos = [...world.repositories.values()].flat();
    expect(repos.length).toBeGreaterThanOrEqual(3900);
    expect(repos.length).toBeLessThanOrEqual(4100);
    expect(world.orgs.length).toBe(organizationCount(100));
  });

  it('reaches about a million tags at scale 250 without generating them', () => {
    const world = generateWorld(1, 250);
    const tags = [...world.repositories.values()].flat().reduce((sum, r) => sum + r.tagCount, 0);
    expect(tags).toBeGreaterThan(700_000);
    expect(tags).toBeLessThan(1_400_000);
  });

  it('rejects a non-positive scale', () => {
    expect(() => generateWorld(1, 0)).toThrow(/scale/);
  });
});
