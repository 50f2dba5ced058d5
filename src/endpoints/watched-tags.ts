import { HubNotFoundError } from '../hub/errors.js';
import { tagSchema } from '../hub/schemas.js';
import type { SliceRun } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { objectPage, runPageLoop } from '../sync/engine.js';
import { tagRow, tagRows } from './tags.js';
import { pathTemplate, sliceParams } from './define.js';
import type { EndpointDefinition } from './types.js';

// Not a `template` of the definition: metrics count get-tag calls as `tag`, not per endpoint.
const tagPath = pathTemplate('/v2/namespaces/{namespace}/repositories/{repository}/tags/{tag}', ['namespace', 'repository', 'tag']);

/** `namespace/repository:tag` → its parts. */
export function parseWatchedTag(value: string): { namespace: string; repository: string; tag: string } {
  const [path = '', tag = ''] = value.split(':');
  const [namespace = '', repository = ''] = path.split('/');
  return { namespace, repository, tag };
}

async function run(run: SliceRun): Promise<void> {
  const { namespace, repository, tag } = sliceParams(run.slice, ['namespace', 'repository', 'tag']);
  try {
    await runPageLoop(run, {
      ...tagRows(run, namespace, repository),
      pages: objectPage(run, { path: tagPath.render({ namespace, repository, tag }), endpoint: `get tag ${namespace}/${repository}:${tag}` }),
      cursor: 'none',
      // Read is done when the tag was valid: one object is not a listing that could prove more.
      completeWhen: 'valid',
      what: `tag ${namespace}/${repository}:${tag}`,
    });
  } catch (error) {
    if (!(error instanceof HubNotFoundError)) throw error;
    // The watched tag is gone: mark it (and its images) deleted.
    await run.transaction(async (tx) => {
      const key = tagRow(namespace, repository, { name: tag });
      const all = await run.markMissing(tx, entities.tags, { namespace, repository, name: key.name }, 'name', []);
      await run.markMissing(tx, entities.tagImages, { namespace, repository, tag }, 'digest', []);
      run.logger.info({ tag: run.slice.key, deleted: all.length }, 'watched tag no longer exists');
      await run.setCursor(tx, { missing: true }, { complete: true });
    });
  }
}

export const watchedTagsEndpoint: EndpointDefinition = {
  name: 'watched_tags',
  title: 'Get one tag (configured watched tags)',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/GetRepositoryTag',
  tables: ['tags', 'tag_images'],
  schedule: '*/15 * * * *',
  async slices(_plan, deps) {
    return deps.config.sync.watchedTags.map((value) => ({ key: value, params: parseWatchedTag(value) }));
  },
  run,
  request(slice) {
    const { namespace, repository, tag } = sliceParams(slice, ['namespace', 'repository', 'tag']);
    return {
      path: tagPath.render({ namespace, repository, tag }),
      shape: 'object',
      schema: tagSchema,
    };
  },
};
