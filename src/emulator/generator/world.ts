// The eagerly generated part of the emulated account: people, organizations (members, teams,
// invites, settings, tokens), repository seeds and audit contexts. All of it is small even at
// scale 250 (≈10k repositories); tags and audit events are derived lazily from it (tags.ts, audit.ts).

import { createHash } from 'node:crypto';
import { DAY, HOUR, MINUTE, REPOSITORY_NAME_PATTERN, uuid } from '../format.js';
import type { Membership, OatRecord, OrgRecord, OrgRole, PatRecord, Person, PlatformSpec, RepoSeed, TagStyle, TeamRecord } from '../model.js';
import { type Prng, prngFor } from '../prng.js';
import {
  CATEGORIES, COMPANIES, DESCRIPTION_TEMPLATES, DESKTOP_VERSIONS, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, LOCATIONS,
  ORG_PREFIXES, ORG_SUFFIXES, REPO_QUALIFIERS, REPO_SEPARATORS, REPO_WORDS, TAG_CHANNELS, TAG_VARIANT_SUFFIXES,
  TEAM_DESCRIPTIONS, TEAM_NAMES, USER_AGENTS, USER_WORDS,
} from '../words.js';
import { type AuditContext, auditContext } from './audit.js';
import { MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_OCI_INDEX } from './tags.js';

/** The one password every generated login (the user and the member) accepts. */
export const EMULATOR_PASSWORD = 'emulator-password';

export interface World {
  seedKey: string;
  scale: number;
  /** The fixed "now" of the generated data: every generated timestamp is at or before it. */
  epochMs: number;
  user: Person;
  /** A plain member of the first organization (for tests of what non-owners may see). */
  member: Person;
  people: Map<string, Person>;
  orgs: OrgRecord[];
  /** Repository seeds per namespace (user first, then organizations). */
  repositories: Map<string, RepoSeed[]>;
  pats: PatRecord[];
  audit: Map<string, AuditContext>;
  /** First free ids for things created at runtime. */
  nextRepositoryId: number;
  nextTeamId: number;
}

export function normalizeSeed(seed: number | string): string {
  return String(seed);
}

// ---------------------------------------------------------------- people

function uniqueName(base: string, used: Set<string>, rng: Prng): string {
  let name = base.slice(0, 26);
  while (used.has(name) || name.length < 4) name = `${base.slice(0, 26)}${rng.int(1, 999)}`;
  used.add(name);
  return name;
}

function gravatar(email: string): string {
  return createHash('md5').update(email).digest('hex');
}

function makePerson(rng: Prng, used: Set<string>, epochMs: number, numericId: number, username?: string): Person {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const base = username ?? rng.pick([`${first}${last}`, `${first}${last[0] ?? ''}`, `${first[0] ?? ''}${last}`, `${first}dev`]);
  const name = uniqueName(base, used, rng);
  const personal = rng.chance(0.5);
  const email = personal ? `${name}@${rng.pick(EMAIL_DOMAINS)}` : `${first}.${last}@${rng.pick(['example.com', 'example.org', 'example.net'])}`;
  return {
    id: rng.hex(32),
    numericId,
    username: name,
    fullName: rng.chance(0.85) ? `${first[0]?.toUpperCase()}${first.slice(1)} ${last[0]?.toUpperCase()}${last.slice(1)}` : '',
    company: rng.pick(COMPANIES),
    location: rng.pick(LOCATIONS),
    email,
    profileUrl: rng.chance(0.3) ? `https://github.com/${name}` : '',
    dateJoinedMs: epochMs - rng.int(60, 9 * 365) * DAY - rng.int(0, DAY - 1),
  };
}

export function gravatarUrl(person: Person): string {
  return person.profileUrl === '' ? '' : `https://gravatar.com/avatar/${gravatar(person.email)}?s=80&r=g&d=mm`;
}

// ---------------------------------------------------------------- organizations

