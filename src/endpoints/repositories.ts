import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/client.js';
import { repositoryListEntrySchema } from '../hub/schemas.js';
import { repositories, repositoryStats } from '../db/schema/index.js';
import { rowMapper } from '../sync/mapping.js';
import type { Executor, Row, SliceRun, SyncPlan } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { listPages, runPageLoop } from '../sync/engine.js';
import type { UpsertResult } from '../sync/upsert.js';
import { tagReadReason } from '../sync/plan.js';
import { num, ts } from './map.js';
import { pathTemplate, sliceParams } from './define.js';
import type { EndpointDefinition } from './types.js';

/** The repository list of a namespace. */
export const repositoryListPath = pathTemplate('/v2/namespaces/{namespace}/repositories', ['namespace']);

/** Fields of the list entry; a detail response never overrides these (the list is read every pass). */
export const LIST_FIELDS = new Set([
  'name', 'namespace', 'repository_type', 'status', 'status_description', 'description', 'is_private',
  'star_count', 'pull_count', 'last_updated', 'last_modified', 'date_registered', 'affiliation',
  'media_types', 'content_types', 'categories', 'storage_size',
]);

const mapRepository = rowMapper(repositories, {
  // Written by the detail and tag steps, never by the list.
  skip: ['detail_synced_at', 'detail_synced_for', 'tags_synced_for', 'tags_synced_at'],
});

/** Columns of `repositories` from the merged API object (list entry + detail-only fields). */
export function repositoryRow(namespace: string, raw: Record<string, unknown>): Row {
  return mapRepository(raw, { namespace });
}

export interface StoredRepository {
  name: string;
  raw: Record<string, unknown>;
  last_updated: string | null;
  last_modified: string | null;
  detail_synced_at: string | null;
  detail_synced_for: string | null;
  tags_synced_at: string | null;
  tags_synced_for: string | null;
}

export async function readStoredRepositories(tx: Executor, namespace: string, names: string[]): Promise<Map<string, StoredRepository>> {
  const out = new Map<string, StoredRepository>();
  if (names.length === 0) return out;
  const result = await tx.execute(sql`
    SELECT name, raw,
      to_char(last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS last_updated,
      to_char(last_modified AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS last_modified,
      to_char(detail_synced_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS detail_synced_at,
      to_char(detail_synced_for AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS detail_synced_for,
      to_char(tags_synced_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS tags_synced_at,
      to_char(tags_synced_for AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS tags_synced_for
    FROM dockerhub.repositories
    WHERE namespace = ${namespace} AND name IN (SELECT jsonb_array_elements_text(${JSON.stringify(names)}::jsonb))`);
  for (const row of rowsOf<StoredRepository>(result)) {
    out.set(row.name, { ...row, raw: typeof row.raw === 'string' ? JSON.parse(row.raw) : row.raw });
  }
  return out;
}

/** Same instant? Compares timestamps whatever their spelling (fractions, offsets). */
export function sameInstant(a: string | null | undefined, b: string | null | undefined): boolean {
  return instantKey(a) === instantKey(b);
}

function instantKey(value: string | null | undefined): string | null {
  const iso = ts(value);
  if (iso === null) return null;
  const match = /^(.*?)(?:\.(\d+))?Z$/.exec(iso);
  return match ? `${match[1]}.${(match[2] ?? '').padEnd(6, '0')}` : iso;
}

function noteChanged(plan: SyncPlan, namespace: string, name: string, reason: 'details' | 'tags'): void {
  const key = `${namespace}/${name}`;
  const entry = plan.changedRepositories.get(key) ?? { namespace, name, reasons: new Set() };
  entry.reasons.add(reason);
  plan.changedRepositories.set(key, entry);
}

