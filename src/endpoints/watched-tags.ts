import { tagImages, tags } from '../db/schema/index.js';
import { tagSchema } from '../hub/schemas.js';
import { entities } from '../sync/entities.js';
import { tagMapping, tagRow, writeTagImages } from './tags.js';
import { defineEndpoint } from './define.js';
import { HUB_PATHS } from '../hub/paths.js';

/** `namespace/repository:tag` → its parts. */
export function parseWatchedTag(value: string): { namespace: string; repository: string; tag: string } {
  const [path = '', tag = ''] = value.split(':');
  const [namespace = '', repository = ''] = path.split('/');
  return { namespace, repository, tag };
}

export const watchedTagsEndpoint = defineEndpoint({
  name: 'watched_tags',
  title: 'Get one tag (configured watched tags)',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/GetRepositoryTag',
  schedule: '*/15 * * * *',
  table: tags,
  alsoWrites: [tagImages],
  request: { path: HUB_PATHS.tag, shape: 'object' },
  label: 'tag {namespace}/{repository}:{tag}',
  // Metrics count get-tag calls as `tag`, whoever makes them.
  route: 'tag',
  slices: {
    params: ['namespace', 'repository', 'tag'],
    needs: 'DOCKERHUB_WATCHED_TAGS (namespace/repository:tag)',
    // A copy as a custom endpoint reads one tag of each repository (a custom endpoint names it).
    copyAs: { parent: 'repositories', params: { namespace: 'namespace', repository: 'name' }, literals: { tag: 'latest' } },
    async list(_plan, deps) {
      return deps.config.sync.watchedTags.map(parseWatchedTag);
    },
  },
  sliceKey: '{namespace}/{repository}:{tag}',
  schema: tagSchema,
  mapping: tagMapping,
  cursor: 'none',
  // Read is done when the tag was valid: one object is not a listing that could prove more.
  completeWhen: 'valid',
  async each(run, { namespace, repository, tag }) {
    return {
      endpoint: `get tag ${namespace}/${repository}:${tag}`,
      afterPage: (tx, { items, upserted }) => writeTagImages(run, tx, namespace, repository, items.map((item) => item.raw), upserted),
    };
  },
  // The watched tag is gone: it and its images are marked deleted.
  async notFound(run, { namespace, repository, tag }) {
    await run.transaction(async (tx) => {
      const key = tagRow(namespace, repository, { name: tag });
      const all = await run.markMissing(tx, entities.tags, { namespace, repository, name: key.name }, 'name', []);
      await run.markMissing(tx, entities.tagImages, { namespace, repository, tag }, 'digest', []);
      run.logger.info({ tag: run.slice.key, deleted: all.length }, 'watched tag no longer exists');
      await run.setCursor(tx, { missing: true }, { complete: true });
    });
  },
});
