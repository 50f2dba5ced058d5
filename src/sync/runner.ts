import { HubRequestRefusedError } from '../hub/errors.js';
import type { EndpointDefinition, Slice, SliceOutcome, SyncDeps, SyncOptions, SyncPlan } from './context.js';
import { withRequestTally } from './attribution.js';
import { buildPlan } from './plan.js';
import { scopeOfSlice } from '../hub/credentials.js';
import { sliceLeaseKey, withLease } from '../db/leases.js';
import type { Database } from '../db/client.js';
import { closeRun, describeError, doneElsewhere, openRun, recordRunErrors, type RunRef } from './run-records.js';
import { createSliceWork, SyncAbortedError, type SliceWork } from './slice-run.js';
import { emptyCounters, sliceTotals } from './totals.js';

export { SyncAbortedError };

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
  const { failed, skipped } = sliceTotals(reports);
  return {
    plan,
    slices: reports,
    durationMs: Date.now() - started,
    requests: requestsOf() - requestsBefore,
    failed,
    skipped,
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
  const { database } = deps;
  const clock = deps.clock ?? { now: () => new Date() };
  const logger = deps.logger.child({ endpoint: endpoint.name, slice: slice.key });
  const started = Date.now();
  if (!plan.dryRun && (await doneElsewhere(database, endpoint.name, slice.key, options))) {
    return { ...emptyCounters(), endpoint: endpoint.name, slice: slice.key, status: 'skipped', durationMs: 0, error: 'already done by another process' };
  }
  const runId = plan.dryRun ? null : await openRun(database, endpoint.name, slice.key, plan, options, clock);
  const work = createSliceWork(deps, { endpoint: endpoint.name, slice, plan, runId, clock, logger, signal: options.signal });
  deps.progress?.sliceStart(endpoint.name, slice.key);
  const ended = await runEndpoint(deps, endpoint, work, { endpoint: endpoint.name, sliceKey: slice.key, runId }, options.signal);
  work.settle();
  if (runId !== null) await closeRun(database, runId, ended, work.counters, clock);
  const outcome: SliceReport = { ...work.counters, endpoint: endpoint.name, slice: slice.key, ...ended, durationMs: Date.now() - started };
  logger.info({ status: outcome.status, ...work.counters, durationMs: outcome.durationMs, ...(ended.error ? { error: ended.error } : {}) }, 'slice finished');
  deps.progress?.sliceEnd(endpoint.name, slice.key, outcome);
  return outcome;
}

/** The endpoint's work on the slice: succeeded, or how it ended (stopped by a shutdown, failed). */
async function runEndpoint(deps: SyncDeps, endpoint: EndpointDefinition, work: SliceWork, ref: RunRef, signal: AbortSignal | undefined): Promise<Pick<SliceOutcome, 'status' | 'error'>> {
  const { logger } = work.run;
  try {
    await withRequestTally(work.tally, () => endpoint.run(work.run));
    return { status: 'succeeded', error: undefined };
  } catch (caught) {
    let error = describeError(caught, deps);
    // With several credentials, which one failed is the first thing to know (a revoked token).
    if (deps.credential && deps.clients?.credentials.length) error = `credential "${deps.credential}": ${error}`;
    // After a shutdown request, whatever stopped the slice (often the aborted request) is the abort.
    if (caught instanceof SyncAbortedError || signal?.aborted) {
      logger.warn(`${endpoint.name} ${ref.sliceKey} stopped: ${error}`);
      return { status: 'aborted', error };
    }
    logger.error({ err: caught }, `${endpoint.name} ${ref.sliceKey} failed: ${error}`);
    // A value that cannot be a path segment, or a URL that would leave the API: nothing was
    // sent, and the data that made it is worth a row to look at, like an invalid item.
    if (caught instanceof HubRequestRefusedError) {
      await recordRunErrors(deps.database.db, ref, [{ kind: 'refused_request', message: error }]).catch((insertError: unknown) => {
        logger.warn({ err: insertError }, 'could not record the refused request in sync_errors');
      });
    }
    return { status: 'failed', error };
  }
}
