import { imageKey, tagSchema } from '../hub/schemas.js';
import type { Executor, Row, SliceRun } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import type { UpsertResult } from '../sync/upsert.js';
import { obj } from '../sync/convert.js';
import { tagImages, tags } from '../db/schema/index.js';
import { rowMapper, type RowMapping } from '../sync/mapping.js';
import { chainedRepositories } from '../sync/chaining.js';
import { tagReadReason } from '../sync/plan.js';
import { sameInstant } from './repositories.js';
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
 * The tags of the repositories whose tags may have changed (tagReadReason in sync/plan.ts), from
 * the repository table and this endpoint's own state: a pass that crashed half-way picks up
 * exactly what it left.
 */
export const tagsEndpoint = defineEndpoint({
  name: 'tags',
  title: 'List repository tags and their images, chained from the list',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/ListRepositoryTags',
  schedule: '10 * * * *',
  table: tags,
  alsoWrites: [tagImages],
  request: { path: HUB_PATHS.tags, shape: 'results' },
  label: 'the tag list of {namespace}/{repository}',
  slices: {
    parent: 'repositories',
    params: ['namespace', 'repository'],
    async custom(plan, deps) {
      const rows = await chainedRepositories<TagCursor>(deps.database.db, 'tags', plan);
      const now = (deps.clock?.now() ?? new Date()).toISOString();
      const refreshMs = deps.config.sync.tagRefreshInterval;
      return rows
        .filter((row) => {
          const read = row.cursor?.read;
          return tagReadReason({
            full: plan.full,
            listed: { lastUpdated: row.last_updated, pullCount: row.pull_count, liveTags: row.live_tags },
            lastRead: read ? { at: read.at, lastUpdated: read.last_updated, pullCount: read.pull_count, tags: read.tags } : undefined,
            now,
            refreshMs,
            sameInstant,
          });
        })
        .map(({ namespace, name }) => ({ namespace, repository: name }));
    },
  },
  schema: tagSchema,
  mapping: tagMapping,
  deletes: { scope: ['namespace', 'repository'] },
  cursor: 'snapshot',
  notFound: 'skip',
  async each(run, { namespace, repository }) {
    // What the list shows before reading (if a push or a pull lands while we read, it moves and
    // the next pass reads the tags again), and what the last read kept.
    const [before] = await chainedRepositories<TagCursor>(run.deps.database.db, 'tags', { namespace, name: repository });
    const previous = before?.cursor;
    const startedAt = run.now();
    return {
      endpoint: `list tags of ${namespace}/${repository}`,
      afterPage: (tx, { items, upserted }) => writeTagImages(run, tx, namespace, repository, items.map((item) => item.raw), upserted),
      async afterListing(tx, { complete, deleted }) {
        // Images of tags that are gone go with them.
        if (complete && deleted.length > 0) {
          await run.markMissing(tx, entities.tagImages, { namespace, repository, tag: deleted.map((key) => key.name) }, 'digest', []);
        }
      },
      // Without a complete listing, what the last complete read saw stays: the rule compares with it.
      cursor: (summary): TagCursor => ({
        tags: summary.listed,
        invalid: summary.invalid,
        ...(summary.complete ? {} : { incomplete: summary.incomplete }),
        ...(summary.complete
          ? { read: { at: startedAt, last_updated: before?.last_updated ?? null, pull_count: before?.pull_count ?? null, tags: summary.listed } }
          : previous?.read
            ? { read: previous.read }
            : {}),
      }),
    };
  },
});
