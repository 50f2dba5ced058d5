import { eq, sql } from 'drizzle-orm';
import { rowsOf } from '../db/client.js';
import type { z } from 'zod';
import { syncErrors, syncRuns, syncState } from '../db/schema/index.js';
import { HubRequestRefusedError } from '../hub/errors.js';
import { formatIssues, storableCopy } from '../hub/schemas.js';
import { scrubSecrets } from '../logger.js';
import type { EndpointDefinition, Executor, Slice, SliceCounters, SliceOutcome, SliceRun, SyncDeps, SyncOptions, SyncPlan } from './context.js';
import { withRequestTally, type RequestTally } from './attribution.js';
import { buildPlan } from './plan.js';
import { scopeOfSlice } from '../hub/credentials.js';
import type { HubClient } from '../hub/client.js';
import { markMissing, upsertEntities } from './upsert.js';
import { LeaseLostError, sliceLeaseKey, withLease } from '../db/leases.js';
import type { Database } from '../db/client.js';

export interface SliceReport extends SliceOutcome {
  endpoint: string;
  slice: string;
  /** Skipped because this lease holder was running it. */
  heldBy?: string;
  /** Username of the credential the slice ran with (with several credentials configured). */
  credential?: string | undefined;
}

export interface SyncSummary {
  plan: SyncPlan;
  slices: SliceReport[];
  durationMs: number;
  requests: number;
  failed: number;
  skipped: number;
  /** Of the skipped: those another process was running at the time. */
  held: number;
}

class DryRunRollback extends Error {}

/** Thrown between pages when the pass is asked to stop (SIGTERM): the last page's transaction has committed. */
export class SyncAbortedError extends Error {
  constructor() {
    super('interrupted: the process is shutting down; the next pass resumes from the stored cursors');
    this.name = 'SyncAbortedError';
  }
}

/** Endpoint names from --only, checked against the registry (built-ins and the config's own). */
export function selectEndpoints(
  only: readonly string[] | undefined,
  backfill: boolean,
  registry: readonly EndpointDefinition[],
): EndpointDefinition[] {
  if (!only || only.length === 0) {
    return backfill ? registry.filter((e) => e.backfill) : [...registry];
  }
  const unknown = only.filter((name) => !registry.some((e) => e.name === name));
  if (unknown.length > 0) {
    throw new RangeError(
      `Unknown endpoint${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} in --only. Endpoints: ${registry.map((e) => e.name).join(', ')}.`,
    );
  }
  return registry.filter((e) => only.includes(e.name));
}

function secretsOf(deps: SyncDeps): string[] {
  const { hub } = deps.config;
  return [hub.token, hub.password, hub.jwt, hub.scimToken, ...(deps.clients?.secrets ?? [])].filter((s): s is string => Boolean(s));
}

/** One pass: every selected endpoint, every slice, each under its lease. */
export async function runSync(deps: SyncDeps, options: SyncOptions = {}): Promise<SyncSummary> {
  const started = Date.now();
  options = { ...options, passStartedAt: options.passStartedAt ?? (deps.clock?.now() ?? new Date()).toISOString() };
  const requestsOf = () => (deps.clients ? deps.clients.stats().requests : deps.client.stats.requests);
  const requestsBefore = requestsOf();
  const selected = selectEndpoints(options.only, Boolean(options.backfill), deps.registry);
  const plan = await buildPlan(deps, options);
  deps.logger.info(
    { namespaces: plan.namespaces, orgs: plan.orgs, endpoints: selected.map((e) => e.name), full: plan.full, dryRun: plan.dryRun },
    'sync pass starting',
  );
  const reports: SliceReport[] = [];
  const runLanes = async (passDeps: SyncDeps) => {
    const lanes = credentialLanes(passDeps, plan);
    // Each credential runs its slices one after another (its pacing stays exact); credentials run
    // side by side, at most HUB_CONCURRENCY at a time. A dry run's lanes share its one transaction:
    // they take turns.
    await inParallel(lanes, plan.dryRun ? 1 : (deps.config.hub.concurrency ?? lanes.length), async (lane) => {
      for (const endpoint of selected) {
        if (options.signal?.aborted) break;
        let slices: Slice[];
        try {
          // In a dry run, under a savepoint: a failed query must not end the pass's transaction.
          const listed = plan.dryRun
            ? await lane.deps.database.db.transaction(() => endpoint.slices(lane.plan, lane.deps))
            : await endpoint.slices(lane.plan, lane.deps);
          slices = listed.filter(lane.owns);
        } catch (error) {
          reports.push({ ...emptyCounters(), endpoint: endpoint.name, slice: '*', status: 'failed', error: describeError(error, lane.deps), durationMs: 0, credential: lane.deps.credential });
          deps.logger.error({ endpoint: endpoint.name, credential: lane.deps.credential, err: error }, 'could not work out the slices of an endpoint');
          continue;
        }
        for (const slice of slices) {
          if (options.signal?.aborted) break;
          const report = await runSlice(lane.deps, endpoint, slice, plan, options);
          reports.push(lane.deps.credential ? { ...report, credential: lane.deps.credential } : report);
        }
      }
    });
  };
  if (plan.dryRun) await inRolledBackTransaction(deps, runLanes);
  else await runLanes(deps);
  deps.progress?.done?.();
  return {
    plan,
    slices: reports,
    durationMs: Date.now() - started,
    requests: requestsOf() - requestsBefore,
    failed: reports.filter((r) => r.status === 'failed').length,
    skipped: reports.filter((r) => r.status === 'skipped').length,
    held: reports.filter((r) => r.heldBy !== undefined).length,
  };
}

