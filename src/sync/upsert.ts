import { getTableColumns, getTableName, sql, type SQL } from 'drizzle-orm';
import { rowsOf } from '../db/client.js';
import type { PgTable } from 'drizzle-orm/pg-core';
import { diffFields, type FieldChanges } from './diff.js';
import { hashOf } from './hash.js';

/** A transaction or the database: anything drizzle can run a statement on. */
export interface Executor {
  execute(query: SQL): Promise<unknown>;
  insert: import('../db/client.js').Db['insert'];
}

/** How an entity table is keyed; the name doubles as `changes.entity`. */
export interface EntitySpec {
  entity: string;
  table: PgTable;
  keys: readonly string[];
}

export type Row = Record<string, unknown> & { raw: Record<string, unknown> };

export interface UpsertOptions {
  runId: number | null;
  /** ISO timestamp written to last_seen_at / deleted_at / changes.observed_at. */
  now: string;
  /** Unchanged rows get last_seen_at refreshed only when it is older than this. */
  lastSeenGranularityMs: number;
}

export interface ChangedRow {
  key: Record<string, unknown>;
  op: 'insert' | 'update' | 'restore';
  before: Record<string, unknown> | null;
  row: Row;
  fields: FieldChanges | null;
}

export interface UpsertResult {
  inserted: number;
  updated: number;
  restored: number;
  unchanged: number;
  touched: number;
  changed: ChangedRow[];
}

const BOOKKEEPING = new Set(['row_hash', 'first_seen_at', 'last_seen_at', 'deleted_at']);
const CHUNK = 400;
const CHANGES_CHUNK = 2000;

function q(identifier: string): SQL {
  return sql.raw(`"${identifier.replace(/"/g, '""')}"`);
}

function tableRef(table: PgTable): SQL {
  return sql.raw(`"dockerhub"."${getTableName(table)}"`);
}

function keyOf(spec: EntitySpec, row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(spec.keys.map((k) => [k, row[k]]));
}

function keyString(spec: EntitySpec, row: Record<string, unknown>): string {
  return JSON.stringify(spec.keys.map((k) => (row[k] === null || row[k] === undefined ? null : String(row[k]))));
}

/** The hash covers every data column, so a change in the mapping itself also counts as a change. */
export function rowHash(row: Record<string, unknown>): string {
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (!BOOKKEEPING.has(k)) data[k] = v;
  return hashOf(data);
}

interface Existing {
  key: string;
  row_hash: string;
  raw: Record<string, unknown>;
  deleted: boolean;
  stale: boolean;
}

/**
 * The batch's keys as one jsonb parameter joined as a record set: one statement of constant size
 * however many rows, which both Postgres and PGlite plan as a join on the primary key.
 */
function keySet(spec: EntitySpec, rows: Record<string, unknown>[]): SQL {
  const keys = rows.map((row) => Object.fromEntries(spec.keys.map((k) => [k, row[k] === null || row[k] === undefined ? null : String(row[k])])));
  const columns = sql.raw(spec.keys.map((k) => `"${k}" text`).join(', '));
  return sql`jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) AS k(${columns})`;
}

function keyJoin(spec: EntitySpec, alias: string): SQL {
  return sql.raw(spec.keys.map((k) => `${alias}."${k}"::text = k."${k}"`).join(' AND '));
}

async function readExisting(
  tx: Executor,
  spec: EntitySpec,
  rows: Record<string, unknown>[],
  options: UpsertOptions,
): Promise<Map<string, Existing>> {
  const found = new Map<string, Existing>();
  const keyCols = sql.raw(spec.keys.map((k) => `t."${k}"`).join(', '));
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const result = await tx.execute(sql`
      SELECT ${keyCols}, t.row_hash, t.raw, t.deleted_at IS NOT NULL AS deleted,
        t.last_seen_at < (${options.now}::timestamptz - ${`${options.lastSeenGranularityMs} milliseconds`}::interval) AS stale
      FROM ${tableRef(spec.table)} t JOIN ${keySet(spec, chunk)} ON ${keyJoin(spec, 't')}`);
    for (const row of rowsOf<Record<string, unknown>>(result)) {
      found.set(keyString(spec, row), {
        key: keyString(spec, row),
        row_hash: String(row.row_hash),
        raw: (typeof row.raw === 'string' ? JSON.parse(row.raw) : row.raw) as Record<string, unknown>,
        deleted: Boolean(row.deleted),
        stale: Boolean(row.stale),
      });
    }
  }
  return found;
}

