// Repositories and their tags. Generated tags stay virtual (generator/tags.ts); what changed at
// runtime is kept as a small overlay per repository: tags pushed since (newest first), indexes of
// generated tags deleted or re-pushed, and pull times. A page of tags is therefore computed from
// (seed, repository, overlay) without ever holding a repository's tags in memory.

import { hubTime, nullableTime } from '../format.js';
import { assembleTag, buildImages, estimatedStorageSize, generatedTagName, generateTag } from '../generator/tags.js';
import type { World } from '../generator/world.js';
import type { PlatformSpec, RepoSeed, RepositoryInfo, RepositoryListEntry, RepositoryPermissions, Tag } from '../model.js';
import type { Prng } from '../prng.js';
import type { Clock } from '../clock.js';

export const REPOSITORY_ORDERINGS = ['name', '-name', 'last_updated', '-last_updated', 'pull_count', '-pull_count'] as const;
export type RepositoryOrdering = (typeof REPOSITORY_ORDERINGS)[number];
export const TAG_ORDERINGS = ['name', '-name', 'last_updated', '-last_updated'] as const;
export type TagOrdering = (typeof TAG_ORDERINGS)[number];

/** Real Hub lists the most recently updated repositories first when no ordering is given. */
export const DEFAULT_REPOSITORY_ORDERING: RepositoryOrdering = '-last_updated';

interface TagOverlay {
  /** Tags pushed at runtime, newest first. */
  added: Tag[];
  /** Generated indexes no longer visible (deleted, or re-pushed and now in `added`), ascending. */
  hidden: number[];
  hiddenSet: Set<number>;
  /** Last pull of generated tags, by name. */
  pulledMs: Map<string, number>;
  /** Generated tag name → index, built on first lookup by name. */
  nameIndex: Map<string, number> | null;
}

export interface RepoState {
  seed: RepoSeed;
  pullCount: number;
  lastUpdatedMs: number;
  lastModifiedMs: number | null;
  storageSize: number | null;
  tags: TagOverlay;
  /** Team id → permission, from POST /v2/repositories/{ns}/{repo}/groups. */
  grants: Map<number, 'read' | 'write' | 'admin'>;
}

export interface NewRepositoryInput {
  name: string;
  description?: string;
  full_description?: string;
  is_private?: boolean;
  /** Push this many tags straight away (admin convenience). */
  tags?: number;
}

export interface NewTagInput {
  name: string;
  /** Platforms as `os/arch[/variant]` or bare architecture; default: the repository's platforms. */
  platforms?: string[];
  size?: number;
}

export interface Pusher {
  username: string;
  numericId: number;
}

function compareNames(a: RepoState, b: RepoState): number {
  return a.seed.name < b.seed.name ? -1 : a.seed.name > b.seed.name ? 1 : 0;
}

const COMPARATORS: Record<RepositoryOrdering, (a: RepoState, b: RepoState) => number> = {
  name: compareNames,
  '-name': (a, b) => compareNames(b, a),
  last_updated: (a, b) => a.lastUpdatedMs - b.lastUpdatedMs || compareNames(a, b),
  '-last_updated': (a, b) => b.lastUpdatedMs - a.lastUpdatedMs || compareNames(a, b),
  pull_count: (a, b) => a.pullCount - b.pullCount || compareNames(a, b),
  '-pull_count': (a, b) => b.pullCount - a.pullCount || compareNames(a, b),
};

function parsePlatform(text: string, fallback: readonly PlatformSpec[]): PlatformSpec {
  const parts = text.split('/');
  const [os, architecture, variant] = parts.length === 1 ? ['linux', parts[0], undefined] : parts;
  const known = fallback.find((p) => p.architecture === architecture && p.os === os && (variant === undefined || p.variant === variant));
  return known ?? { os: os ?? 'linux', architecture: architecture ?? 'amd64', variant: variant ?? null, osVersion: null };
}

export class RepositoryStore {
  private readonly byNamespace = new Map<string, Map<string, RepoState>>();
  private readonly sortedCache = new Map<string, { version: number; list: RepoState[] }>();
  private version = 0;
  private nextRepositoryId: number;
  private nextTagId = 9_000_000_000;

