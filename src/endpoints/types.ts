import type { z } from 'zod';
import type { AuthMode, PageShape, Query } from '../hub/types.js';
import type { Slice, SliceRun, SyncDeps, SyncPlan } from '../sync/context.js';
import type { Partition } from '../sync/partition.js';

/** The first request of an endpoint for one slice: what `test-endpoint` fetches and prints. */
export interface EndpointRequest {
  path: string;
  query?: Query;
  shape: PageShape | 'object';
  schema: z.ZodType;
  /** Headers of its own (a SCIM token); only when the caller passed the config. Never printed. */
  headers?: Record<string, string>;
  auth?: AuthMode;
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
  /** How its work is cut into slices (sync/partition.ts): what `test-endpoint` samples and `endpoints show` copies. */
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
  template?: { path: string; query?: Query; shape: PageShape | 'object'; route?: string };
}

