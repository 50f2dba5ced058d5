// Tags are never stored: tag `i` of a repository (0 = newest) is a pure function of
// (seed, repository, i). Push times fall strictly with `i`, so the default listing order
// (newest first) is index order and any page is O(page_size) to produce, whatever the scale.

import { DAY, nullableTime, sha256Digest, yyyymmdd } from '../format.js';
import type { PlatformSpec, RepoSeed, Tag, TagImage, TagLayer } from '../model.js';
import { type Prng, prngFor } from '../prng.js';
import { LAYER_INSTRUCTIONS, METADATA_INSTRUCTIONS } from '../words.js';

/** Tags older than this (relative to the data epoch) may carry the nulls real old tags have. */
const OLD_TAG_AGE_MS = 730 * DAY;
const ACTIVE_WINDOW_MS = 30 * DAY;

export const MEDIA_TYPE_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_TYPE_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MEDIA_TYPE_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export function tagPushedMs(seedKey: string, repo: RepoSeed, index: number): number {
  const jitter = index === 0 ? 0 : prngFor(seedKey, 'tag-time', repo.id, index).next();
  return repo.newestTagMs - Math.floor((index + jitter) * repo.tagGapMs);
}

/** A bijection on 28-bit integers, so `sha-…` tag names never collide inside a repository. */
function shortSha(repo: RepoSeed, ordinal: number): string {
  const mixed = (Math.imul(ordinal + 1, 0x9e3779b1) ^ Math.imul(repo.id, 0x85ebca6b)) & 0x0fffffff;
  return mixed.toString(16).padStart(7, '0');
}

function version(repo: RepoSeed, release: number): string {
  const { patch, minor, majorBase } = repo.versionRadix;
  const p = release % patch;
  const m = Math.floor(release / patch) % minor;
  const major = majorBase + Math.floor(release / (patch * minor));
  return `${major}.${m}.${p}`;
}

export function generatedTagName(seedKey: string, repo: RepoSeed, index: number): string {
  if (index === 0 && repo.hasLatest) return 'latest';
  // Ordinal 0 is the oldest release; the newest tags carry the highest versions.
  const ordinal = repo.tagCount - 1 - index;
  switch (repo.tagStyle) {
    case 'semver': {
      const k = repo.variantSuffixes.length;
      return `${version(repo, Math.floor(ordinal / k))}${repo.variantSuffixes[ordinal % k] ?? ''}`;
    }
    case 'vsemver':
      return `v${version(repo, ordinal)}`;
    case 'sha':
      return `sha-${shortSha(repo, ordinal)}`;
    case 'build':
      return `build-${repo.buildBase + ordinal}`;
    case 'nightly':
      return `nightly-${yyyymmdd(tagPushedMs(seedKey, repo, index))}-r${ordinal}`;
    case 'channel': {
      const slot = index - (repo.hasLatest ? 1 : 0);
      if (slot < repo.channels.length) return repo.channels[slot] as string;
      return version(repo, ordinal);
    }
  }
}

function layers(rng: Prng, totalSize: number): TagLayer[] {
  const filesystem = rng.int(1, 4);
  const out: TagLayer[] = [];
  let remaining = totalSize;
  for (let i = 0; i < filesystem; i++) {
    const size = i === filesystem - 1 ? remaining : Math.floor(remaining * (0.3 + rng.next() * 0.5));
    remaining -= size;
    out.push({ digest: sha256Digest(rng), size, instruction: rng.pick(LAYER_INSTRUCTIONS).replace('{hex}', rng.hex(64)) });
  }
  const metadata = rng.int(0, 2);
  for (let i = 0; i < metadata; i++) out.push({ digest: null, size: 0, instruction: rng.pick(METADATA_INSTRUCTIONS) });
  return out;
}

export interface ImageTimes {
  pushedMs: number | null;
  /** Last pull of the primary platform; other platforms were pulled at most as recently. */
  pulledMs: number | null;
  /** "now" for the active/inactive status: the data epoch for generated tags, the clock for pushes. */
  referenceMs: number;
  /** Very old images sometimes report os "" (seen on real Hub). */
  blankOs: boolean;
}