/** When the last complete listing of a namespace finished (null: never). */
async function lastCompleteListing(run: SliceRun, namespace: string): Promise<number | null> {
  const rows = rowsOf<{ at: string | null }>(
    await run.deps.database.db.execute(sql`
      SELECT to_char(last_complete_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
      FROM dockerhub.sync_state WHERE endpoint = 'repositories' AND slice_key = ${namespace}`),
  );
  const at = rows[0]?.at;
  return at ? Date.parse(at) : null;
}

/** Rows of a page of list entries, merged with the stored detail-only fields. */
function listRows(namespace: string, items: Record<string, unknown>[], stored: Map<string, StoredRepository>): Row[] {
  return items.map((raw) => repositoryRow(namespace, { ...(stored.get(String(raw.name))?.raw ?? {}), ...raw }));
}

/** After a page of list entries was upserted: pull history and chaining marks. */
async function afterListPage(run: SliceRun, tx: Executor, namespace: string, rows: Row[], result: UpsertResult, stored: Map<string, StoredRepository>) {
  const now = run.now();
  const stats = result.changed
    .filter((change) => change.op === 'insert' || change.op === 'restore' || change.fields?.pull_count || change.fields?.star_count)
    .map((change) => ({
      namespace,
      name: String(change.row.name),
      observed_at: now,
      pull_count: num(change.row.pull_count),
      star_count: num(change.row.star_count),
    }));
  if (stats.length > 0) await tx.insert(repositoryStats).values(stats).onConflictDoNothing();
  // A repository that comes back (deleted_at cleared) may have lost its tags with it: they are
  // due now, whatever its last_updated says.
  const restored = result.changed.filter((change) => change.op === 'restore').map((change) => String(change.row.name));
  if (restored.length > 0) {
    await tx.execute(sql`
      UPDATE dockerhub.repositories SET tags_synced_at = NULL
      WHERE namespace = ${namespace} AND name IN (SELECT jsonb_array_elements_text(${JSON.stringify(restored)}::jsonb))`);
    for (const name of restored) noteChanged(run.plan, namespace, name, 'tags');
  }
  // Lookup chaining: which repositories need their detail and tags read in this pass.
  for (const row of rows) {
    const name = String(row.name);
    const old = stored.get(name);
    const changedMarker = (row.last_modified ?? row.last_updated) as string | null;
    if (run.plan.full || !old || !old.detail_synced_at || !sameInstant(old.detail_synced_for, changedMarker)) {
      noteChanged(run.plan, namespace, name, 'details');
    }
    const lastRead = old?.tags_synced_at
      ? { at: old.tags_synced_at, lastUpdated: old.tags_synced_for, pullCount: num(old.raw.pull_count) }
      : undefined;
    const listed = { lastUpdated: row.last_updated as string | null, pullCount: row.pull_count as number | null };
    const refreshMs = run.deps.config.sync.tagRefreshInterval;
    if (tagReadReason({ full: run.plan.full, listed, lastRead, now: run.now(), refreshMs, sameInstant })) {
      noteChanged(run.plan, namespace, name, 'tags');
    }
  }
}

/**
 * The complete listing: every page, in name order. It alone decides deletions (when proven
 * complete) and sees pull-count changes of repositories nobody pushed to.
 */
async function completeListing(run: SliceRun, namespace: string): Promise<void> {
  // What was stored before each page's upsert: its rows merge it, its chaining marks compare with it.
  let stored = new Map<string, StoredRepository>();
  await runPageLoop(run, {
    spec: entities.repositories,
    pages: listPages(run, {
      path: repositoryListPath.render({ namespace }),
      query: { ordering: 'name' },
      shape: 'results',
      endpoint: `list repositories of ${namespace}`,
    }),
    schema: repositoryListEntrySchema,
    rows: {
      async page(tx, items) {
        stored = await readStoredRepositories(tx, namespace, items.map((item) => String(item.raw.name)));
        return listRows(namespace, items.map((item) => item.raw), stored);
      },
    },
    afterPage: (tx, { rows, upserted }) => afterListPage(run, tx, namespace, rows, upserted, stored),
    deletes: { scope: { namespace }, keyColumns: 'name' },
    async afterListing(tx, { deleted }) {
      if (deleted.length > 0) await cascadeDeletedRepositories(run, tx, namespace, deleted.map((key) => String(key.name)));
    },
    // An incomplete listing leaves last_complete_at alone, so the next pass lists in full again.
    cursor: (summary) => ({ mode: 'complete', repositories: summary.listed, invalid: summary.invalid, ...(summary.complete ? {} : { incomplete: summary.incomplete }) }),
    what: `the repository list of ${namespace}`,
  });
}