/**
 * A dry run writes as a pass would, inside one transaction that is rolled back at the end: an
 * endpoint chained from another finds in the tables what its parent wrote in this pass (the
 * same reads as a real pass, from the same place), and nothing stays.
 */
async function inRolledBackTransaction(deps: SyncDeps, fn: (deps: SyncDeps) => Promise<void>): Promise<void> {
  try {
    await deps.database.db.transaction(async (tx) => {
      const database: Database = {
        kind: deps.database.kind,
        db: tx as unknown as Database['db'],
        location: deps.database.location,
        withBlockingLock: (_key, inner) => inner(),
        close: async () => {},
      };
      await fn({ ...deps, database });
      throw new DryRunRollback();
    });
  } catch (error) {
    if (!(error instanceof DryRunRollback)) throw error;
  }
}

interface Lane {
  deps: SyncDeps;
  /** The pass as this credential sees it: only the namespaces and organizations it serves. */
  plan: SyncPlan;
  owns: (slice: Slice) => boolean;
}

/** One lane per credential that serves something in this pass; a single lane without `clients`. */
export function credentialLanes(deps: SyncDeps, plan: SyncPlan): Lane[] {
  const set = deps.clients;
  if (!set) return [{ deps, plan, owns: () => true }];
  if (set.credentials.length === 0) {
    return [{ deps: { ...deps, client: set.fallback.client, credential: set.fallback.name }, plan, owns: () => true }];
  }
  const lanes: Lane[] = [];
  for (const credential of [...set.credentials, set.fallback]) {
    const mine = (scope: string) => set.forScope(scope) === credential;
    const isFallback = credential === set.fallback;
    const orgs = plan.orgs.filter(mine);
    const user = isFallback ? plan.user : credential.kind !== 'oat' && !orgs.includes(credential.name) ? credential.name : undefined;
    lanes.push({
      deps: { ...deps, client: credential.client, credential: credential.name, credentialKind: credential.kind },
      plan: { ...plan, namespaces: plan.namespaces.filter(mine), orgs, user },
      // A user's own tokens go with the user's credential, whichever namespaces it serves.
      owns: (slice) => mine(scopeOfSlice(slice)) || (!isFallback && user !== undefined && slice.params.account === user && slice.params.namespace === undefined),
    });
  }
  return lanes;
}

async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

function emptyCounters(): SliceCounters {
  return { requests: 0, pages: 0, inserted: 0, updated: 0, deleted: 0, invalid: 0, waitedMs: 0 };
}

const MAX_ERROR_LENGTH = 2000;

/** An error reported by Postgres (pg's DatabaseError, also what PGlite throws): it has an SQLSTATE. */
function isDatabaseError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error) || !('severity' in error)) return false;
  const code: unknown = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/**
 * One line for sync_runs and the log. A failed statement is described by the database's own
 * error, not by drizzle's dump of the query and its parameters (which repeats whole payloads).
 * The text is made storable: an error quoting a NUL byte must not fail the recording of the run.
 */
