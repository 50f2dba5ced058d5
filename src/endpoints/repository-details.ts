import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/client.js';
import { HubNotFoundError } from '../hub/errors.js';
import { repositoryInfoSchema } from '../hub/schemas.js';
import type { Slice, SliceRun, SyncDeps, SyncPlan } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { tagsDueCondition } from '../sync/plan.js';
import { objectPage, runPageLoop } from '../sync/engine.js';
import { LIST_FIELDS, readStoredRepositories, repositoryRow } from './repositories.js';
import { pathTemplate, sliceParams } from './define.js';
import type { EndpointDefinition } from './types.js';

const detailPath = pathTemplate('/v2/namespaces/{namespace}/repositories/{repository}', ['namespace', 'repository']);

/**
 * Repositories whose detail must be (re)read: new ones, ones whose `last_modified` moved since
 * the last detail call, and (with --full) all of them; or whose tags must be (tagReadReason in
 * sync/plan.ts). Derived from the table, so a pass that crashed half-way picks up exactly what
 * it left.
 */
export async function repositoriesNeeding(
  deps: SyncDeps,
  plan: SyncPlan,
  what: 'details' | 'tags',
): Promise<Slice[]> {
  const namespaces = JSON.stringify(plan.namespaces);
  const refreshMs = deps.config.sync.tagRefreshInterval;
  const now = (deps.clock?.now() ?? new Date()).toISOString();
  const condition = plan.full
    ? sql`TRUE`
    : what === 'details'
      ? sql`(detail_synced_at IS NULL OR detail_synced_for IS DISTINCT FROM coalesce(last_modified, last_updated))`
      : tagsDueCondition(now, refreshMs);
  const result = await deps.database.db.execute(sql`
    SELECT namespace, name FROM dockerhub.repositories r
    WHERE deleted_at IS NULL AND namespace IN (SELECT jsonb_array_elements_text(${namespaces}::jsonb)) AND ${condition}
    ORDER BY namespace, name`);
  const keys = new Map<string, { namespace: string; name: string }>();
  for (const row of rowsOf<{ namespace: string; name: string }>(result)) keys.set(`${row.namespace}/${row.name}`, row);
  // In a dry run nothing was written, so the list's findings of this pass count too.
  for (const [key, entry] of plan.changedRepositories) {
    if (entry.reasons.has(what) && plan.namespaces.includes(entry.namespace)) keys.set(key, entry);
  }
  return [...keys.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, { namespace, name }]) => ({ key, params: { namespace, repository: name } }));
}

async function run(run: SliceRun): Promise<void> {
  const { namespace, repository } = sliceParams(run.slice, ['namespace', 'repository']);
  try {
    await runPageLoop(run, {
      spec: entities.repositories,
      pages: objectPage(run, { path: detailPath.render({ namespace, repository }), endpoint: `get repository ${namespace}/${repository}` }, run.slice.key),
      schema: repositoryInfoSchema,
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
      async afterPage(tx, { rows }) {
        if (rows.length === 0) return;
        await tx.execute(sql`
          UPDATE dockerhub.repositories
          SET detail_synced_at = ${run.now()}::timestamptz, detail_synced_for = coalesce(last_modified, last_updated)
          WHERE namespace = ${namespace} AND name = ${repository}`);
      },
      // Progress lives in the repository row (detail_synced_at/_for), not in a cursor.
      cursor: 'keep',
      what: `repository ${namespace}/${repository}`,
    });
  } catch (error) {
    if (error instanceof HubNotFoundError) {
      // Deleted since the list was read: the next complete list marks it deleted.
      run.logger.info({ repository: `${namespace}/${repository}` }, 'repository no longer exists; skipped');
      return;
    }
    throw error;
  }
}

export const repositoryDetailsEndpoint: EndpointDefinition = {
  name: 'repository_details',
  title: 'Get a repository (detail-only fields), chained from the list',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/GetRepository',
  tables: ['repositories'],
  schedule: '5 * * * *',
  parent: 'repositories',
  template: { path: detailPath.template, shape: 'object' },
  slices: (plan, deps) => repositoriesNeeding(deps, plan, 'details'),
  run,
  request(slice) {
    return {
      path: detailPath.render(sliceParams(slice, ['namespace', 'repository'])),
      shape: 'object',
      schema: repositoryInfoSchema,
    };
  },
};
