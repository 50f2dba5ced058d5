import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Config } from '../config.js';
import type { LeaseOptions } from '../db/leases.js';
import type { Database } from '../db/client.js';
import type { HubClient } from '../hub/client.js';
import type { HubClientSet } from '../hub/client-set.js';
import type { AuthMode, PageShape, Query } from '../hub/types.js';
import type { EntitySpec, Executor, Row, UpsertResult } from './upsert.js';
import type { SliceCounters, SliceOutcome } from './totals.js';

/** What the caller asked for in this pass. */
export interface SyncOptions {
  /** Endpoint names to run (default: all). */
  only?: readonly string[] | undefined;
  /** Limit to these namespaces / organizations (default: all configured). */
  namespaces?: readonly string[] | undefined;
  /** Ignore cursors, re-read everything, detect deletions. */
  full?: boolean | undefined;
  /**
   * Organization listings follow the audit log (sync/audit-follow.ts): read when an event names
   * a change, completely on the safety-net interval. `serve`'s ticks; a one-shot `sync` reads
   * them completely.
   */
  followAudit?: boolean | undefined;
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
  /**
   * A webhook's hint (see scheduler/hints.ts): parent rows, by their key fields, whose chained
   * slices are read now whatever their due rule says (and only those). Such a read records no
   * cursor, so every due rule and safety-net read stays as it was.
   */
  hints?: readonly HintedRow[] | undefined;
}

/** A parent row a hint names by its key fields (`{ namespace: 'acme', name: 'svc' }` of `repositories`). */
export type HintedRow = Readonly<Record<string, string>>;

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
   * config's own, as the command built them (src/custom/registry.ts buildRegistry). The engine
   * has no registry of its own.
   */
  registry: readonly EndpointDefinition[];
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
  /** See SyncOptions.followAudit. */
  followAudit?: boolean | undefined;
  dryRun: boolean;
  backfill: { from: string; to: string } | undefined;
  /** The pass reads what a webhook hinted at, and nothing else (SyncOptions.hints). */
  hints?: readonly HintedRow[] | undefined;
}