export function buildImages(rng: Prng, repo: RepoSeed, platforms: readonly PlatformSpec[], times: ImageTimes): TagImage[] {
  return platforms.map((platform, position) => {
    const factor = platform.architecture === 'amd64' ? 1 : 0.85 + rng.next() * 0.3;
    const size = Math.max(1024, Math.round(repo.imageSizeBase * factor * (0.8 + rng.next() * 0.4)));
    let pulledMs = times.pulledMs;
    if (pulledMs !== null && position > 0) {
      pulledMs = rng.chance(0.35) ? null : pulledMs - Math.floor(rng.next() * 20 * DAY);
      if (pulledMs !== null && times.pushedMs !== null && pulledMs < times.pushedMs) pulledMs = times.pushedMs;
    }
    const recent = (ms: number | null): boolean => ms !== null && times.referenceMs - ms <= ACTIVE_WINDOW_MS;
    return {
      architecture: platform.architecture,
      features: '',
      variant: platform.variant,
      digest: sha256Digest(rng),
      os: times.blankOs ? '' : platform.os,
      os_features: '',
      os_version: platform.osVersion,
      size,
      status: recent(pulledMs) || recent(times.pushedMs) ? 'active' : 'inactive',
      last_pulled: nullableTime(pulledMs, repo.fractional),
      last_pushed: nullableTime(times.pushedMs, repo.fractional),
      layers: layers(rng, size),
    };
  });
}

export interface TagFields {
  id: number;
  name: string;
  images: TagImage[];
  /** null for very old tags, like real Hub. */
  lastUpdatedMs: number | null;
  pushedMs: number | null;
  pusher: { username: string; numericId: number };
  indexDigest: string;
}

/** Assembles a tag from its parts; shared by generated tags and tags pushed at runtime. */
export function assembleTag(repo: RepoSeed, fields: TagFields): Tag {
  const multiArch = fields.images.length > 1;
  const first = fields.images[0];
  let lastPulled: string | null = null;
  for (const image of fields.images) {
    if (image.last_pulled !== null && (lastPulled === null || image.last_pulled > lastPulled)) lastPulled = image.last_pulled;
  }
  const creator = repo.pushers[0] ?? fields.pusher;
  return {
    creator: creator.numericId,
    id: fields.id,
    images: fields.images,
    last_updated: nullableTime(fields.lastUpdatedMs, repo.fractional),
    last_updater: fields.pusher.numericId,
    last_updater_username: fields.pusher.username,
    name: fields.name,
    repository: repo.id,
    full_size: first?.size ?? 0,
    v2: true,
    tag_status: fields.images.some((image) => image.status === 'active') ? 'active' : 'inactive',
    tag_last_pulled: lastPulled,
    tag_last_pushed: nullableTime(fields.pushedMs, repo.fractional),
    media_type: multiArch ? (repo.fractional ? MEDIA_TYPE_OCI_INDEX : MEDIA_TYPE_DOCKER_LIST) : MEDIA_TYPE_DOCKER_MANIFEST,
    content_type: 'image',
    digest: multiArch ? fields.indexDigest : (first?.digest ?? fields.indexDigest),
  };
}

export function generateTag(seedKey: string, epochMs: number, repo: RepoSeed, index: number): Tag {
  const rng = prngFor(seedKey, 'tag', repo.id, index);
  const pushedMs = tagPushedMs(seedKey, repo, index);
  const age = epochMs - pushedMs;
  const old = age > OLD_TAG_AGE_MS;
  const nullPush = old && rng.chance(0.6);
  const nullUpdated = nullPush && rng.chance(0.5);
  // Multi-arch repositories usually started single-arch: their oldest tags have one image.
  const platforms = repo.platforms.length > 1 && index > repo.tagCount * 0.6 && rng.chance(0.7) ? repo.platforms.slice(0, 1) : repo.platforms;
  const pullChance = index === 0 ? 0.95 : Math.max(0.1, 0.9 - age / (400 * DAY));
  const pulledMs = rng.chance(pullChance) ? epochMs - Math.floor(rng.next() ** 2 * Math.min(age, 120 * DAY)) : null;
  const images = buildImages(rng, repo, platforms, {
    pushedMs: nullPush ? null : pushedMs,
    pulledMs,
    referenceMs: epochMs,
    blankOs: nullPush && rng.chance(0.3),
  });
  return assembleTag(repo, {
    id: repo.id * 100_000 + index,
    name: generatedTagName(seedKey, repo, index),
    images,
    lastUpdatedMs: nullUpdated ? null : pushedMs,
    pushedMs: nullPush ? null : pushedMs,
    pusher: rng.pick(repo.pushers),
    indexDigest: sha256Digest(rng),
  });
}

/** Bytes a generated repository stores, estimated without generating its tags. */
export function estimatedStorageSize(repo: RepoSeed): number {
  return Math.round(repo.tagCount * repo.platforms.length * repo.imageSizeBase * 0.7);
}