  constructor(
    private readonly world: World,
    private readonly clock: Clock,
    private readonly rng: Prng,
  ) {
    this.nextRepositoryId = world.nextRepositoryId;
    for (const [namespace, seeds] of world.repositories) {
      const repos = new Map<string, RepoState>();
      for (const seed of seeds) repos.set(seed.name, this.stateFromSeed({ ...seed }));
      this.byNamespace.set(namespace, repos);
    }
  }

  private stateFromSeed(seed: RepoSeed): RepoState {
    return {
      seed,
      pullCount: seed.pullCount,
      lastUpdatedMs: seed.tagCount > 0 ? seed.newestTagMs : seed.dateRegisteredMs,
      lastModifiedMs: seed.lastModifiedMs,
      storageSize: seed.tagCount > 0 ? estimatedStorageSize(seed) : null,
      tags: { added: [], hidden: [], hiddenSet: new Set(), pulledMs: new Map(), nameIndex: null },
      grants: new Map(),
    };
  }

  private touch(): void {
    this.version++;
  }

  hasNamespace(namespace: string): boolean {
    return this.byNamespace.has(namespace);
  }

  namespaces(): string[] {
    return [...this.byNamespace.keys()];
  }

  get(namespace: string, name: string): RepoState | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  /** All repositories of a namespace in the given order (cached until the next change). */
  sorted(namespace: string, ordering: RepositoryOrdering): RepoState[] {
    const key = `${namespace}\u0000${ordering}`;
    const cached = this.sortedCache.get(key);
    if (cached && cached.version === this.version) return cached.list;
    const list = [...(this.byNamespace.get(namespace)?.values() ?? [])].sort(COMPARATORS[ordering]);
    this.sortedCache.set(key, { version: this.version, list });
    return list;
  }

  listEntry(repo: RepoState): RepositoryListEntry {
    const { seed } = repo;
    return {
      name: seed.name,
      namespace: seed.namespace,
      repository_type: seed.repositoryType,
      status: seed.status,
      status_description: seed.status === 1 ? 'active' : 'inactive',
      description: seed.description,
      is_private: seed.isPrivate,
      star_count: seed.starCount,
      pull_count: repo.pullCount,
      last_updated: hubTime(repo.lastUpdatedMs, seed.fractional),
      last_modified: nullableTime(repo.lastModifiedMs, seed.fractional),
      date_registered: hubTime(seed.dateRegisteredMs, seed.fractional),
      affiliation: '',
      media_types: [...seed.mediaTypes],
      content_types: [...seed.contentTypes],
      categories: seed.categories.map((c) => ({ ...c })),
      storage_size: repo.storageSize ?? 0,
    };
  }

  /** The detail shape: the list entry plus the fields only GET …/repositories/{repo} has. */
  info(repo: RepoState, permissions: RepositoryPermissions): RepositoryInfo {
    const { seed } = repo;
    return {
      user: seed.namespace,
      ...this.listEntry(repo),
      // Typed non-null here: the detail schema says a repository always has one.
      last_updated: hubTime(repo.lastUpdatedMs, seed.fractional),
      is_automated: false,
      collaborator_count: 0,
      hub_user: seed.namespace,
      has_starred: false,
      full_description: seed.fullDescription,
      permissions: { ...permissions },
      immutable_tags_settings: { enabled: seed.immutableTags.enabled, rules: [...seed.immutableTags.rules] },
      storage_size: repo.storageSize,
    };
  }

  // ------------------------------------------------------------ tags (read)

  tagCount(repo: RepoState): number {
    return repo.tags.added.length + repo.seed.tagCount - repo.tags.hidden.length;
  }

  /** The generated index of the j-th generated tag still visible. */
  private visibleGeneratedIndex(repo: RepoState, j: number): number {
    let index = j;
    for (const hidden of repo.tags.hidden) {
      if (hidden <= index) index++;
      else break;
    }
    return index;
  }