function describeError(error: unknown, deps: SyncDeps): string {
  const cause = error instanceof Error ? (error as Error & { cause?: unknown }).cause : undefined;
  const database = [error, cause].find(isDatabaseError);
  let message = database
    ? `database error ${database.code}: ${database.message}`
    : error instanceof Error
      ? error.message
      : String(error);
  if (message.length > MAX_ERROR_LENGTH) message = `${message.slice(0, MAX_ERROR_LENGTH)}… (${message.length - MAX_ERROR_LENGTH} more characters)`;
  return storableCopy(scrubSecrets(message, secretsOf(deps))) as string;
}

/** Run one slice of one endpoint under its lease, recorded in sync_runs. */
export async function runSlice(
  deps: SyncDeps,
  endpoint: EndpointDefinition,
  slice: Slice,
  plan: SyncPlan,
  options: SyncOptions,
): Promise<SliceReport> {
  const { database, logger } = deps;
  // A dry run writes nothing that outlives it: no other process can be kept from anything.
  if (plan.dryRun) return runLocked(deps, endpoint, slice, plan, options);
  const leased = await withLease(
    database,
    sliceLeaseKey(endpoint.name, slice.key),
    (lost) => runLocked(deps, endpoint, slice, plan, { ...options, signal: options.signal ? AbortSignal.any([options.signal, lost]) : lost }),
    { ttlMs: deps.config.sync.leaseTtl, renewEveryMs: deps.config.sync.leaseTtl / 3, ...deps.lease, logger },
  );
  if (!leased.acquired) {
    const heldBy = leased.holder;
    logger.info({ endpoint: endpoint.name, slice: slice.key, holder: heldBy, until: leased.expiresAt }, 'slice is being run by another process; skipped');
    const until = leased.expiresAt ? ` until ${leased.expiresAt}` : '';
    return { ...emptyCounters(), endpoint: endpoint.name, slice: slice.key, status: 'skipped', durationMs: 0, heldBy, error: `held by another process (${heldBy})${until}` };
  }
  return leased.value;
}

