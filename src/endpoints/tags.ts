import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/client.js';
import { HubNotFoundError } from '../hub/errors.js';
import { imageKey, tagSchema } from '../hub/schemas.js';
import type { Executor, Row, SliceRun } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { listPages, runPageLoop, type PageLoop } from '../sync/engine.js';
import type { UpsertResult } from '../sync/upsert.js';
import { obj } from './map.js';
import { tagImages, tags } from '../db/schema/index.js';
import { rowMapper } from '../sync/mapping.js';
import { repositoriesNeeding } from './repository-details.js';
import { pathTemplate, sliceParams } from './define.js';
import type { EndpointDefinition } from './types.js';

const tagListPath = pathTemplate('/v2/namespaces/{namespace}/repositories/{repository}/tags', ['namespace', 'repository']);

const mapTag = rowMapper(tags, {
  columns: {
    repository_id: 'repository',
    // The spec calls it `status`; real responses say `tag_status`.
    tag_status: (item) => item.tag_status ?? item.status,
  },
});
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

/** The engine's part shared by the tag list and the watched tags: tag rows, then their images. */
export function tagRows(run: SliceRun, namespace: string, repository: string): Pick<PageLoop<typeof tagSchema>, 'spec' | 'schema' | 'rows' | 'afterPage'> {
  return {
    spec: entities.tags,
    schema: tagSchema,
    rows: (item) => [tagRow(namespace, repository, item.raw)],
    afterPage: (tx, { items, upserted }) => writeTagImages(run, tx, namespace, repository, items.map((item) => item.raw), upserted),
  };
}

async function run(run: SliceRun): Promise<void> {
  const { namespace, repository } = sliceParams(run.slice, ['namespace', 'repository']);
  // The repository's last_updated before reading: if a push lands while we read, it moves and
  // the next pass reads the tags again.
  const before = rowsOf<{ last_updated: string | null }>(
    await run.deps.database.db.execute(
      sql`SELECT to_char(last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS last_updated
          FROM dockerhub.repositories WHERE namespace = ${namespace} AND name = ${repository}`,
    ),
  )[0];
  // Pulls the list records after this instant make the tags due again (see tagsDueCondition).
  const readStartedAt = run.now();
  let valid = 0;
  const tagPart = tagRows(run, namespace, repository);
  try {
    await runPageLoop(run, {
      ...tagPart,
      pages: listPages(run, { path: tagListPath.render({ namespace, repository }), shape: 'results', endpoint: `list tags of ${namespace}/${repository}` }),
      afterPage: async (tx, written) => {
        valid += written.items.length;
        await tagPart.afterPage!(tx, written);
      },
      deletes: { scope: { namespace, repository }, keyColumns: 'name' },
      afterListing: async (tx, { complete, deleted }) => {
        // Without a complete listing tags_synced_at stays as it was: the tags are read again next pass.
        if (!complete) return;
        // Images of tags that are gone go with them.
        if (deleted.length > 0) {
          await run.markMissing(tx, entities.tagImages, { namespace, repository, tag: deleted.map((key) => key.name) }, 'digest', []);
        }
        await tx.execute(sql`
          UPDATE dockerhub.repositories
          SET tags_synced_at = ${readStartedAt}::timestamptz, tags_synced_for = ${before?.last_updated ?? null}::timestamptz
          WHERE namespace = ${namespace} AND name = ${repository}`);
      },
      cursor: (summary) => ({ tags: summary.listed, invalid: summary.invalid, ...(summary.complete ? {} : { incomplete: summary.incomplete }) }),
      what: `the tag list of ${namespace}/${repository}`,
    });
  } catch (error) {
    if (error instanceof HubNotFoundError && valid === 0) {
      run.logger.info({ repository: `${namespace}/${repository}` }, 'repository no longer exists; skipped');
      return;
    }
    throw error;
  }
}

export const tagsEndpoint: EndpointDefinition = {
  name: 'tags',
  title: 'List repository tags and their images, chained from the list',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/ListRepositoryTags',
  tables: ['tags', 'tag_images'],
  schedule: '10 * * * *',
  parent: 'repositories',
  template: { path: tagListPath.template, shape: 'results' },
  slices: (plan, deps) => repositoriesNeeding(deps, plan, 'tags'),
  run,
  request(slice) {
    return {
      path: tagListPath.render(sliceParams(slice, ['namespace', 'repository'])),
      shape: 'results',
      schema: tagSchema,
    };
  },
};