  private materialize(repo: RepoState, index: number): Tag {
    const tag = generateTag(this.world.seedKey, this.world.epochMs, repo.seed, index);
    const pulled = repo.tags.pulledMs.get(tag.name);
    if (pulled !== undefined) markPulled(tag, hubTime(pulled, repo.seed.fractional));
    return tag;
  }

  /** Tag at position k in the default order (newest first). */
  private tagAt(repo: RepoState, k: number): Tag {
    const { added } = repo.tags;
    if (k < added.length) return added[k] as Tag;
    return this.materialize(repo, this.visibleGeneratedIndex(repo, k - added.length));
  }

  tagsPage(repo: RepoState, offset: number, limit: number, ordering: TagOrdering = '-last_updated'): Tag[] {
    const total = this.tagCount(repo);
    const end = Math.min(total, offset + limit);
    const out: Tag[] = [];
    if (ordering === '-last_updated') {
      for (let k = offset; k < end; k++) out.push(this.tagAt(repo, k));
    } else if (ordering === 'last_updated') {
      for (let k = offset; k < end; k++) out.push(this.tagAt(repo, total - 1 - k));
    } else {
      const names = this.visibleNames(repo).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      if (ordering === '-name') names.reverse();
      for (const entry of names.slice(offset, end)) out.push(entry.tag ?? this.materialize(repo, entry.index));
    }
    return out;
  }

  allTags(repo: RepoState): Tag[] {
    return this.tagsPage(repo, 0, this.tagCount(repo));
  }

  private visibleNames(repo: RepoState): { name: string; index: number; tag?: Tag }[] {
    const out: { name: string; index: number; tag?: Tag }[] = repo.tags.added.map((tag) => ({ name: tag.name, index: -1, tag }));
    for (let i = 0; i < repo.seed.tagCount; i++) {
      if (!repo.tags.hiddenSet.has(i)) out.push({ name: generatedTagName(this.world.seedKey, repo.seed, i), index: i });
    }
    return out;
  }

  private generatedIndexOf(repo: RepoState, name: string): number | undefined {
    if (repo.tags.nameIndex === null) {
      const index = new Map<string, number>();
      for (let i = 0; i < repo.seed.tagCount; i++) index.set(generatedTagName(this.world.seedKey, repo.seed, i), i);
      repo.tags.nameIndex = index;
    }
    const i = repo.tags.nameIndex.get(name);
    return i === undefined || repo.tags.hiddenSet.has(i) ? undefined : i;
  }

  getTag(repo: RepoState, name: string): Tag | undefined {
    const added = repo.tags.added.find((tag) => tag.name === name);
    if (added) return added;
    const index = this.generatedIndexOf(repo, name);
    return index === undefined ? undefined : this.materialize(repo, index);
  }

  /** Names of visible tags matching a regular expression (immutable-tags verify). */
  matchingTagNames(repo: RepoState, pattern: RegExp): string[] {
    return this.visibleNames(repo).map((entry) => entry.name).filter((name) => pattern.test(name));
  }

  // ------------------------------------------------------------ writes

  /** Adds an empty repository; the caller (EmulatorState) has validated the input. */
  create(namespace: string, input: NewRepositoryInput, pusher: Pusher): RepoState {
    const repos = this.byNamespace.get(namespace);
    if (!repos) throw new Error(`unknown namespace ${namespace}`);
    const now = this.clock.now();
    const seed: RepoSeed = {
      id: this.nextRepositoryId++,
      namespace,
      name: input.name,
      isPrivate: input.is_private ?? false,
      description: input.description ?? '',
      fullDescription: input.full_description ?? '',
      dateRegisteredMs: now,
      lastModifiedMs: now,
      fractional: true,
      status: 1,
      repositoryType: 'image',
      pullCount: 0,
      starCount: 0,
      categories: [],
      mediaTypes: [],
      contentTypes: [],
      immutableTags: { enabled: false, rules: [] },
      tagCount: 0,
      newestTagMs: now,
      tagGapMs: 60_000,
      tagStyle: 'semver',
      hasLatest: true,
      variantSuffixes: [''],
      channels: [],
      versionRadix: { patch: 10, minor: 10, majorBase: 1 },
      buildBase: 1,
      platforms: [{ os: 'linux', architecture: 'amd64', variant: null, osVersion: null }],
      imageSizeBase: 30_000_000,
      pushers: [pusher],
    };
    const state = this.stateFromSeed(seed);
    repos.set(seed.name, state);
    this.touch();
    return state;
  }