/**
 * Between complete listings: newest first, stopping at the first repository whose
 * `last_updated` and `last_modified` are what is stored (one request when nothing changed).
 */
async function recentListing(run: SliceRun, namespace: string): Promise<void> {
  let stored = new Map<string, StoredRepository>();
  let reachedUnchanged = false;
  await runPageLoop(run, {
    spec: entities.repositories,
    pages: listPages(run, {
      path: repositoryListPath.render({ namespace }),
      query: { ordering: '-last_updated' },
      shape: 'results',
      endpoint: `list recently updated repositories of ${namespace}`,
    }),
    schema: repositoryListEntrySchema,
    rows: {
      // Only what moved is written; the first unchanged repository ends the read.
      async page(tx, items) {
        stored = await readStoredRepositories(tx, namespace, items.map((item) => String(item.raw.name)));
        const fresh: Record<string, unknown>[] = [];
        for (const { raw } of items) {
          const old = stored.get(String(raw.name));
          const unchanged =
            old && sameInstant(old.last_updated, raw.last_updated as string | null) && sameInstant(old.last_modified, raw.last_modified as string | null);
          // Repositories never pushed to have no last_updated and sort unpredictably: never stop at one.
          if (unchanged && raw.last_updated) {
            reachedUnchanged = true;
            break;
          }
          if (!unchanged) fresh.push(raw);
        }
        return listRows(namespace, fresh, stored);
      },
    },
    afterPage: (tx, { rows, upserted }) => afterListPage(run, tx, namespace, rows, upserted, stored),
    cursor: (summary) => ({ mode: 'recent', changed: summary.rows }),
    stopAfter: () => reachedUnchanged,
    what: `the recently updated repositories of ${namespace}`,
  });
}

async function run(run: SliceRun): Promise<void> {
  const { namespace } = sliceParams(run.slice, ['namespace']);
  const interval = run.deps.config.sync.repositoryListInterval;
  if (interval > 0 && !run.plan.full) {
    const last = await lastCompleteListing(run, namespace);
    if (last !== null && Date.parse(run.now()) - last < interval) {
      await recentListing(run, namespace);
      return;
    }
  }
  await completeListing(run, namespace);
}

/** Tags and images of repositories that disappeared disappear with them. */
async function cascadeDeletedRepositories(run: SliceRun, tx: Executor, namespace: string, names: string[]): Promise<void> {
  await run.markMissing(tx, entities.tags, { namespace, repository: names }, 'name', []);
  await run.markMissing(tx, entities.tagImages, { namespace, repository: names }, 'digest', []);
}

export const repositoriesEndpoint: EndpointDefinition = {
  name: 'repositories',
  title: 'List repositories in a namespace',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/listNamespaceRepositories',
  tables: ['repositories', 'repository_stats'],
  schedule: '0 * * * *',
  template: { path: repositoryListPath.template, query: { ordering: 'name' }, shape: 'results' },
  async slices(plan) {
    return plan.namespaces.map((namespace) => ({ key: namespace, params: { namespace } }));
  },
  run,
  request(slice) {
    return {
      path: repositoryListPath.render(sliceParams(slice, ['namespace'])),
      query: { ordering: 'name' },
      shape: 'results',
      schema: repositoryListEntrySchema,
    };
  },
};