function makeOats(rng: Prng, org: string, owner: string, epochMs: number, count: number): OatRecord[] {
  const labels = ['ci-pipeline', 'terraform', 'backup-job', 'github-actions', 'scanner', 'mirror-sync', 'grafana'];
  const out: OatRecord[] = [
    {
      id: uuid(rng),
      label: 'dockerhub-sync',
      description: 'Used by dockerhub-sync',
      createdBy: owner,
      isActive: true,
      createdMs: epochMs - rng.int(10, 200) * DAY,
      expiresMs: null,
      lastUsedMs: epochMs - rng.int(1, 48) * HOUR,
      resources: [
        { type: 'TYPE_ORG', path: org, scopes: ['member-read', 'member-edit', 'team-read', 'team-edit', 'audit-log-read', 'scope-activity-read', 'scope-repository-list', 'report-read'] },
        { type: 'TYPE_REPO', path: `${org}/*`, scopes: ['repo-pull', 'repo-push'] },
      ],
      secret: `dckr_oat_${rng.alnum(32)}`,
    },
  ];
  for (let i = 1; i < count; i++) {
    const createdMs = epochMs - rng.int(5, 500) * DAY;
    out.push({
      id: uuid(rng),
      label: i <= labels.length ? (labels[i - 1] as string) : `token-${i}`,
      description: rng.chance(0.5) ? 'Automation token' : '',
      createdBy: owner,
      isActive: rng.chance(0.8),
      createdMs,
      expiresMs: rng.chance(0.5) ? createdMs + rng.int(30, 365) * DAY : null,
      lastUsedMs: rng.chance(0.7) ? epochMs - rng.int(1, 60) * DAY : null,
      resources: [{ type: 'TYPE_REPO', path: rng.chance(0.5) ? `${org}/*` : '*/*/public', scopes: rng.chance(0.5) ? ['repo-pull'] : ['repo-pull', 'repo-push'] }],
      secret: `dckr_oat_${rng.alnum(32)}`,
    });
  }
  return out;
}

interface OrgPlan {
  name: string;
  people: Person[];
}

function makeOrg(rng: Prng, plan: OrgPlan, user: Person, index: number, epochMs: number, scale: number, nextTeamId: () => number, used: Set<string>): OrgRecord {
  const members = new Map<string, Membership>();
  const membership = (username: string, role: OrgRole): Membership => ({
    username,
    role,
    isGuest: rng.chance(0.1),
    lastLoggedInMs: epochMs - rng.int(0, 90) * DAY - rng.int(0, DAY - 1),
    lastSeenMs: epochMs - rng.int(0, 30) * DAY - rng.int(0, DAY - 1),
    lastDesktopVersion: rng.pick(DESKTOP_VERSIONS),
  });
  members.set(user.username, { ...membership(user.username, 'owner'), isGuest: false });
  const extraOwners = Math.max(index === 0 ? 1 : 0, Math.round(plan.people.length * 0.05));
  plan.people.forEach((person, i) => {
    const role: OrgRole = i < extraOwners ? 'owner' : rng.chance(0.18) ? 'editor' : 'member';
    members.set(person.username, membership(person.username, role));
  });

  const owners = [...members.values()].filter((m) => m.role === 'owner').map((m) => m.username);
  const everyone = [...members.keys()];
  const teams: TeamRecord[] = [{ id: nextTeamId(), uuid: uuid(rng), name: 'owners', description: 'Organization owners', role: 'owner', members: owners }];
  const teamCount = Math.max(2, Math.round(3 * Math.sqrt(scale)));
  const teamNames = new Set<string>(['owners']);
  for (let i = 0; i < teamCount; i++) {
    let name: string = rng.pick(TEAM_NAMES);
    for (let n = 2; teamNames.has(name); n++) name = `${rng.pick(TEAM_NAMES)}-${n}`;
    teamNames.add(name);
    const size = rng.int(1, Math.min(everyone.length, 3 + Math.round(6 * Math.sqrt(scale))));
    teams.push({ id: nextTeamId(), uuid: uuid(rng), name, description: rng.pick(TEAM_DESCRIPTIONS), role: 'member', members: rng.sample(everyone, size) });
  }

  const inviteCount = Math.max(1, Math.round(3 * scale));
  const invites = [];
  for (let i = 0; i < inviteCount; i++) {
    const byEmail = rng.chance(0.6);
    const invitee = byEmail
      ? `${rng.pick(FIRST_NAMES)}.${rng.pick(LAST_NAMES)}${rng.int(1, 9999)}@${rng.pick(EMAIL_DOMAINS)}`
      : uniqueName(`${rng.pick(FIRST_NAMES)}${rng.pick(LAST_NAMES)}`, used, rng);
    invites.push({
      id: uuid(rng),
      inviter: rng.pick(owners),
      invitee,
      team: rng.pick(teams.slice(1)).name,
      role: rng.weighted<OrgRole>([['member', 8], ['editor', 2], ['owner', 0.3]]),
      createdMs: epochMs - rng.int(0, 30) * DAY - rng.int(0, DAY - 1),
    });
  }

  const ramEnabled = rng.chance(0.4);
  const registries = ramEnabled
    ? [
        { id: uuid(rng), address: 'docker.io', friendlyName: 'Docker Hub', createdMs: epochMs - rng.int(30, 400) * DAY },
        ...(rng.chance(0.6) ? [{ id: uuid(rng), address: 'ghcr.io', friendlyName: 'GitHub Container Registry', createdMs: epochMs - rng.int(1, 300) * DAY }] : []),
      ]
    : [];
  return {
    name: plan.name,
    insights: index === 0,
    members,
    teams,
    invites,
    settings: { restricted_images: { enabled: rng.chance(0.5), allow_official_images: rng.chance(0.8), allow_verified_publishers: rng.chance(0.6) } },
    registryAccess: { enabled: ramEnabled, registries },
    oats: makeOats(rng, plan.name, user.username, epochMs, 2 + Math.round(Math.sqrt(scale))),
    customRoles: [],
  };
}

