import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/client.js';
import { repositoryListEntrySchema } from '../hub/schemas.js';
import { repositories, repositoryStats } from '../db/schema/index.js';
import { rowMapper } from '../sync/mapping.js';
import type { Executor, Row, SliceRun } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import type { UpsertResult } from '../sync/upsert.js';
import { num, ts } from '../sync/convert.js';
import { defineEndpoint, type RunParts } from './define.js';
import { HUB_PATHS } from '../hub/paths.js';
import { isoText } from '../sync/chaining.js';

/** Fields of the list entry; a detail response never overrides these (the list is read every pass). */
export const LIST_FIELDS = new Set([
  'name', 'namespace', 'repository_type', 'status', 'status_description', 'description', 'is_private',
  'star_count', 'pull_count', 'last_updated', 'last_modified', 'date_registered', 'affiliation',
  'media_types', 'content_types', 'categories', 'storage_size',
]);

const mapRepository = rowMapper(repositories);

/** Columns of `repositories` from the merged API object (list entry + detail-only fields). */
export function repositoryRow(namespace: string, raw: Record<string, unknown>): Row {
  return mapRepository(raw, { namespace });
}

export interface StoredRepository {
  name: string;
  raw: Record<string, unknown>;
  last_updated: string | null;
  last_modified: string | null;
}

/**
 * The stored rows of these repositories, locked until the transaction ends: the list and the
 * detail both merge what is stored with what they read, and neither may write over the other's
 * fields with what it read before the other committed.
 */
export async function readStoredRepositories(tx: Executor, namespace: string, names: string[]): Promise<Map<string, StoredRepository>> {
  const out = new Map<string, StoredRepository>();
  if (names.length === 0) return out;
  const result = await tx.execute(sql`
    SELECT name, raw, ${isoText('last_updated')} AS last_updated, ${isoText('last_modified')} AS last_modified
    FROM dockerhub.repositories
    WHERE namespace = ${namespace} AND name IN (SELECT jsonb_array_elements_text(${JSON.stringify(names)}::jsonb))
    ORDER BY name
    FOR UPDATE`);
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

/** After a page of list entries was upserted: the pull history of the repositories whose counts moved. */
async function writeStats(run: SliceRun, tx: Executor, namespace: string, result: UpsertResult) {
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
}

/** Tags and images of repositories that disappeared disappear with them. */
async function cascadeDeletedRepositories(run: SliceRun, tx: Executor, namespace: string, names: string[]): Promise<void> {
  await run.markMissing(tx, entities.tags, { namespace, repository: names }, 'name', []);
  await run.markMissing(tx, entities.tagImages, { namespace, repository: names }, 'digest', []);
}

/**
 * The complete listing: every page, in name order. It alone decides deletions (when proven
 * complete) and sees pull-count changes of repositories nobody pushed to.
 */
function completeListing(run: SliceRun, namespace: string): RunParts<typeof repositoryListEntrySchema> {
  return {
    endpoint: `list repositories of ${namespace}`,
    rows: {
      // What was stored before each page's upsert: its rows merge it.
      async page(tx, items) {
        const stored = await readStoredRepositories(tx, namespace, items.map((item) => String(item.raw.name)));
        return listRows(namespace, items.map((item) => item.raw), stored);
      },
    },
    afterPage: (tx, { upserted }) => writeStats(run, tx, namespace, upserted),
    async afterListing(tx, { deleted }) {
      if (deleted.length > 0) await cascadeDeletedRepositories(run, tx, namespace, deleted.map((key) => String(key.name)));
    },
  };
}

/**
 * Between complete listings: newest first, stopping at the first repository whose
 * `last_updated` and `last_modified` are what is stored (one request when nothing changed).
 */
function recentListing(run: SliceRun, namespace: string): RunParts<typeof repositoryListEntrySchema> {
  let reachedUnchanged = false;
  return {
    query: { ordering: '-last_updated' },
    endpoint: `list recently updated repositories of ${namespace}`,
    what: `the recently updated repositories of ${namespace}`,
    rows: {
      // Only what moved is written; the first unchanged repository ends the read.
      async page(tx, items) {
        const stored = await readStoredRepositories(tx, namespace, items.map((item) => String(item.raw.name)));
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
    afterPage: (tx, { upserted }) => writeStats(run, tx, namespace, upserted),
    stopAfter: () => reachedUnchanged,
  };
}

/**
 * How early in a tick's minute a complete listing may come: the tick that finds less than this
 * left of REPOSITORY_LIST_INTERVAL lists completely. Without it, a listing that ended a few
 * seconds after 13:00 would make 14:00 too early and 14:01 the next complete one, and the hour
 * would creep a minute a time; a schedule whose ticks are the interval apart would skip every
 * other complete listing.
 */
export const COMPLETE_LISTING_SLACK_MS = 60_000;

/**
 * Whether the list of a namespace is read completely this run: always with --full, when
 * REPOSITORY_LIST_INTERVAL is 0, when no complete listing succeeded yet (or the last one was
 * incomplete: last_complete_at stays), and when the interval is (within a minute) over.
 */
export function completeListingDue(input: { intervalMs: number; full: boolean; lastCompleteMs: number | null; nowMs: number }): boolean {
  if (input.intervalMs <= 0 || input.full || input.lastCompleteMs === null) return true;
  return input.nowMs - input.lastCompleteMs >= input.intervalMs - Math.min(COMPLETE_LISTING_SLACK_MS, input.intervalMs / 2);
}

/**
 * The repository list of a namespace. Under `serve` the repositories job ticks every minute;
 * every REPOSITORY_LIST_INTERVAL (serve's default 1h; a `sync` lists completely unless it is set)
 * the list is read completely (and decides deletions); the ticks in between read it newest first
 * until the first unchanged repository: one request per namespace when nothing was pushed. Its rows keep the detail-only fields repository_details
 * stored; the endpoints chained from it (details, tags) find what changed by comparing this
 * table with their own state, in the same tick.
 */
export const repositoriesEndpoint = defineEndpoint({
  name: 'repositories',
  title: 'List repositories in a namespace',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/listNamespaceRepositories',
  schedule: '* * * * *',
  table: repositories,
  alsoWrites: [repositoryStats],
  request: { path: HUB_PATHS.repositories, query: { ordering: 'name' }, shape: 'results' },
  label: 'the repository list of {namespace}',
  slices: { per: 'namespace', param: 'namespace' },
  schema: repositoryListEntrySchema,
  deletes: { scope: ['namespace'] },
  // An incomplete listing leaves last_complete_at alone, so the next pass lists in full again.
  cursor: (summary) => ({ mode: 'complete', repositories: summary.listed, invalid: summary.invalid, ...(summary.complete ? {} : { incomplete: summary.incomplete }) }),
  each: async (run, { namespace }) => completeListing(run, namespace),
  // Between complete listings (REPOSITORY_LIST_INTERVAL), newest first until nothing changed: a
  // read that stops early speaks for nothing it did not show, so it deletes nothing.
  partial: {
    async when(run, { namespace }) {
      const intervalMs = run.deps.config.sync.repositoryListInterval ?? 0;
      if (intervalMs <= 0 || run.plan.full) return false;
      const lastCompleteMs = await lastCompleteListing(run, namespace);
      return !completeListingDue({ intervalMs, full: run.plan.full, lastCompleteMs, nowMs: Date.parse(run.now()) });
    },
    read: (run, { namespace }) => recentListing(run, namespace),
    cursor: (summary) => ({ mode: 'recent', changed: summary.rows }),
  },
});
