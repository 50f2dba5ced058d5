import type { SQL } from 'drizzle-orm';
import type { PageShape } from '../../hub/types.js';
import type { Row } from '../values.js';

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The synced tables, for "already done" checks and for ids a record names by name. */
export interface Lookup {
  /** The first row of a query on the database (read only), or undefined. */
  one(query: SQL): Promise<Row | undefined>;
}

/** Docker Hub reads for the check after a crash. */
export interface HubReader {
  /** GET a path; undefined on 404. */
  get(path: string): Promise<unknown>;
  /** Every item of a listing (all pages). */
  list(path: string, shape: PageShape): Promise<Row[]>;
}

/** What the check after a crash found. */
export interface Confirmation {
  /** true: the change is there; false: it is not; undefined: cannot tell. */
  found: boolean | undefined;
  /** Per record: the id Docker Hub gave what was created (when found). */
  createdIds?: (string | undefined)[];
  note?: string;
}

/** One record's outcome inside a successful (batched) call. */
export type RecordOutcome =
  | { outcome: 'applied'; createdId?: string | undefined }
  | { outcome: 'in_place'; reason: string }
  | { outcome: 'failed'; error: string }
  | { outcome: 'validated'; detail: string };

export interface WritebackTemplate {
  /** `resource.action`: the `target` of a job. */
  name: string;
  summary: string;
  /** Docker Hub API reference (or where the undocumented call comes from). */
  reference: string;
  /** Set for a call that is not in the published API: shown in docs and `--plan`. */
  undocumented?: string;
  method: WriteMethod;
  /** `{column}` placeholders, each filled in as one percent-encoded path segment. */
  path: string;
  /** Columns every record must have (non-null). */
  requires: readonly string[];
  /** Columns used when present. */
  optional?: readonly string[];
  /** Default `key` of a job. */
  key: readonly string[];
  /** Sending it twice leaves the same state (PUT, DELETE, PATCH of values): safe to retry and re-send. */
  idempotent: boolean;
  /** The namespace or organization a record touches: picks the credential. */
  scope?(record: Row): string | undefined;
  /** Validate and complete a record (lists, booleans, ids looked up by name): a string is why it is bad. */
  prepare?(record: Row, lookup: Lookup): Promise<Row | string> | Row | string;
  /** The request body for one record, or for a batch when `batch` is set. */
  body?(records: Row[]): unknown;
  /** The API takes lists: records sharing `groupBy` go in one call, at most `max`. */
  batch?: { groupBy: readonly string[]; max: number };
  /** A reason when the synced tables show the change already made (the record is then in place). */
  inPlace?(record: Row, lookup: Lookup): Promise<string | undefined>;
  /** After a crash cut a call off: did it take effect? Only for calls that are not idempotent. */
  confirm?(records: Row[], hub: HubReader, since: Date): Promise<Confirmation>;
  /** Per record, from a 2xx answer: what happened (batched calls answer per invitee). */
  outcomes?(response: unknown, records: Row[]): RecordOutcome[];
  /** The id of what a call created, per record (for mirror removals and the results). */
  createdIds?(response: unknown, records: Row[]): (string | undefined)[];
  /** How `mode: mirror` undoes a record that left the source. */
  inverse?: { template: string; record(stored: Row, createdId: string | undefined): Row };
  /** With `push --validate`: the body for the API's own dry run (nothing changes). */
  apiDryRun?(body: unknown): unknown;
  /** The answer carries a new secret (token creation). */
  returnsSecret?: boolean;
}
