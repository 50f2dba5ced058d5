import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/client.js';
import type { Config } from '../config.js';
import type { Executor, Slice, SyncDeps, SyncPlan } from './context.js';
import { normalizeTimestamp, stableStringify } from './hash.js';

/** A timestamptz column as ISO 8601 text in UTC with microseconds (what the API's values normalize to). */
export const isoText = (column: string) => sql.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);

export type { LastRead, ParentPartition, RefreshWhen } from './context.js';
import type { LastRead, ParentPartition, RefreshWhen } from './context.js';

/** Why a chained slice is read in this pass (null: it is not). */
export type DueReason = 'full' | 'new' | 'restored' | 'refresh' | (string & {});

export interface DueInputs {
  full: boolean;
  /** The parent row as it is now. */
  row: Readonly<Record<string, unknown>>;
  lastRead: LastRead | undefined;
  /** Live rows of the child's table for the slice now (with `liveRows`). */
  liveRows?: number | undefined;
  now: string;
  config: Config;
}

/** Timestamps compare by instant whatever their spelling; anything else by its JSON. */
export function comparable(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}[T ]/.test(value)) return normalizeTimestamp(value) ?? value;
  return value;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return stableStringify(comparable(a)) === stableStringify(comparable(b));
}

/** The first non-null of a row's fields. */
export function firstOf(row: Readonly<Record<string, unknown>>, fields: readonly string[]): unknown {
  for (const field of fields) if (row[field] !== null && row[field] !== undefined) return row[field];
  return null;
}

/** The values a read of `row` is for, by reason: what the endpoint records when its read completes. */
export function readFor(rule: RefreshWhen, row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(rule.moved.map(({ reason, fields }) => [reason, firstOf(row, fields)]));
}

/** The rule of RefreshWhen, in its order: full, new, each moved value, restored, refresh. */
export function dueReason(rule: RefreshWhen, inputs: DueInputs): DueReason | null {
  const { lastRead } = inputs;
  if (inputs.full) return 'full';
  if (!lastRead) return 'new';
  for (const { reason, fields } of rule.moved) if (!sameValue(lastRead.values[reason], firstOf(inputs.row, fields))) return reason;
  if (rule.liveRows && lastRead.rows !== undefined && inputs.liveRows !== undefined && lastRead.rows !== inputs.liveRows) return 'restored';
  const every = rule.every?.(inputs.config);
  if (every !== undefined && lastRead.at !== undefined && Date.parse(lastRead.at) <= Date.parse(inputs.now) - every) return 'refresh';
  return null;
}

interface ParentRow {
  row: Record<string, unknown>;
  /** The parent's own slice key (records of a custom parent), '' for a table's rows. */
  sliceKey: string;
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
const parsed = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);

/** The parent's live (or deleted) rows, in a stable order. */
async function parentRows(db: Pick<Executor, 'execute'>, partition: ParentPartition, which: 'live' | 'deleted'): Promise<ParentRow[]> {
  const state = sql.raw(which === 'live' ? 'deleted_at IS NULL' : 'deleted_at IS NOT NULL');
  const source = partition.rows;
  if ('records' in source) {
    const result = await db.execute(sql`
      SELECT slice_key, data FROM dockerhub.custom_records
      WHERE endpoint = ${partition.endpoint} AND ${state} ORDER BY slice_key, record_key`);
    return rowsOf<{ slice_key: string; data: unknown }>(result).map(({ slice_key, data }) => ({ row: parsed(data) as Record<string, unknown>, sliceKey: slice_key }));
  }
  const table = sql.raw(`"dockerhub".${quoted(source.table)}`);
  // Columns over the API object: a column holds the value as stored (normalized types).
  const row = sql.raw(source.apiFields ? `(t.raw || (to_jsonb(t) - 'raw' - 'row_hash'))` : `(to_jsonb(t) - 'raw' - 'row_hash')`);
  const order = sql.raw(source.apiFields ? '1' : Object.values(partition.params).map((field) => `t.${quoted(field)}`).join(', '));
  const result = await db.execute(sql`SELECT ${row} AS row FROM ${table} t WHERE t.${state} ORDER BY ${order}`);
  return rowsOf<{ row: unknown }>(result).map(({ row: value }) => ({ row: parsed(value) as Record<string, unknown>, sliceKey: '' }));
}

/** The cursors an endpoint stored, by slice key. */
async function storedCursors(db: Pick<Executor, 'execute'>, endpoint: string): Promise<Map<string, unknown>> {
  const result = await db.execute(sql`SELECT slice_key, cursor FROM dockerhub.sync_state WHERE endpoint = ${endpoint} AND cursor IS NOT NULL`);
  return new Map(rowsOf<{ slice_key: string; cursor: unknown }>(result).map(({ slice_key, cursor }) => [slice_key, parsed(cursor)]));
}

/** Live rows of the child's table per slice (its key columns are the slice parameters). */
async function liveRowCounts(db: Pick<Executor, 'execute'>, table: string, params: readonly string[]): Promise<Map<string, number>> {
  const columns = params.map((param) => `t.${quoted(param)}`);
  const result = await db.execute(sql`
    SELECT ${sql.raw(columns.map((column, i) => `${column} AS p${i}`).join(', '))}, count(*)::int AS n
    FROM ${sql.raw(`"dockerhub".${quoted(table)}`)} t WHERE t.deleted_at IS NULL GROUP BY ${sql.raw(columns.join(', '))}`);
  return new Map(rowsOf<Record<string, unknown>>(result).map((row) => [params.map((_, i) => String(row[`p${i}`])).join('/'), Number(row.n)]));
}