// ---------------------------------------------------------------- tokens of the user

function makePats(rng: Prng, epochMs: number, scale: number): PatRecord[] {
  const scopes = [['repo:admin'], ['repo:read'], ['repo:write'], ['repo:public_read']];
  const labels = ['laptop', 'github-actions', 'ci-read-only', 'renovate', 'old-token', 'buildkite', 'local-dev', 'scanner'];
  const pat = (label: string, scope: string[], extra: Partial<PatRecord>): PatRecord => {
    const createdMs = epochMs - rng.int(5, 700) * DAY - rng.int(0, DAY - 1);
    return {
      uuid: uuid(rng),
      label,
      scopes: scope,
      clientId: 'HUB',
      creatorIp: `${rng.int(11, 220)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
      creatorUa: rng.pick(USER_AGENTS),
      generatedBy: 'manual',
      createdMs,
      lastUsedMs: rng.chance(0.75) ? epochMs - rng.int(0, 60) * DAY - rng.int(0, DAY - 1) : null,
      expiresMs: rng.chance(0.4) ? createdMs + rng.int(30, 365) * DAY : null,
      isActive: rng.chance(0.85),
      secret: `dckr_pat_${rng.alnum(27)}`,
      ...extra,
    };
  };
  const out = [pat('dockerhub-sync', ['repo:admin'], { isActive: true, expiresMs: null })];
  const count = 3 + Math.round(2 * Math.sqrt(scale));
  for (let i = 1; i < count; i++) out.push(pat(i <= labels.length ? (labels[i - 1] as string) : `token-${i}`, rng.pick(scopes), {}));
  return out;
}

// ---------------------------------------------------------------- repositories

const PLATFORM = {
  amd64: { os: 'linux', architecture: 'amd64', variant: null, osVersion: null },
  arm64: { os: 'linux', architecture: 'arm64', variant: null, osVersion: null },
  arm64v8: { os: 'linux', architecture: 'arm64', variant: 'v8', osVersion: null },
  armv7: { os: 'linux', architecture: 'arm', variant: 'v7', osVersion: null },
  armv6: { os: 'linux', architecture: 'arm', variant: 'v6', osVersion: null },
  ppc64le: { os: 'linux', architecture: 'ppc64le', variant: null, osVersion: null },
  s390x: { os: 'linux', architecture: 's390x', variant: null, osVersion: null },
  i386: { os: 'linux', architecture: '386', variant: null, osVersion: null },
  windows: { os: 'windows', architecture: 'amd64', variant: null, osVersion: '10.0.20348.2700' },
} satisfies Record<string, PlatformSpec>;

function platformSet(rng: Prng): PlatformSpec[] {
  const arm64 = rng.chance(0.5) ? PLATFORM.arm64v8 : PLATFORM.arm64;
  return rng.weighted<PlatformSpec[]>([
    [[PLATFORM.amd64], 40],
    [[PLATFORM.amd64, arm64], 30],
    [[PLATFORM.amd64, arm64, PLATFORM.armv7], 15],
    [[PLATFORM.amd64, arm64, PLATFORM.armv7, PLATFORM.armv6, PLATFORM.ppc64le, PLATFORM.s390x, PLATFORM.i386], 10],
    [[PLATFORM.amd64, PLATFORM.windows], 5],
  ]);
}

function repositoryName(rng: Prng, used: Set<string>): string {
  for (let attempt = 0; attempt < 6; attempt++) {
    const word = rng.pick(REPO_WORDS);
    const name = rng.weighted<() => string>([
      [() => word, 3],
      [() => `${word}${rng.pick(REPO_SEPARATORS)}${rng.pick(REPO_WORDS)}`, 4],
      [() => `${word}${rng.pick(REPO_SEPARATORS)}${rng.pick(REPO_QUALIFIERS)}`, 3],
      [() => `${rng.pick(REPO_WORDS)}-${word}-${rng.pick(REPO_QUALIFIERS)}`, 1],
    ])();
    if (!used.has(name)) {
      used.add(name);
      return name;
    }
  }
  const base = rng.pick(REPO_WORDS);
  for (let n = 2; ; n++) {
    const name = `${base}-${n}`;
    if (!used.has(name)) {
      used.add(name);
      return name;
    }
  }
}

function fullDescription(rng: Prng, namespace: string, name: string, description: string): string | null {
  const roll = rng.next();
  if (roll < 0.15) return null;
  if (roll < 0.25) return '';
  const lines = [
    `# ${name}`,
    '',
    description === '' ? `Container image for ${name}.` : description,
    '',
    '## Usage',
    '',
    '```sh',
    `docker pull ${namespace}/${name}:latest`,
    `docker run --rm ${namespace}/${name}:latest --help`,
    '```',
  ];
  if (rng.chance(0.5)) lines.push('', '## Tags', '', '- `latest`: the newest release', '- `X.Y.Z`: pinned releases');
  return lines.join('\n');
}

function makeRepository(rng: Prng, namespace: string, id: number, used: Set<string>, epochMs: number, scale: number, pushers: RepoSeed['pushers'], privateShare: number): RepoSeed {
  const name = repositoryName(rng, used);
  if (!REPOSITORY_NAME_PATTERN.test(name)) throw new Error(`generated an invalid repository name: ${name}`);
  const template = rng.pick(DESCRIPTION_TEMPLATES);
  const description = rng.chance(0.15)
    ? ''
    : template.replaceAll('{name}', name).replaceAll('{Name}', `${name[0]?.toUpperCase()}${name.slice(1)}`).replaceAll('{ns}', namespace).slice(0, 100);
  const dateRegisteredMs = epochMs - rng.int(30, 6 * 365) * DAY - rng.int(0, DAY - 1);
  const ageMs = epochMs - dateRegisteredMs;
  const newestTagMs = epochMs - Math.floor(rng.next() ** 2 * Math.min(ageMs - HOUR, 400 * DAY)) - rng.int(1, 59) * MINUTE;
  const tagFactor = Math.max(1, Math.cbrt(scale));
  const tagCount = Math.max(1, Math.round(Math.floor(1 + 59 * rng.next() ** 3) * tagFactor));
  const tagGapMs = Math.max(MINUTE, Math.floor((newestTagMs - dateRegisteredMs) / (tagCount + 0.5)));
  const platforms = platformSet(rng);
  const tagStyle = rng.weighted<TagStyle>([['semver', 40], ['vsemver', 15], ['sha', 12], ['build', 10], ['nightly', 8], ['channel', 15]]);
  const pullCount = Math.floor(Math.exp(6 + rng.normal() * 2.4));
  const stale = epochMs - newestTagMs > 365 * DAY;
  const fractional = rng.chance(0.75);
  const mediaTypes: (string | null)[] = platforms.length > 1 ? [MEDIA_TYPE_OCI_INDEX, 'application/vnd.oci.image.manifest.v1+json'] : ['application/vnd.docker.container.image.v1+json', MEDIA_TYPE_DOCKER_MANIFEST];
  if (rng.chance(0.1)) mediaTypes.push(null);
  const immutable = rng.chance(0.15);
  return {
    id,
    namespace,
    name,
    isPrivate: rng.chance(privateShare),
    description,
    fullDescription: fullDescription(rng, namespace, name, description),
    dateRegisteredMs,
    lastModifiedMs: rng.chance(0.8) ? newestTagMs + Math.floor(rng.next() * (epochMs - newestTagMs)) : null,
    fractional,
    status: stale && rng.chance(0.4) ? 0 : 1,
    repositoryType: rng.chance(0.03) ? null : 'image',
    pullCount,
    starCount: Math.floor(Math.pow(pullCount, 0.3) * rng.next()),
    categories: rng.sample(CATEGORIES, rng.weighted([[0, 4], [1, 3], [2, 2], [3, 1]])).map((c) => ({ ...c })),
    mediaTypes,
    contentTypes: rng.chance(0.05) ? ['unrecognized', 'image'] : ['image'],
    immutableTags: immutable ? { enabled: true, rules: rng.pick([['v.*'], ['latest', 'stable'], ['[0-9]+.[0-9]+.[0-9]+']]) } : { enabled: false, rules: [] },
    tagCount,
    newestTagMs,
    tagGapMs,
    tagStyle,
    hasLatest: tagStyle !== 'sha' && rng.chance(0.85),
    variantSuffixes: rng.chance(0.4) ? rng.sample(TAG_VARIANT_SUFFIXES.slice(1), rng.int(1, 3)).concat(['']).reverse() : [''],
    channels: rng.sample(TAG_CHANNELS, rng.int(1, 3)),
    versionRadix: { patch: rng.int(3, 10), minor: rng.int(3, 12), majorBase: rng.int(0, 3) },
    buildBase: rng.int(100, 5000),
    platforms,
    imageSizeBase: Math.floor(Math.exp(17 + rng.normal() * 1.1)),
    pushers,
  };
}

/** Repository counts per namespace: a quarter for the user, the rest falling off across orgs. */
function repositoryCounts(total: number, orgCount: number): number[] {
  const weights = [0.25, ...Array.from({ length: orgCount }, (_, k) => 1 / (k + 1))];
  const orgWeight = weights.slice(1).reduce((a, b) => a + b, 0);
  const shares = weights.map((w, i) => (i === 0 ? w : (0.75 * w) / orgWeight));
  const exact = shares.map((s) => s * total);
  const counts = exact.map((x) => Math.max(1, Math.floor(x)));
  let missing = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; missing > 0; k = (k + 1) % order.length, missing--) {
    const index = order[k]?.[1] ?? 0;
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

// ---------------------------------------------------------------- the world

export function organizationCount(scale: number): number {
  return scale <= 4 ? 2 : 2 + Math.floor(Math.log2(scale / 2));
}

/**
 * `epochMs` moves the generated data's "now" (the demo anchors it to the present so that "not
 * pulled in 90 days" means something today); by default it is fixed by the seed, so the same seed
 * gives byte-identical data on any day.
 */
export function generateWorld(seed: number | string, scale: number, epochMs?: number): World {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`scale must be a positive number, got ${scale}`);
  const seedKey = normalizeSeed(seed);
  const rng = prngFor(seedKey, 'world');
  const seededEpochMs = Date.UTC(2025, 0, 1) + rng.int(0, 150) * DAY + rng.int(0, 86_399) * 1000;
  epochMs = epochMs ?? seededEpochMs;
  const usedIds = new Set<string>();
  let numericId = rng.int(100_000, 900_000);

  const user = makePerson(rng, usedIds, epochMs, numericId++, `${rng.pick(USER_WORDS)}${rng.pick(['dev', 'ops', 'builds', 'ci', 'hub'])}`);
  const people = new Map<string, Person>([[user.username, user]]);
  const orgNames: string[] = [];
  for (let i = 0; i < organizationCount(scale); i++) {
    orgNames.push(uniqueName(`${rng.pick(ORG_PREFIXES)}${rng.pick(ORG_SUFFIXES)}`, usedIds, rng));
  }

  // Members: each organization has its own people plus some shared with the previous one.
  const perOrg = Math.max(4, Math.round(10 * scale));
  const plans: OrgPlan[] = [];
  orgNames.forEach((name, index) => {
    const previous = plans[index - 1]?.people ?? [];
    const shared = rng.sample(previous, Math.floor(previous.length * 0.25));
    const fresh: Person[] = [];
    while (shared.length + fresh.length < perOrg) {
      const person = makePerson(rng, usedIds, epochMs, numericId++);
      people.set(person.username, person);
      fresh.push(person);
    }
    plans.push({ name, people: [...fresh, ...shared] });
  });

  let teamId = rng.int(1000, 9000);
  const orgs = plans.map((plan, index) => makeOrg(rng, plan, user, index, epochMs, scale, () => teamId++, usedIds));
  const firstOrg = orgs[0];
  if (!firstOrg) throw new Error('no organization generated');
  const member = [...firstOrg.members.values()].find((m) => m.role === 'member');
  if (!member) throw new Error('first organization has no plain member');
  const memberPerson = people.get(member.username) as Person;

  const namespaces = [user.username, ...orgNames];
  const { repositories, nextRepositoryId } = seedRepositories(rng, seedKey, namespaces, orgs, people, user, epochMs, scale);
  const audit = auditContexts(namespaces, orgs, repositories, epochMs, scale);

  return {
    seedKey,
    scale,
    epochMs,
    user,
    member: memberPerson,
    people,
    orgs,
    repositories,
    pats: makePats(rng, epochMs, scale),
    audit,
    nextRepositoryId,
    nextTeamId: teamId,
  };
}

/** Each namespace's repositories, pushed by its owners (or the user); each repository from a generator of its own. */
function seedRepositories(
  rng: Prng,
  seedKey: string,
  namespaces: string[],
  orgs: OrgRecord[],
  people: Map<string, Person>,
  user: Person,
  epochMs: number,
  scale: number,
): { repositories: Map<string, RepoSeed[]>; nextRepositoryId: number } {
  const counts = repositoryCounts(Math.max(namespaces.length, Math.round(40 * scale)), orgs.length);
  const repositories = new Map<string, RepoSeed[]>();
  let repositoryId = rng.int(100, 999);
  namespaces.forEach((namespace, nsIndex) => {
    const org = orgs[nsIndex - 1];
    const candidates = org
      ? [...org.members.values()].filter((m) => m.role !== 'member').map((m) => people.get(m.username) as Person)
      : [user];
    const used = new Set<string>();
    const seeds: RepoSeed[] = [];
    for (let i = 0; i < (counts[nsIndex] ?? 0); i++) {
      const repoRng = prngFor(seedKey, 'repo', namespace, i);
      const pushers = repoRng.sample(candidates, repoRng.int(1, Math.min(4, candidates.length))).map((p) => ({ username: p.username, numericId: p.numericId }));
      seeds.push(makeRepository(repoRng, namespace, repositoryId++, used, epochMs, scale, pushers, org ? 0.35 : 0.2));
    }
    repositories.set(namespace, seeds);
  });
  return { repositories, nextRepositoryId: repositoryId };
}

function auditContexts(namespaces: string[], orgs: OrgRecord[], repositories: Map<string, RepoSeed[]>, epochMs: number, scale: number): Map<string, AuditContext> {
  // Audit contexts: a few hundred events in total at scale 1, over about six months. Activity logs
  // are an organization feature, so the personal account starts empty (appended events still show).
  const audit = new Map<string, AuditContext>();
  namespaces.forEach((account, nsIndex) => {
    const org = orgs[nsIndex - 1];
    const members = org ? [...org.members.values()] : [];
    audit.set(
      account,
      auditContext(
        {
          account,
          isOrg: org !== undefined,
          count: org ? Math.max(10, Math.round(130 * scale)) : 0,
          repositories: (repositories.get(account) ?? []).map((r) => r.name),
          people: org ? members.map((m) => m.username) : [account],
          owners: members.filter((m) => m.role === 'owner').map((m) => m.username),
          teams: org ? org.teams.map((t) => t.name) : [],
        },
        epochMs,
      ),
    );
  });
  return audit;
}
