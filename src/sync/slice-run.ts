import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { rowsOf } from '../db/client.js';
import { LeaseLostError } from '../db/leases.js';
import { syncState } from '../db/schema/index.js';
import type { HubClient } from '../hub/client.js';
import { formatIssues } from '../hub/schemas.js';
import type { RequestTally } from './attribution.js';
import type { Clock, Executor, Slice, SliceRun, SyncDeps, SyncPlan } from './context.js';
import { recordRunErrors, type RunRef } from './run-records.js';
import { emptyCounters, rowsWritten, type SliceCounters } from './totals.js';
import { markMissing, upsertEntities } from './upsert.js';

/** Thrown between pages when the pass is asked to stop (SIGTERM): the last page's transaction has committed. */
export class SyncAbortedError extends Error {
  constructor() {
    super('interrupted: the process is shutting down; the next pass resumes from the stored cursors');
    this.name = 'SyncAbortedError';
  }
}

/** The SliceRun an endpoint runs with, and the counters it fills. */
export interface SliceWork {
  run: SliceRun;
  counters: SliceCounters;
  /** The slice's requests, counted by the async context they were made in. */
  tally: RequestTally;
  /** Brings the request and wait counters up to date. */
  settle(): void;
}

export interface SliceWorkOptions {
  endpoint: string;
  slice: Slice;
  plan: SyncPlan;
  runId: number | null;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal | undefined;
}

export function createSliceWork(deps: SyncDeps, options: SliceWorkOptions): SliceWork {
  const { endpoint, slice, clock, logger, signal } = options;
  const { client } = deps;
  const { db } = deps.database;
  const ref: RunRef = { endpoint, sliceKey: slice.key, runId: options.runId };
  const counters = emptyCounters();
  const tally: RequestTally = { requests: 0, bytes: 0 };
  const waitedAtStart = client.stats.waitedMs;
  const settle = () => {
    counters.requests = tally.requests;
    counters.waitedMs = client.stats.waitedMs - waitedAtStart;
  };
  const upsertOptions = () => ({ runId: options.runId, now: clock.now().toISOString(), lastSeenGranularityMs: deps.config.sync.lastSeenGranularity });
  const run: SliceRun = {
    endpoint,
    slice,
    deps: signal ? { ...deps, client: withSignal(client, signal) } : deps,
    plan: options.plan,
    logger,
    counters,
    now: () => clock.now().toISOString(),
    // In a dry run `db` is the pass's transaction (see inRolledBackTransaction): this is a savepoint.
    transaction: (fn) => db.transaction((tx) => fn(tx as unknown as Executor)),
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
      const { valid, invalid } = validateItems(schema, items);
      if (invalid.length > 0) {
        counters.invalid += invalid.length;
        logger.warn({ url, invalid: invalid.length, first: invalid[0]?.message }, 'items failed validation; kept in sync_errors, the rest of the page is stored');
        // The payload as received: the reason it was refused may be a NUL byte.
        await recordRunErrors(tx, ref, invalid.map((item) => ({ kind: 'invalid_item', url, payload: item.raw, issues: item.issues, message: item.message })));
      }
      return { valid, invalid: invalid.length };
    },
    async recordErrors(tx, errors) {
      if (errors.length === 0) return;
      counters.invalid += errors.length;
      logger.warn({ kind: errors[0]!.kind, errors: errors.length, first: errors[0]!.message }, `${errors[0]!.message}; kept in sync_errors`);
      await recordRunErrors(tx, ref, errors.map((error) => ({ ...error, issues: [] })));
    },
    pageFetched() {
      if (signal?.aborted) throw signal.reason instanceof LeaseLostError ? signal.reason : new SyncAbortedError();
      counters.pages++;
      settle();
      deps.progress?.page(endpoint, slice.key, { pages: counters.pages, rows: rowsWritten(counters), waitedMs: counters.waitedMs });
    },
    getCursor: (sliceKey) => readCursor(deps, endpoint, sliceKey ?? slice.key),
    // A hinted read (a webhook's) stores fresher rows but no cursor: what the due rules compare
    // with, and when the safety-net read comes, stay as the scheduled passes left them.
    setCursor: async (tx, cursor, cursorOptions = {}) => {
      if (options.plan.hints) return;
      await writeCursor(tx, endpoint, cursorOptions.sliceKey ?? slice.key, cursor, Boolean(cursorOptions.complete), clock.now().toISOString());
    },
  };
  return { run, counters, tally, settle };
}

function validateItems<S extends z.ZodType>(schema: S, items: unknown[]) {
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
  return { valid, invalid };
}

async function readCursor<T>(deps: SyncDeps, endpoint: string, sliceKey: string): Promise<T | undefined> {
  const result = await deps.database.db.execute(sql`SELECT cursor FROM dockerhub.sync_state WHERE endpoint = ${endpoint} AND slice_key = ${sliceKey}`);
  const row = rowsOf<{ cursor: unknown }>(result)[0];
  if (!row || row.cursor === null) return undefined;
  return (typeof row.cursor === 'string' ? JSON.parse(row.cursor) : row.cursor) as T;
}

async function writeCursor(tx: Executor, endpoint: string, sliceKey: string, cursor: unknown, complete: boolean, now: string): Promise<void> {
  await tx
    .insert(syncState)
    .values({ endpoint, slice_key: sliceKey, cursor: cursor ?? null, updated_at: now, last_complete_at: complete ? now : null })
    .onConflictDoUpdate({
      target: [syncState.endpoint, syncState.slice_key],
      set: {
        cursor: sql`excluded.cursor`,
        updated_at: sql`excluded.updated_at`,
        last_complete_at: complete ? sql`excluded.last_complete_at` : sql`${syncState.last_complete_at}`,
      },
    });
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