/** Does a parent row belong to this pass? */
function inPlan(partition: ParentPartition, row: Readonly<Record<string, unknown>>, plan: SyncPlan): boolean {
  const { within } = partition;
  if (within !== 'namespace-or-org') return plan[within.plan].includes(String(row[within.field]));
  const namespace = typeof row.namespace === 'string' ? row.namespace : undefined;
  const org = typeof row.org === 'string' ? row.org : undefined;
  if (namespace !== undefined) return plan.namespaces.includes(namespace) || (org !== undefined && plan.orgs.includes(org));
  return org === undefined || plan.orgs.includes(org);
}

/** A parent row's slice key (undefined: a key field is missing, the row is no slice). */
function keyOf(partition: ParentPartition, { row, sliceKey }: ParentRow): string | undefined {
  const values = (partition.key ?? Object.values(partition.params)).map((field) => row[field]);
  if (values.some((v) => v === undefined || v === null)) return undefined;
  const own = values.map((v) => (typeof v === 'string' ? v : stableStringify(v))).join('/');
  return sliceKey ? `${sliceKey}/${own}` : own;
}

function paramsOf(partition: ParentPartition, row: Readonly<Record<string, unknown>>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [param, field] of Object.entries(partition.params)) {
    const value = row[field];
    if (typeof value === 'string' || typeof value === 'number') params[param] = String(value);
  }
  return params;
}

/**
 * The slices of a chained endpoint in this pass: one per live parent row of the pass that is due
 * (RefreshWhen), each once, in the parent's order; then one per orphaned key.
 */
export async function parentSlices(partition: ParentPartition, endpoint: string, plan: SyncPlan, deps: SyncDeps): Promise<Slice[]> {
  const { db } = deps.database;
  const rule = partition.refreshWhen;
  const rows = await parentRows(db, partition, 'live');
  const hinted = hintedRows(partition, plan);
  const ruled = rule !== undefined && !plan.full && !hinted;
  const cursors = ruled ? await storedCursors(db, endpoint) : new Map<string, unknown>();
  const live = ruled && rule.liveRows ? await liveRowCounts(db, rule.liveRows, Object.keys(partition.params)) : undefined;
  const now = (deps.clock?.now() ?? new Date()).toISOString();
  const slices: Slice[] = [];
  const keys = new Set<string>();
  for (const parentRow of [...rows, ...(hinted?.values() ?? [])]) {
    const { row } = parentRow;
    const key = keyOf(partition, parentRow);
    if (key === undefined || keys.has(key) || !inPlan(partition, row, plan)) continue;
    if (hinted && !hinted.has(key)) continue;
    keys.add(key);
    // A hinted slice is read now, whatever its rule says (and leaves the rule's state alone).
    if (rule && !hinted) {
      const cursor = cursors.get(key);
      const lastRead = cursor === undefined ? undefined : rule.lastRead(cursor);
      if (dueReason(rule, { full: plan.full, row, lastRead, liveRows: live?.get(key) ?? 0, now, config: deps.config }) === null) continue;
    }
    const fields = [...new Set([...(partition.fields ?? []), ...(rule?.moved.flatMap((m) => m.fields) ?? [])])];
    slices.push({ key, params: paramsOf(partition, row), ...(fields.length > 0 ? { parent: Object.fromEntries(fields.map((f) => [f, row[f] ?? null])) } : {}) });
  }
  if (partition.orphans && !hinted) slices.push(...(await orphanedSlices(partition, endpoint, plan, deps, rows)));
  return slices;
}

/**
 * The rows a hinted pass reads, by slice key: each hint as a row of the parent's table (its key
 * fields only). A stored row with the same key comes first and is the one used; a hint for a row
 * not stored yet (a repository's first push) stands in for it. Undefined: the pass is no hint.
 */
function hintedRows(partition: ParentPartition, plan: SyncPlan): Map<string, ParentRow> | undefined {
  if (!plan.hints) return undefined;
  const out = new Map<string, ParentRow>();
  if ('records' in partition.rows) return out;
  for (const hint of plan.hints) {
    const parentRow = { row: { ...hint }, sliceKey: '' };
    const key = keyOf(partition, parentRow);
    if (key !== undefined && !out.has(key)) out.set(key, parentRow);
  }
  return out;
}

/** Slices whose parent row was deleted while what was read for them is still live. */
async function orphanedSlices(partition: ParentPartition, endpoint: string, plan: SyncPlan, deps: SyncDeps, live: ParentRow[]): Promise<Slice[]> {
  const liveKeys = new Set(live.flatMap((row) => keyOf(partition, row) ?? []));
  const holding = await partition.orphans!(deps.database, endpoint);
  const out: Slice[] = [];
  const seen = new Set<string>();
  for (const parentRow of await parentRows(deps.database.db, partition, 'deleted')) {
    const key = keyOf(partition, parentRow);
    if (key === undefined || liveKeys.has(key) || !holding.has(key) || seen.has(key) || !inPlan(partition, parentRow.row, plan)) continue;
    seen.add(key);
    out.push({ key, params: paramsOf(partition, parentRow.row), orphaned: true });
  }
  return out;
}
