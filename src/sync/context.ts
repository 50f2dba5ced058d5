import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Config } from '../config.js';
import type { LeaseOptions } from '../db/leases.js';
import type { Database } from '../db/client.js';
import type { HubClient } from '../hub/client.js';
import type { HubClientSet } from '../hub/client-set.js';
import type { EntitySpec, Executor, Row, UpsertResult } from './upsert.js';
import type { EndpointDefinition } from '../endpoints/types.js';
import type { SliceCounters, SliceOutcome } from './totals.js';

/** What the caller asked for in this pass. */
export interface SyncOptions {
  /** Endpoint names to run (default: all). */
  only?: readonly string[] | undefined;
  /** Limit to these namespaces / organizations (default: all configured). */
  namespaces?: readonly string[] | undefined;
  /** Ignore cursors, re-read everything, detect deletions. */
  full?: boolean | undefined;
  dryRun?: boolean | undefined;
  /** Audit-log backfill window (ISO timestamps). */
  backfill?: { from: string; to: string } | undefined;
  /**
   * A name shared by every slice run of one scheduled tick. When set, a slice that already has
   * a run in this group (another replica did it) is skipped, so N replicas run it once.
   */
  runGroup?: string | undefined;
  signal?: AbortSignal | undefined;
  /**
   * When this pass began. A slice that another process completed after this instant is not run
   * again (two replicas whose ticks overlap share the chained work instead of repeating it).
   * Defaults to the start of runSync.
   */
  passStartedAt?: string | undefined;
}

export interface Clock {
  now(): Date;
}

export interface SyncDeps {
  database: Database;
  /** The client of this slice's credential (without `clients`: the one client of the process). */
  client: HubClient;
  /**
   * One client per configured credential: each slice runs with the credential serving its
   * namespace, and slices of different credentials run at the same time.
   */
  clients?: HubClientSet | undefined;
  /** Username of the credential `client` belongs to (set per credential by the runner). */
  credential?: string | undefined;
  credentialKind?: HubClientSet['fallback']['kind'] | undefined;
  logger: Logger;
  config: Config;
  clock?: Clock;
  progress?: ProgressSink;
  /**
   * Organization-or-user answers shared by the passes of one process (serve runs several jobs
   * at once; without it each would ask Docker Hub the first time).
   */
  namespaceKinds?: Map<string, Promise<'org' | 'user'>>;
  /** Lease timing of the slices (default: DEFAULT_LEASE_OPTIONS). */
  lease?: Partial<Pick<LeaseOptions, 'ttlMs' | 'renewEveryMs'>>;
  /**
   * The endpoints this process knows, in the order a pass runs them: the built-ins and the
   * config's own (src/custom/registry.ts buildRegistry). Default: the built-ins only.
   */
  registry?: readonly EndpointDefinition[];
}

/** Receives progress; the CLI draws it on a terminal or logs it. */
export interface ProgressSink {
  sliceStart(endpoint: string, slice: string): void;
  page(endpoint: string, slice: string, totals: { pages: number; rows: number; waitedMs: number }): void;
  sliceEnd(endpoint: string, slice: string, outcome: SliceOutcome): void;
  done?(): void;
}

/** Who and what a pass covers, resolved once before any endpoint runs. */
export interface SyncPlan {
  /** Namespaces whose repositories and audit logs are read. */
  namespaces: string[];
  /** Organizations whose members, teams, settings, tokens and invites are read. */
  orgs: string[];
  /** The authenticated Docker ID (owner of the personal access tokens), when it is a user. */
  user: string | undefined;
  full: boolean;
  dryRun: boolean;
  backfill: { from: string; to: string } | undefined;
}

export interface Slice {
  /** Stable key: used in sync_state, sync_runs, locks and logs. */
  key: string;
  params: Record<string, string>;
}

/** Everything an endpoint needs while running one slice. */
export interface SliceRun {
  readonly endpoint: string;
  readonly slice: Slice;
  readonly deps: SyncDeps;
  readonly plan: SyncPlan;
  readonly logger: Logger;
  readonly counters: SliceCounters;
  /** ISO timestamp of "now" from the injected clock. */
  now(): string;
  /**
   * Run `fn` in one database transaction: rows and the cursor that covers them commit together.
   * In a dry run it is a savepoint of the pass's one transaction, rolled back when the pass ends
   * (counts stay exact, chained endpoints see what their parent wrote, nothing stays).
   */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  upsert(tx: Executor, spec: EntitySpec, rows: Row[]): Promise<UpsertResult>;
  /** Soft-delete what a complete listing of `scope` did not show (see sync/upsert.ts); returns the deleted keys. */
  markMissing(
    tx: Executor,
    spec: EntitySpec,
    scope: Record<string, unknown>,
    keyColumns: string | readonly string[],
    seen: Iterable<unknown>,
  ): Promise<Record<string, unknown>[]>;
  /**
   * Validate a page's items. Valid ones come back as their original payloads (what is stored in
   * `raw`); invalid ones are written to sync_errors inside `tx` and logged.
   */
  validate<S extends z.ZodType>(
    tx: Executor,
    schema: S,
    items: unknown[],
    url: string,
  ): Promise<{ valid: { raw: Record<string, unknown>; parsed: z.output<S> }[]; invalid: number }>;
  /**
   * Write problems the items' schema cannot see (a page whose data path matched nothing, a key
   * listed twice) to sync_errors inside `tx`, and count them as invalid.
   */
  recordErrors(tx: Executor, errors: readonly SliceError[]): Promise<void>;
  /** Count one fetched page (progress and sync_runs). */
  pageFetched(): void;
  getCursor<T = unknown>(sliceKey?: string): Promise<T | undefined>;
  setCursor(tx: Executor, cursor: unknown, options?: { complete?: boolean; sliceKey?: string }): Promise<void>;
}

/** One sync_errors row of a slice. */
export interface SliceError {
  /** `page` (a page as a whole), `duplicate_key` (an item whose key the listing already showed), … */
  kind: string;
  url: string;
  payload: unknown;
  message: string;
}

export type { Executor, EntitySpec, Row, SliceCounters, SliceOutcome };