/**
 * Write a batch of rows: new rows are inserted, rows whose content changed (or that come back
 * after a deletion) are updated, unchanged rows are left alone (their `last_seen_at` is
 * refreshed at most once per granularity). Every insert, update and restore is recorded in
 * `changes` with the fields that changed. Runs inside the caller's transaction.
 */
export async function upsertEntities(
  tx: Executor,
  spec: EntitySpec,
  input: Row[],
  options: UpsertOptions,
): Promise<UpsertResult> {
  const result: UpsertResult = { inserted: 0, updated: 0, restored: 0, unchanged: 0, touched: 0, changed: [] };
  if (input.length === 0) return result;
  // A page can repeat an item (pagination shifting under us); the last copy wins.
  const byKey = new Map<string, Row>();
  for (const row of input) byKey.set(keyString(spec, row), row);
  const rows = [...byKey.values()];

  const existing = await readExisting(tx, spec, rows, options);
  const toWrite: Record<string, unknown>[] = [];
  const toTouch: Record<string, unknown>[] = [];
  for (const row of rows) {
    const hash = rowHash(row);
    const old = existing.get(keyString(spec, row));
    if (!old) {
      result.inserted++;
      result.changed.push({ key: keyOf(spec, row), op: 'insert', before: null, row, fields: null });
      toWrite.push({ ...row, row_hash: hash, first_seen_at: options.now, last_seen_at: options.now, deleted_at: null });
    } else if (old.row_hash !== hash || old.deleted) {
      const op = old.deleted ? 'restore' : 'update';
      if (op === 'restore') result.restored++;
      else result.updated++;
      result.changed.push({ key: keyOf(spec, row), op, before: old.raw, row, fields: diffFields(old.raw, row.raw) });
      toWrite.push({ ...row, row_hash: hash, last_seen_at: options.now, deleted_at: null });
    } else {
      result.unchanged++;
      if (old.stale) toTouch.push(row);
    }
  }

  const columns = getTableColumns(spec.table);
  if (toWrite.length > 0) {
    // Only the columns the mapping produces are written: a column the mapping leaves out keeps
    // its stored value on update.
    const provided = new Set<string>(['row_hash', 'last_seen_at', 'deleted_at']);
    for (const row of toWrite) for (const key of Object.keys(row)) if (key in columns) provided.add(key);
    provided.delete('first_seen_at');
    const dataColumns = [...provided].filter((c) => !spec.keys.includes(c));
    const written = [...new Set([...spec.keys, ...provided, 'first_seen_at'])];
    for (const name of written) if (!(name in columns)) throw new Error(`${spec.entity}: no column "${name}"`);
    const list = sql.raw(written.map((c) => `"${c}"`).join(', '));
    const set = sql.raw(dataColumns.map((c) => `"${c}" = excluded."${c}"`).join(', '));
    const conflict = sql.raw(spec.keys.map((k) => `"${k}"`).join(', '));
    // One jsonb parameter a chunk, typed by the table's own row type: the database converts each
    // value to its column's type, and the statement stays small however many rows it carries.
    for (let i = 0; i < toWrite.length; i += CHUNK) {
      const chunk = toWrite.slice(i, i + CHUNK).map((row) => fillColumns(row, provided, options.now));
      await tx.execute(sql`
        INSERT INTO ${tableRef(spec.table)} (${list})
        SELECT ${list} FROM jsonb_populate_recordset(NULL::${tableRef(spec.table)}, ${JSON.stringify(chunk)}::jsonb)
        ON CONFLICT (${conflict}) DO UPDATE SET ${set}`);
    }
  }
  if (toTouch.length > 0) {
    result.touched = toTouch.length;
    for (let i = 0; i < toTouch.length; i += CHUNK) {
      await tx.execute(sql`
        UPDATE ${tableRef(spec.table)} t SET last_seen_at = ${options.now}::timestamptz
        FROM ${keySet(spec, toTouch.slice(i, i + CHUNK))} WHERE ${keyJoin(spec, 't')}`);
    }
  }
  if (result.changed.length > 0) {
    await recordChanges(
      tx,
      spec.entity,
      result.changed.map((c) => ({ key: c.key, op: c.op, fields: c.fields })),
      options,
    );
  }
  return result;
}

