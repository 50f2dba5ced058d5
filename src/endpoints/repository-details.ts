import { repositories } from '../db/schema/index.js';
import { repositoryInfoSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { chainedRepositories } from '../sync/chaining.js';
import { LIST_FIELDS, readStoredRepositories, repositoryRow, sameInstant } from './repositories.js';
import { defineEndpoint } from './define.js';
import { HUB_PATHS } from '../hub/paths.js';

/** What repository_details keeps per repository in sync_state: the list's change marker it read the detail for. */
interface DetailCursor {
  /** `last_modified` (or `last_updated`) of the repository when its detail was read. */
  for?: string | null;
  invalid?: number;
}

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
  schedule: '5 * * * *',
  table: repositories,
  request: { path: HUB_PATHS.repository, shape: 'object' },
  label: 'repository {namespace}/{repository}',
  slices: {
    parent: 'repositories',
    params: ['namespace', 'repository'],
    async custom(plan, deps) {
      const rows = await chainedRepositories<DetailCursor>(deps.database.db, 'repository_details', plan);
      return rows
        .filter(({ cursor, last_modified, last_updated }) => {
          if (plan.full || !cursor || !('for' in cursor)) return true;
          return !sameInstant(cursor.for ?? null, last_modified ?? last_updated);
        })
        .map(({ namespace, name }) => ({ namespace, repository: name }));
    },
  },
  schema: repositoryInfoSchema,
  cursor: 'none',
  notFound: 'skip',
  async each(run, { namespace, repository }) {
    let marker: string | null = null;
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
          const row: Row = repositoryRow(namespace, { ...base, ...detailOnly });
          marker = (row.last_modified ?? row.last_updated ?? null) as string | null;
          return [row];
        },
      },
      // An invalid detail records no marker: it is read again next pass.
      cursor: (summary) => (summary.invalid === 0 && summary.rows > 0 ? { for: marker } : { invalid: summary.invalid }),
    };
  },
});
