import { repositories } from '../db/schema/index.js';
import { repositoryInfoSchema } from '../hub/schemas.js';
import { comparable, readFor, type RefreshWhen } from '../sync/chaining.js';
import { LIST_FIELDS, readStoredRepositories, repositoryRow } from './repositories.js';
import { defineEndpoint } from './define.js';
import { HUB_PATHS } from '../hub/paths.js';

/** What repository_details keeps per repository in sync_state: the list's change marker it read the detail for. */
interface DetailCursor {
  /** `last_modified` (or `last_updated`) of the repository when its detail was read. */
  for?: string | null;
  invalid?: number;
}

/** A detail is read again when the list's change marker moved (`last_modified`, else `last_updated`). */
const detailRefresh: RefreshWhen = {
  moved: [{ reason: 'changed', fields: ['last_modified', 'last_updated'] }],
  lastRead: (cursor) => (cursor !== null && typeof cursor === 'object' && 'for' in cursor ? { values: { changed: (cursor as DetailCursor).for ?? null } } : undefined),
};

/**
 * The detail of a repository adds the fields the list does not carry (full description,
 * permissions, immutable tags). It is read for new repositories, for those whose `last_modified`
 * moved since their detail was read, and (with --full) for all of them. Which ones were read for
 * what is this endpoint's own state (sync_state, slice `namespace/name`), so a pass that stopped
 * half-way picks up exactly what it left, and the list's table holds no marks of other steps.
 */
export const repositoryDetailsEndpoint = defineEndpoint({
  name: 'repository_details',
  title: 'Get a repository (detail-only fields), chained from the list',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/GetRepository',
  table: repositories,
  request: { path: HUB_PATHS.repository, shape: 'object' },
  label: 'repository {namespace}/{repository}',
  slices: {
    parent: 'repositories',
    table: repositories,
    params: { namespace: 'namespace', repository: 'name' },
    within: { field: 'namespace', plan: 'namespaces' },
    refreshWhen: detailRefresh,
  },
  schema: repositoryInfoSchema,
  // An invalid detail records no marker: it is read again next pass.
  cursor: (summary, { run }) =>
    summary.invalid === 0 && summary.rows > 0 ? { for: comparable(readFor(detailRefresh, run.slice.parent ?? {}).changed) } : { invalid: summary.invalid },
  notFound: 'skip',
  async each(run, { namespace, repository }) {
    return {
      endpoint: `get repository ${namespace}/${repository}`,
      rows: {
        // The detail adds its own fields to what is stored; the list's fields stay the list's.
        async page(tx, items) {
          const item = items[0];
          if (!item) return [];
          const stored = (await readStoredRepositories(tx, namespace, [repository])).get(repository);
          const detailOnly = Object.fromEntries(Object.entries(item.raw).filter(([key]) => !LIST_FIELDS.has(key)));
          const base = stored?.raw ?? Object.fromEntries(Object.entries(item.raw).filter(([key]) => LIST_FIELDS.has(key)));
          return [repositoryRow(namespace, { ...base, ...detailOnly })];
        },
      },
    };
  },
});