  delete(namespace: string, name: string): boolean {
    const removed = this.byNamespace.get(namespace)?.delete(name) ?? false;
    if (removed) this.touch();
    return removed;
  }

  /** Pushes (or re-pushes) a tag: it becomes the newest tag and the repository's last_updated moves. */
  pushTag(repo: RepoState, input: NewTagInput, pusher: Pusher): Tag {
    this.removeTag(repo, input.name);
    const now = this.clock.now();
    const platforms = input.platforms?.map((p) => parsePlatform(p, repo.seed.platforms)) ?? repo.seed.platforms;
    const seed = input.size === undefined ? repo.seed : { ...repo.seed, imageSizeBase: input.size };
    const images = buildImages(this.rng, seed, platforms, { pushedMs: now, pulledMs: null, referenceMs: now, blankOs: false });
    const tag = assembleTag(repo.seed, {
      id: this.nextTagId++,
      name: input.name,
      images,
      lastUpdatedMs: now,
      pushedMs: now,
      pusher,
      indexDigest: `sha256:${this.rng.hex(64)}`,
    });
    repo.tags.added.unshift(tag);
    if (repo.seed.mediaTypes.length === 0) repo.seed.mediaTypes.push(tag.media_type);
    if (repo.seed.contentTypes.length === 0) repo.seed.contentTypes.push('image');
    repo.lastUpdatedMs = now;
    repo.storageSize = (repo.storageSize ?? 0) + images.reduce((sum, image) => sum + image.size, 0);
    this.touch();
    return tag;
  }

  private removeTag(repo: RepoState, name: string): Tag | undefined {
    const { added } = repo.tags;
    const position = added.findIndex((tag) => tag.name === name);
    if (position >= 0) return added.splice(position, 1)[0];
    const index = this.generatedIndexOf(repo, name);
    if (index === undefined) return undefined;
    const tag = this.materialize(repo, index);
    repo.tags.hiddenSet.add(index);
    const hidden = repo.tags.hidden;
    let at = hidden.length;
    while (at > 0 && (hidden[at - 1] as number) > index) at--;
    hidden.splice(at, 0, index);
    return tag;
  }

  deleteTag(repo: RepoState, name: string): Tag | undefined {
    const removed = this.removeTag(repo, name);
    if (!removed) return undefined;
    repo.lastUpdatedMs = this.clock.now();
    const freed = removed.images.reduce((sum, image) => sum + image.size, 0);
    repo.storageSize = Math.max(0, (repo.storageSize ?? 0) - freed);
    this.touch();
    return removed;
  }

  /** Pulls change pull_count and the pulled tag's recency, never the repository's last_updated; the tag pulled. */
  bumpPulls(repo: RepoState, count: number, tagName?: string): string | undefined {
    repo.pullCount += count;
    const now = this.clock.now();
    const target = tagName ?? this.tagsPage(repo, 0, 1)[0]?.name;
    if (target !== undefined && count > 0) {
      const added = repo.tags.added.find((tag) => tag.name === target);
      if (added) markPulled(added, hubTime(now, repo.seed.fractional));
      else if (this.generatedIndexOf(repo, target) !== undefined) repo.tags.pulledMs.set(target, now);
    }
    this.touch();
    return target;
  }

  /** Description edits and privacy changes move last_modified only. */
  modify(repo: RepoState, change: (seed: RepoSeed) => void): void {
    change(repo.seed);
    repo.lastModifiedMs = this.clock.now();
    this.touch();
  }
}

function markPulled(tag: Tag, when: string): void {
  const first = tag.images[0];
  if (first) {
    first.last_pulled = when;
    first.status = 'active';
  }
  tag.tag_last_pulled = when;
  tag.tag_status = 'active';
}