/** Every provided column gets a value (null when this row lacks it) so all rows share one shape. */
function fillColumns(row: Record<string, unknown>, provided: Set<string>, now: string): Record<string, unknown> {
  const out: Record<string, unknown> = { first_seen_at: row.first_seen_at ?? now };
  for (const key of Object.keys(row)) if (!provided.has(key) && key !== 'first_seen_at') out[key] = row[key];
  for (const name of provided) out[name] = row[name] === undefined ? null : row[name];
  return out;
}

export async function recordChanges(
  tx: Executor,
  entity: string,
  items: { key: Record<string, unknown>; op: string; fields: FieldChanges | null }[],
  options: Pick<UpsertOptions, 'runId' | 'now'>,
): Promise<void> {
  // One jsonb parameter per chunk, unpacked by the database: a page's changes cost one small
  // statement instead of six parameters a row.
  for (let i = 0; i < items.length; i += CHANGES_CHUNK) {
    const chunk = items.slice(i, i + CHANGES_CHUNK).map((item) => ({ k: item.key, o: item.op, c: item.fields }));
    await tx.execute(sql`
      INSERT INTO dockerhub.changes (run_id, entity, entity_key, op, changed, observed_at)
      SELECT ${options.runId}::bigint, ${entity}, c.k, c.o, c.c, ${options.now}::timestamptz
      FROM jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) AS c(k jsonb, o text, c jsonb)`);
  }
}

/**
 * After a complete listing of `scope`, soft-delete the rows it did not show. A scope value may be
 * a list (`{ tag: ['a', 'b'] }` bounds the listing to those tags). `keyColumns` are the key
 * columns outside the scope; `seen` holds their values as listed (an array per row when there
 * are several). Returns the keys of the rows it deleted.
 */
export async function markMissing(
  tx: Executor,
  spec: EntitySpec,
  scope: Record<string, unknown>,
  keyColumns: string | readonly string[],
  seen: Iterable<unknown>,
  options: UpsertOptions,
): Promise<Record<string, unknown>[]> {
  const columns = typeof keyColumns === 'string' ? [keyColumns] : keyColumns;
  const seenRows = [...seen].map((value) => {
    const values = typeof keyColumns === 'string' ? [value] : (value as unknown[]);
    return Object.fromEntries(columns.map((column, i) => [column, String(values[i])]));
  });
  const conditions = Object.entries(scope).map(([column, value]) =>
    Array.isArray(value)
      ? sql`t.${q(column)}::text IN (SELECT jsonb_array_elements_text(${JSON.stringify(value.map(String))}::jsonb))`
      : sql`t.${q(column)} = ${value}`,
  );
  const where = conditions.length > 0 ? sql.join(conditions, sql` AND `) : sql`TRUE`;
  const listed = sql.raw(columns.map((c) => `"${c}" text`).join(', '));
  const matches = sql.raw(columns.map((c) => `t."${c}"::text = k."${c}"`).join(' AND '));
  const keyCols = sql.raw(spec.keys.map((k) => `t."${k}"`).join(', '));
  const result = await tx.execute(sql`
    UPDATE ${tableRef(spec.table)} t SET deleted_at = ${options.now}::timestamptz
    WHERE ${where} AND t.deleted_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset(${JSON.stringify(seenRows)}::jsonb) AS k(${listed}) WHERE ${matches})
    RETURNING ${keyCols}`);
  const deleted = rowsOf<Record<string, unknown>>(result).map((row) => keyOf(spec, row));
  if (deleted.length > 0) {
    await recordChanges(tx, spec.entity, deleted.map((key) => ({ key, op: 'delete', fields: null })), options);
  }
  return deleted;
}