export interface Slice {
  /** Stable key: used in sync_state, sync_runs, locks and logs. */
  key: string;
  /** What the request's placeholders expand to (`{org}`, `{repository}`): text, one path segment each. */
  params: Record<string, string>;
  /**
   * A slice chained from a parent row (sync/chaining.ts): the parent fields it carries to its run,
   * as stored (numbers, timestamps, JSON), never packed into `params`.
   */
  parent?: Readonly<Record<string, unknown>>;
  /** The parent row is gone: the run removes what was read for it and reads nothing. */
  orphaned?: true;
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

// ---------------------------------------------------------------- the endpoint contract

/** The first request of an endpoint for one slice: what `test-endpoint` fetches and prints. */
export interface EndpointRequest {
  path: string;
  query?: Query;
  shape: PageShape | 'object';
  schema: z.ZodType;
  /** Headers of its own (a SCIM token); only when the caller passed the config. Never printed. */
  headers?: Record<string, string>;
  auth?: AuthMode;
  /**
   * Which API answers it: the Hub API (default) or the Enterprise Data API, reached with the
   * slice's credential's `data` client (an organization access token; see HubClientSet).
   */
  api?: 'data';
}

/** A job several endpoints share: one schedule, one pass over all of them (the organization listings). */
export interface JobDeclaration {
  name: string;
  schedule: string;
}

/**
 * One built-in endpoint: where its data comes from, how its work is cut into slices, which
 * table it fills and how. Each lives in its own file and is listed in the registry.
 */
export interface EndpointDefinition {
  name: string;
  title: string;
  /** Docker Hub API reference. */
  reference: string;
  tables: readonly string[];
  /**
   * When `serve` runs it by default (overridable in the config's `schedules`): `schedule` starts
   * a job of its own, `job` names a job it shares with others; a chained endpoint (`parent`) has
   * neither and runs in its parent's job, right after it. See scheduler/jobs.ts planJobs.
   */
  schedule?: string;
  job?: JobDeclaration;
  /** The endpoint whose results decide this one's slices (lookup chaining); the same as `partition.parent.endpoint`. */
  parent?: string;
  /** How its work is cut into slices: what `test-endpoint` samples and `endpoints show` copies. */
  partition?: Partition;
  /** Reads time windows, so `sync --backfill` reads it (and only such endpoints). */
  backfill?: boolean;
  slices(plan: SyncPlan, deps: SyncDeps): Promise<Slice[]>;
  run(run: SliceRun): Promise<void>;
  /** With `deps`, the request carries the headers its definition adds (a token of its own). */
  request(slice: Slice, plan: SyncPlan, deps?: Pick<SyncDeps, 'config'>): EndpointRequest;
  /**
   * The request as written in the definition, placeholders unexpanded (`/v2/orgs/{org}/members`):
   * what metrics route names, `test-endpoint` and the docs read. Set by defineEndpoint.
   */
  template?: { path: string; query?: Query; shape: PageShape | 'object'; route?: string; api?: 'data' };
  /** Who may read it: what `doctor` names when a credential is refused (src/endpoints/requirements.ts for the built-ins). */
  requires?: EndpointRequirement;
  /**
   * The cheapest request of one slice (one item), for `doctor`, when the generic one (`request`
   * with `page_size=1` through the slice's Hub client) does not fit: an endpoint family on another
   * host, with a client of its own. It throws the Hub client's errors (HubAuthError,
   * HubPermissionError, HubNotFoundError, …), which `doctor` sorts into its verdicts.
   */
  probe?: (slice: Slice, plan: SyncPlan, deps: SyncDeps) => Promise<ProbeAnswer>;
  /**
   * The namespaces or organizations of the pass it lists no slice for because of the credential
   * serving them (the Enterprise Data API takes only an organization access token), and why:
   * `doctor` shows each as `untested`, which is no failure, since the sync skips them too.
   */
  unserved?: (plan: SyncPlan, deps: SyncDeps) => { scope: string; reason: string }[];
}

/** What an endpoint needs of a credential, from the spec's labels and Docker's manual. */
export interface EndpointRequirement {
  /**
   * An organization access token: the scope it needs (`scope-activity-read`), or false when the
   * endpoint takes no OAT at all (no OAT label in the spec).
   */
  oatScope: string | false;
  /** A user's credential (password, personal access token): the role or login it needs. */
  role: string;
  /**
   * A subscription without which Hub refuses it (`Docker Enterprise`). Declared only by an endpoint
   * whose sync skips an organization so refused (one warning, no failure): `doctor` then shows
   * `plan-limited` without making the exit code 1.
   */
  plan?: string | undefined;
  /**
   * Without `oatScope`, an OAT is not refused: the listing silently leaves out what the scope
   * covers (the repository list shows public repositories only): `what` it hides, and the item
   * field (`is_private`) that is true on such an item. `doctor` warns instead.
   */
  silentWithout?: { what: string; field: string } | undefined;
}

/** One answer to a probe: the page's items (at most one is asked for) and where it came from. */
export interface ProbeAnswer {
  url: string;
  items: unknown[];
  /** The listing's total, when the answer says it (`count`, `total`, `totalResults`). */
  count?: number | undefined;
}

// ---------------------------------------------------------------- the partition model (sync/partition.ts, sync/chaining.ts)

/**
 * How an endpoint's work is cut into slices: the one model the built-in definitions
 * (endpoints/define.ts) and the config's endpoints (custom/compile.ts) both compile to, and that
 * `test-endpoint`, `endpoints show` and the job plan read.
 *
 * - `per`: one slice per organization, namespace, or the authenticated user of the pass, its
 *   value under the parameter `param`; `per: 'pass'`: one slice, without parameters;
 * - `list`: the slices a function of the pass and its settings lists (configured values,
 *   conditions on the credential); `needs` says what a configuration without any lacks;
 * - `parent`: one slice per live row of a parent endpoint (lookup chaining), due again when the
 *   row moved (sync/chaining.ts).
 */
export type Partition =
  | { per: 'org' | 'namespace' | 'user'; param: string }
  | { per: 'pass' }
  | {
      list: (plan: SyncPlan, deps: SyncDeps) => Promise<Record<string, string>[]>;
      params: readonly string[];
      /** The slice key, `{param}` placeholders (default: the values joined by `/`). */
      sliceKey?: string | undefined;
      /** What to set when the list is empty, for `test-endpoint` (`DOCKERHUB_WATCHED_TAGS`). */
      needs?: string | undefined;
      /**
       * How `endpoints show` writes a copy that reads the same requests from the parent's rows
       * (watched tags read one tag of a repository): the parent, the field of it each parameter is,
       * and literals for the others.
       */
      copyAs?: { parent: string; params: Readonly<Record<string, string>>; literals?: Readonly<Record<string, string>> } | undefined;
    }
  | { parent: ParentPartition };

/**
 * Lookup chaining: one slice per live row of a parent endpoint. The built-in chained endpoints
 * (tags, repository details, team members) and the config's chained endpoints are all this one
 * declaration; nothing about a particular parent is written here.
 */
export interface ParentPartition {
  /** The parent endpoint (it runs first in a pass). */
  endpoint: string;
  /**
   * Where the parent's rows are: its own table (a column of it per field; with `apiFields`, the
   * fields of its stored API object too, columns winning), or the records it stored in
   * custom_records (their fields; the child's slice key starts with the parent's).
   */
  rows: { table: string; apiFields?: boolean } | { records: true };
  /** Each slice parameter, by name: the parent field it is read from. A row without a key field is no slice. */
  params: Readonly<Record<string, string>>;
  /** The fields whose values make a slice's key, in order (default: the fields of `params`). */
  key?: readonly string[];
  /** Parent fields each slice carries to its run (`Slice.parent`), as stored. */
  fields?: readonly string[];
  /**
   * Which parent rows belong to a pass: those whose field is one of the plan's organizations or
   * namespaces; `namespace-or-org`: a row's `namespace` (or `org`) is the pass's, and a row with
   * neither belongs to every pass.
   */
  within: { field: string; plan: 'orgs' | 'namespaces' } | 'namespace-or-org';
  /** When a row's slice is due again; without it, every row is read every pass. */
  refreshWhen?: RefreshWhen | undefined;
  /**
   * The slice keys that still hold what was read for them: a key among them whose parent row is
   * now deleted (and not live under another row) gets a slice with `orphaned` set, also on a full pass.
   */
  orphans?: ((database: Database, endpoint: string) => Promise<ReadonlySet<string>>) | undefined;
}

/**
 * A slice is read again when the parent row moved since the slice's last complete read: the
 * general form of "read a repository's tags when it was pushed to or pulled". `moved` names the
 * parent values that are compared; the other two are extra reasons.
 */
export interface RefreshWhen {
  /** Each parent value a read is for, named by the reason it gives: the first non-null of its fields. */
  moved: readonly { reason: string; fields: readonly string[] }[];
  /**
   * The child's table, rows keyed by the slice parameters: the slice is due (`restored`) when its
   * live rows are not as many as its last read left (a parent that came back took them along).
   */
  liveRows?: string | undefined;
  /** The safety net (`refresh`): due this long (ms) after the last read, whatever moved. */
  every?: ((config: Config) => number) | undefined;
  /** What the endpoint's own cursor says its last complete read was for (undefined: never read). */
  lastRead: (cursor: unknown) => LastRead | undefined;
}

/** What a slice was last read for: when, the values of `moved` by reason, and the live rows it left. */
export interface LastRead {
  at?: string | undefined;
  values: Readonly<Record<string, unknown>>;
  rows?: number | undefined;
}

export type { Executor, EntitySpec, Row, SliceCounters, SliceOutcome };