async function runLocked(
  deps: SyncDeps,
  endpoint: EndpointDefinition,
  slice: Slice,
  plan: SyncPlan,
  options: SyncOptions,
): Promise<SliceReport> {
  const { database, client } = deps;
  const { db } = database;
  const clock = deps.clock ?? { now: () => new Date() };
  const logger = deps.logger.child({ endpoint: endpoint.name, slice: slice.key });
  const started = Date.now();

  if (!plan.dryRun) {
    // Another process already did this slice: in this tick (a replica of the same schedule), or
    // completely since this pass began (an overlapping pass). An aborted run is done again.
    const conditions = [];
    if (options.runGroup) conditions.push(sql`(run_group = ${options.runGroup} AND status IN ('succeeded', 'failed'))`);
    if (options.passStartedAt) conditions.push(sql`(status = 'succeeded' AND started_at >= ${options.passStartedAt}::timestamptz)`);
    if (conditions.length > 0) {
      const done = await db.execute(sql`
        SELECT 1 FROM dockerhub.sync_runs
        WHERE endpoint = ${endpoint.name} AND slice_key = ${slice.key} AND (${sql.join(conditions, sql` OR `)})
        LIMIT 1`);
      if (rowsOf(done).length > 0) {
        return { ...emptyCounters(), endpoint: endpoint.name, slice: slice.key, status: 'skipped', durationMs: 0, error: 'already done by another process' };
      }
    }
  }

  let runId: number | null = null;
  if (!plan.dryRun) {
    // Holding the lease, no other process runs this slice: a run still 'running' belongs to one
    // that died before it could say so.
    await db.execute(sql`
      UPDATE dockerhub.sync_runs
      SET status = 'aborted', finished_at = ${clock.now().toISOString()}::timestamptz,
          error = coalesce(error, 'interrupted: the process ended before the run finished; the next pass resumes from the stored cursors')
      WHERE endpoint = ${endpoint.name} AND slice_key = ${slice.key} AND status = 'running'`);
    const inserted = await db
      .insert(syncRuns)
      .values({
        run_group: options.runGroup ?? null,
        endpoint: endpoint.name,
        slice_key: slice.key,
        mode: plan.backfill ? 'backfill' : plan.full ? 'full' : 'incremental',
        status: 'running',
        started_at: clock.now().toISOString(),
      })
      .returning({ id: syncRuns.id });
    runId = inserted[0]?.id ?? null;
  }

  const counters = emptyCounters();
  const tally: RequestTally = { requests: 0, bytes: 0 };
  const waitedAtStart = client.stats.waitedMs;
  const sliceDeps: SyncDeps = options.signal ? { ...deps, client: withSignal(client, options.signal) } : deps;
  const upsertOptions = () => ({
    runId,
    now: clock.now().toISOString(),
    lastSeenGranularityMs: deps.config.sync.lastSeenGranularity,
  });

  const sliceRun: SliceRun = {
    endpoint: endpoint.name,
    slice,
    deps: sliceDeps,
    plan,
    logger,
    counters,
    now: () => clock.now().toISOString(),
    // In a dry run `db` is the pass's transaction (see inRolledBackTransaction): this is a savepoint.
    async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
      return db.transaction((tx) => fn(tx as unknown as Executor));
    },
    async upsert(tx, spec, rows) {
      const result = await upsertEntities(tx, spec, rows, upsertOptions());
      counters.inserted += result.inserted;
      counters.updated += result.updated + result.restored;
      return result;
    },
    async markMissing(tx, spec, scope, keyColumns, seen) {
      const deleted = await markMissing(tx, spec, scope, keyColumns, seen, upsertOptions());
      counters.deleted += deleted.length;
      return deleted;
    },
    async validate<S extends z.ZodType>(tx: Executor, schema: S, items: unknown[], url: string) {
      const valid: { raw: Record<string, unknown>; parsed: z.output<S> }[] = [];
      const invalid: { raw: unknown; message: string; issues: unknown }[] = [];
      for (const item of items) {
        const parsed = schema.safeParse(item);
        if (parsed.success && item !== null && typeof item === 'object' && !Array.isArray(item)) {
          valid.push({ raw: item as Record<string, unknown>, parsed: parsed.data });
        } else {
          const issues = parsed.success ? [] : parsed.error.issues;
          invalid.push({ raw: item, issues, message: parsed.success ? 'not an object' : formatIssues(parsed.error.issues) });
        }
      }
      if (invalid.length > 0) {
        counters.invalid += invalid.length;
        logger.warn({ url, invalid: invalid.length, first: invalid[0]?.message }, 'items failed validation; kept in sync_errors, the rest of the page is stored');
        await tx.insert(syncErrors).values(
          invalid.map((item) => ({
            run_id: runId,
            endpoint: endpoint.name,
            slice_key: slice.key,
            kind: 'invalid_item',
            url,
            // The payload as received, made storable: the reason it was refused may be a NUL byte.
            payload: storableCopy(item.raw ?? null),
            issues: storableCopy(item.issues),
            message: storableCopy(item.message) as string,
          })),
        );
      }
      return { valid, invalid: invalid.length };
    },
    async recordErrors(tx, errors) {
      if (errors.length === 0) return;
      counters.invalid += errors.length;
      logger.warn({ kind: errors[0]!.kind, errors: errors.length, first: errors[0]!.message }, `${errors[0]!.message}; kept in sync_errors`);
      await tx.insert(syncErrors).values(
        errors.map((error) => ({
          run_id: runId,
          endpoint: endpoint.name,
          slice_key: slice.key,
          kind: error.kind,
          url: error.url,
          payload: storableCopy(error.payload ?? null),
          issues: [],
          message: storableCopy(error.message) as string,
        })),
      );
    },
    pageFetched() {
      if (options.signal?.aborted) throw options.signal.reason instanceof LeaseLostError ? options.signal.reason : new SyncAbortedError();
      counters.pages++;
      counters.requests = tally.requests;
      counters.waitedMs = client.stats.waitedMs - waitedAtStart;
      deps.progress?.page(endpoint.name, slice.key, {
        pages: counters.pages,
        rows: counters.inserted + counters.updated + counters.deleted,
        waitedMs: counters.waitedMs,
      });
    },
    async getCursor<T>(sliceKey?: string) {
      const result = await db.execute(
        sql`SELECT cursor FROM dockerhub.sync_state WHERE endpoint = ${endpoint.name} AND slice_key = ${sliceKey ?? slice.key}`,
      );
      const row = rowsOf<{ cursor: unknown }>(result)[0];
      if (!row || row.cursor === null) return undefined;
      return (typeof row.cursor === 'string' ? JSON.parse(row.cursor) : row.cursor) as T;
    },
    async setCursor(tx, cursor, cursorOptions = {}) {
      const now = clock.now().toISOString();
      await tx
        .insert(syncState)
        .values({
          endpoint: endpoint.name,
          slice_key: cursorOptions.sliceKey ?? slice.key,
          cursor: cursor ?? null,
          updated_at: now,
          last_complete_at: cursorOptions.complete ? now : null,
        })
        .onConflictDoUpdate({
          target: [syncState.endpoint, syncState.slice_key],
          set: {
            cursor: sql`excluded.cursor`,
            updated_at: sql`excluded.updated_at`,
            last_complete_at: cursorOptions.complete ? sql`excluded.last_complete_at` : sql`${syncState.last_complete_at}`,
          },
        });
    },
  };

  deps.progress?.sliceStart(endpoint.name, slice.key);
  let status: SliceOutcome['status'] = 'succeeded';
  let error: string | undefined;
  try {
    await withRequestTally(tally, () => endpoint.run(sliceRun));
  } catch (caught) {
    error = describeError(caught, deps);
    // With several credentials, which one failed is the first thing to know (a revoked token).
    if (deps.credential && deps.clients?.credentials.length) error = `credential "${deps.credential}": ${error}`;
    // After a shutdown request, whatever stopped the slice (often the aborted request) is the abort.
    if (caught instanceof SyncAbortedError || options.signal?.aborted) {
      status = 'aborted';
      logger.warn(`${endpoint.name} ${slice.key} stopped: ${error}`);
    } else {
      status = 'failed';
      logger.error({ err: caught }, `${endpoint.name} ${slice.key} failed: ${error}`);
      if (caught instanceof HubRequestRefusedError) {
        // A value that cannot be a path segment, or a URL that would leave the API: nothing was
        // sent, and the data that made it is worth a row to look at, like an invalid item.
        try {
          await db.insert(syncErrors).values({ run_id: runId, endpoint: endpoint.name, slice_key: slice.key, kind: 'refused_request', message: storableCopy(error) as string });
        } catch (insertError) {
          logger.warn({ err: insertError }, 'could not record the refused request in sync_errors');
        }
      }
    }
  }
  counters.requests = tally.requests;
  // Waits are counted on the shared client: under concurrent jobs this includes theirs.
  counters.waitedMs = client.stats.waitedMs - waitedAtStart;
  const durationMs = Date.now() - started;
  if (runId !== null) {
    await db
      .update(syncRuns)
      .set({
        status,
        finished_at: clock.now().toISOString(),
        requests: counters.requests,
        pages: counters.pages,
        rows_inserted: counters.inserted,
        rows_updated: counters.updated,
        rows_deleted: counters.deleted,
        rows_invalid: counters.invalid,
        rate_limit_wait_ms: counters.waitedMs,
        error: error ?? null,
      })
      .where(eq(syncRuns.id, runId));
  }
  const outcome: SliceReport = { ...counters, endpoint: endpoint.name, slice: slice.key, status, error, durationMs };
  logger.info(
    {
      status,
      requests: counters.requests,
      pages: counters.pages,
      inserted: counters.inserted,
      updated: counters.updated,
      deleted: counters.deleted,
      invalid: counters.invalid,
      waitedMs: counters.waitedMs,
      durationMs,
      ...(error ? { error } : {}),
    },
    'slice finished',
  );
  deps.progress?.sliceEnd(endpoint.name, slice.key, outcome);
  return outcome;
}

/** The same client, with the pass's AbortSignal on every request (so a long rate-limit wait ends at shutdown). */
function withSignal(client: HubClient, signal: AbortSignal): HubClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'request') {
        return (req: Parameters<HubClient['request']>[0]) => target.request({ signal, ...req });
      }
      if (property === 'paginate') {
        return (req: Parameters<HubClient['paginate']>[0]) => target.paginate({ signal, ...req });
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

