import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/client.js';
import { repositoryListEntrySchema } from '../hub/schemas.js';
import { repositories, repositoryStats } from '../db/schema/index.js';
import { rowMapper } from '../sync/mapping.js';
import type { Executor, Row, SliceRun, SyncPlan } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { deletionsAllowed } from '../sync/completeness.js';
import { withLast } from '../sync/lookahead.js';
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

/** Write a page of list entries (merged with stored detail fields), pull history, and chaining marks. */
async function writeListPage(run: SliceRun, tx: Executor, namespace: string, items: Record<string, unknown>[], stored: Map<string, StoredRepository>) {
  const rows = items.map((raw) => repositoryRow(namespace, { ...(stored.get(String(raw.name))?.raw ?? {}), ...raw }));
  const result = await run.upsert(tx, entities.repositories, rows);
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
  const seen = new Set<string>();
  let invalid = 0;
  const pages = run.deps.client.paginate({
    path: repositoryListPath.render({ namespace }),
    query: { ordering: 'name' },
    shape: 'results',
    endpoint: `list repositories of ${namespace}`,
  });
  for await (const { value: page, last, end } of withLast(pages)) {
    run.pageFetched();
    await run.transaction(async (tx) => {
      const checked = await run.validate(tx, repositoryListEntrySchema, page.items, page.url);
      invalid += checked.invalid;
      const stored = await readStoredRepositories(tx, namespace, checked.valid.map((item) => String(item.raw.name)));
      await writeListPage(run, tx, namespace, checked.valid.map((item) => item.raw), stored);
      for (const item of checked.valid) seen.add(String(item.raw.name));
      if (last) {
        const verdict = deletionsAllowed(run, end, invalid, `the repository list of ${namespace}`);
        if (verdict.allowed) {
          const gone = await run.markMissing(tx, entities.repositories, { namespace }, 'name', seen);
          if (gone.length > 0) await cascadeDeletedRepositories(run, tx, namespace, gone.map((key) => String(key.name)));
        }
        // An incomplete listing leaves last_complete_at alone, so the next pass lists in full again.
        await run.setCursor(
          tx,
          { mode: 'complete', repositories: seen.size, invalid, ...(verdict.allowed ? {} : { incomplete: verdict.reason }) },
          { complete: verdict.allowed },
        );
      }
    });
  }
}

/**
 * Between complete listings: newest first, stopping at the first repository whose
 * `last_updated` and `last_modified` are what is stored (one request when nothing changed).
 */
async function recentListing(run: SliceRun, namespace: string): Promise<void> {
  const pages = run.deps.client.paginate({
    path: repositoryListPath.render({ namespace }),
    query: { ordering: '-last_updated' },
    shape: 'results',
    endpoint: `list recently updated repositories of ${namespace}`,
  });
  let changed = 0;
  for await (const page of pages) {
    run.pageFetched();
    const reachedUnchanged = await run.transaction(async (tx) => {
      const checked = await run.validate(tx, repositoryListEntrySchema, page.items, page.url);
      const stored = await readStoredRepositories(tx, namespace, checked.valid.map((item) => String(item.raw.name)));
      const fresh: Record<string, unknown>[] = [];
      let stop = false;
      for (const { raw } of checked.valid) {
        const old = stored.get(String(raw.name));
        const unchanged =
          old && sameInstant(old.last_updated, raw.last_updated as string | null) && sameInstant(old.last_modified, raw.last_modified as string | null);
        // Repositories never pushed to have no last_updated and sort unpredictably: never stop at one.
        if (unchanged && raw.last_updated) {
          stop = true;
          break;
        }
        if (!unchanged) fresh.push(raw);
      }
      await writeListPage(run, tx, namespace, fresh, stored);
      changed += fresh.length;
      await run.setCursor(tx, { mode: 'recent', changed }, { complete: false });
      return stop;
    });
    if (reachedUnchanged) break;
  }
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
