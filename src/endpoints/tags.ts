import { imageKey, tagSchema } from '../hub/schemas.js';
import type { Executor, Row, SliceRun } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import type { UpsertResult } from '../sync/upsert.js';
import { obj } from '../sync/convert.js';
import { repositories, tagImages, tags } from '../db/schema/index.js';
import { rowMapper, type RowMapping } from '../sync/mapping.js';
import { comparable, readFor, type RefreshWhen } from '../sync/chaining.js';
import { defineEndpoint } from './define.js';
import { HUB_PATHS } from '../hub/paths.js';

/** Columns of `tags` that are not the same-named API field. */
export const tagMapping: RowMapping = {
  columns: {
    repository_id: 'repository',
    // The spec calls it `status`; real responses say `tag_status`.
    tag_status: (item) => item.tag_status ?? item.status,
  },
};
const mapTag = rowMapper(tags, tagMapping);
const mapImage = rowMapper(tagImages);

export function tagRow(namespace: string, repository: string, raw: Record<string, unknown>): Row {
  return mapTag(raw, { namespace, repository });
}

/** A tag's `images` as a list (the spec says one object, real answers a list); undefined when absent. */
function imagesOf(tag: Record<string, unknown>): unknown[] | undefined {
  const images = tag.images;
  if (Array.isArray(images)) return images;
  if (images !== null && typeof images === 'object') return [images];
  return undefined;
}

/** One row per image of a tag. An image without a digest is keyed by its platform. */
export function tagImageRows(namespace: string, repository: string, tag: Record<string, unknown>): Row[] {
  const images = imagesOf(tag) ?? [];
  const rows = new Map<string, Row>();
  for (const value of images) {
    const image = obj(value);
    const digest = imageKey(image);
    rows.set(digest, mapImage(image, { namespace, repository, tag: String(tag.name), digest }));
  }
  return [...rows.values()];
}

/**
 * After a page of tags was upserted: the images of every tag that is new or changed, one batch
 * for the whole page, and one statement that marks the images those tags no longer have.
 */
export async function writeTagImages(
  run: SliceRun,
  tx: Executor,
  namespace: string,
  repository: string,
  tags: Record<string, unknown>[],
  upserted: UpsertResult,
): Promise<void> {
  const changedNames = new Set(upserted.changed.map((change) => String(change.row.name)));
  const touched = tags.filter((raw) => run.plan.full || changedNames.has(String(raw.name)));
  if (touched.length === 0) return;
  const images = touched.flatMap((raw) => tagImageRows(namespace, repository, raw));
  await run.upsert(tx, entities.tagImages, images);
  // A tag without an `images` field says nothing about its images: only listed ones decide.
  const listed = touched.filter((raw) => imagesOf(raw) !== undefined).map((raw) => String(raw.name));
  if (listed.length === 0) return;
  await run.markMissing(
    tx,
    entities.tagImages,
    { namespace, repository, tag: listed },
    ['tag', 'digest'],
    images.map((image) => [image.tag, image.digest]),
  );
}

/** What the tag list keeps per repository in sync_state (slice `namespace/name`). */
export interface TagCursor {
  tags?: number;
  invalid?: number;
  incomplete?: string;
  /** What the repository list showed when the last complete read started, and the tags it left live. */
  read?: { at: string; last_updated: string | null; pull_count: number | null; tags: number };
}

/**
 * Tags change when a repository is pushed to (`last_updated` moves) and their pull times
 * change when one of them is pulled (`pull_count` moves), so the repository list alone says
 * whose tags to read: the daily cost grows with activity, not with the repositories owned.
 * Tags the table no longer holds live (a repository that disappeared took them along, and came
 * back) are read again. Anything Hub changes without either (a tag going inactive) waits for
 * the slow refresh, TAG_REFRESH_INTERVAL.
 */
export const tagRefresh: RefreshWhen = {
  moved: [
    { reason: 'pushed', fields: ['last_updated'] },
    { reason: 'pulled', fields: ['pull_count'] },
  ],
  liveRows: 'tags',
  every: (config) => config.sync.tagRefreshInterval,
  lastRead: (cursor) => {
    const read = (cursor as TagCursor | null)?.read;
    return read ? { at: read.at, values: { pushed: read.last_updated, pulled: read.pull_count }, rows: read.tags } : undefined;
  },
};

/**
 * The tags of the repositories whose tags may have changed (tagRefresh), from the repository
 * table and this endpoint's own state: a pass that crashed half-way picks up exactly what it left.
 */
export const tagsEndpoint = defineEndpoint({
  name: 'tags',
  title: 'List repository tags and their images, chained from the list',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/ListRepositoryTags',
  table: tags,
  alsoWrites: [tagImages],
  request: { path: HUB_PATHS.tags, shape: 'results' },
  label: 'the tag list of {namespace}/{repository}',
  slices: {
    parent: 'repositories',
    table: repositories,
    params: { namespace: 'namespace', repository: 'name' },
    within: { field: 'namespace', plan: 'namespaces' },
    refreshWhen: tagRefresh,
  },
  schema: tagSchema,
  mapping: tagMapping,
  deletes: { scope: ['namespace', 'repository'] },
  // What the list showed when the slice was chosen (if a push or a pull lands while we read, it
  // moves and the next pass reads the tags again). Without a complete listing, what the last
  // complete read saw stays: the rule compares with it.
  cursor: (summary, { run, startedAt, previous }): TagCursor => {
    const seen = readFor(tagRefresh, run.slice.parent ?? {});
    const kept = (previous as TagCursor | undefined)?.read;
    return {
      tags: summary.listed,
      invalid: summary.invalid,
      ...(summary.complete ? {} : { incomplete: summary.incomplete }),
      ...(summary.complete
        ? { read: { at: startedAt, last_updated: comparable(seen.pushed) as string | null, pull_count: (seen.pulled ?? null) as number | null, tags: summary.listed } }
        : kept
          ? { read: kept }
          : {}),
    };
  },
  notFound: 'skip',
  async each(run, { namespace, repository }) {
    return {
      endpoint: `list tags of ${namespace}/${repository}`,
      afterPage: (tx, { items, upserted }) => writeTagImages(run, tx, namespace, repository, items.map((item) => item.raw), upserted),
      async afterListing(tx, { complete, deleted }) {
        // Images of tags that are gone go with them.
        if (complete && deleted.length > 0) {
          await run.markMissing(tx, entities.tagImages, { namespace, repository, tag: deleted.map((key) => key.name) }, 'digest', []);
        }
      },
    };
  },
});
