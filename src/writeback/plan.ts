// From source records to the calls a run makes: unchanged records (same payload hash as their
// last success) and records the synced tables show in place are left out, bad records are set
// aside with the reason, the rest are grouped into calls (batches where the API takes lists),
// and in mirror mode records that left the source get their inverse call.

import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.js';
import { buildUrl } from '../hub/client.js';
import { HubRequestRefusedError, isOatRefusedPath, OAT_LEGACY_PATH_NOTE } from '../hub/errors.js';
import { headerProblem } from '../hub/request-rules.js';
import { renderTemplate, renderValue, TemplateError, valuesResolver, placeholdersOf, placeholdersIn } from '../templating/template.js';
import type { ResolvedJob } from './job.js';
import { readSource } from './source.js';
import type { ReadOnlyLimits } from '../db/sql.js';
import { templateNamed } from './templates/index.js';
import type { Lookup, WriteMethod, WritebackTemplate } from './templates/types.js';
import { canonical, given, masked, project, sha256, type Row } from './values.js';

export interface PlannedCall {
  /** Template name (or the custom target's method and path); an inverse call names its own template. */
  action: string;
  inverse: boolean;
  method: WriteMethod;
  path: string;
  url: string;
  body: unknown;
  headers: Record<string, string>;
  idempotent: boolean;
  /** The namespace or organization: picks the credential. */
  scope: string | undefined;
  template: WritebackTemplate | undefined;
  /** The records the call carries, prepared; their keys and payload hashes, in the same order. */
  records: Row[];
  keys: string[];
  hashes: string[];
  undocumented?: string | undefined;
  /** The path refuses organization access tokens (a legacy repository path): what Hub may answer. */
  oatRefused?: string | undefined;
}

export type DecisionKind = 'unchanged' | 'in_place' | 'bad' | 'unknown';

export interface Decision {
  kind: DecisionKind;
  key: string;
  record: Row;
  hash?: string | undefined;
  reason: string;
  /** A mirror removal found already done: the record is forgotten, not stored. */
  undo?: boolean;
}

export interface Plan {
  job: string;
  sourceRecords: number;
  calls: PlannedCall[];
  decisions: Decision[];
  warnings: string[];
  /**
   * Why the run sends nothing at all (a mirror run that would remove more than maxRemove):
   * `calls` then lists what it would have sent, for the plan to show.
   */
  refused?: string | undefined;
  /** Mirror: records that left the source and are (or would be) removed in this run. */
  removals: number;
}

export interface StoredRecord {
  key: string;
  hash: string;
  state: string;
  record: Row;
  createdId: string | null;
}

export interface PlanDeps {
  database: Database;
  baseUrl: URL;
  /** How the source is read (the read-only role, a statement timeout); defaults when absent. */
  readOnly?: Partial<ReadOnlyLimits> | undefined;
}

export function createLookup(database: Database): Lookup {
  return {
    one: async (query) => {
      const rows = rowsOf<Row>(await database.db.execute(query));
      return rows[0];
    },
  };
}

/** The record key as stored: its key columns as canonical JSON (`{"email":"a@example.com"}`). */
export function recordKey(record: Row, key: readonly string[]): string {
  return canonical(project(record, key));
}

/** The columns that make up what is sent for a record: a change in any of them sends it again. */
function payloadColumns(job: ResolvedJob, record: Row): string[] {
  if (job.template) return [...new Set([...job.key, ...job.template.requires, ...(job.template.optional ?? [])])];
  const custom = job.custom!;
  const fromTemplates = [...placeholdersOf(custom.path), ...Object.values(job.headers).flatMap(placeholdersOf)];
  const fromBody = custom.body ? placeholdersIn(custom.body) : Object.keys(record).filter((c) => !custom.exclude.includes(c));
  return [...new Set([...job.key, ...fromTemplates, ...fromBody])];
}

/** What identifies the target in a hash: a new template or a changed custom target sends everything again. */
function targetIdentity(job: ResolvedJob): unknown {
  return job.template ? job.template.name : { ...job.custom, headers: job.headers };
}

export function payloadHash(job: ResolvedJob, record: Row): string {
  return sha256(canonical({ target: targetIdentity(job), record: project(record, payloadColumns(job, record)) }));
}

export function callHash(call: Pick<PlannedCall, 'method' | 'url' | 'body'>): string {
  return sha256(canonical({ method: call.method, url: call.url, body: call.body ?? null }));
}

/** A JSON-safe copy of a record (dates as text), secrets masked. */
export function storableRecord(record: Row): Row {
  return masked(JSON.parse(canonical(record)) as Row) as Row;
}

export async function loadStoredRecords(database: Database, job: string): Promise<Map<string, StoredRecord>> {
  const rows = rowsOf<{ record_key: string; payload_hash: string; state: string; record: Row; created_id: string | null }>(
    await database.db.execute(sql`SELECT record_key, payload_hash, state, record, created_id FROM dockerhub.writeback_records WHERE job = ${job}`),
  );
  return new Map(rows.map((r) => [r.record_key, { key: r.record_key, hash: r.payload_hash, state: r.state, record: r.record, createdId: r.created_id }]));
}

/** Keys of records whose last call has an unknown outcome: they wait for `--retry-unknown`. */
export async function loadUnknownKeys(database: Database, job: string): Promise<Set<string>> {
  const rows = rowsOf<{ record_keys: string[] }>(
    await database.db.execute(sql`SELECT record_keys FROM dockerhub.writeback_intents WHERE job = ${job} AND state IN ('unknown', 'pending')`),
  );
  return new Set(rows.flatMap((r) => r.record_keys));
}

function missingColumns(record: Row, columns: readonly string[]): string[] {
  return columns.filter((c) => !given(record, c));
}

/**
 * Why a record's key cannot identify it, naming the column, or undefined. A NULL or empty key
 * column makes the record invalid: it is reported, and it never counts as "left the source".
 */
export function keyProblem(record: Row, key: readonly string[]): string | undefined {
  const problems = key.flatMap((column) => {
    const value = record[column];
    if (value === undefined) return [`key column ${column} is not in the source`];
    if (value === null) return [`key column ${column} is NULL`];
    if (typeof value === 'string' && value.trim() === '') return [`key column ${column} is empty`];
    return [];
  });
  return problems.length > 0 ? `${problems.join('; ')} (a record is identified by ${key.join(', ')})` : undefined;
}

/** Mirror removals one run may make without --allow-removals: 10% of what the job manages, at least 1. */
export function defaultMaxRemove(managed: number): number {
  return Math.max(1, Math.floor(managed / 10));
}

interface Pending {
  record: Row;
  key: string;
  hash: string;
}

/** Path, body and headers of one call carrying `records` (one, or a batch sharing the path). */
function buildCall(job: ResolvedJob, deps: PlanDeps, records: Pending[], inverse?: { template?: WritebackTemplate | undefined; custom?: NonNullable<ResolvedJob['custom']>['inverse'] }): PlannedCall {
  const first = records[0]!.record;
  const resolve = valuesResolver(first);
  const template = inverse ? inverse.template : job.template;
  const custom = inverse ? inverse.custom : job.custom;
  let method: WriteMethod;
  let pathTemplate: string;
  let body: unknown;
  let idempotent: boolean;
  if (template) {
    method = template.method;
    pathTemplate = template.path;
    body = template.body ? template.body(records.map((p) => p.record)) : undefined;
    idempotent = template.idempotent;
  } else {
    method = custom!.method;
    pathTemplate = custom!.path;
    const bodyOf = (record: Row): unknown => {
      if ('body' in custom! && custom.body) return renderValue(custom.body, valuesResolver(record), { what: 'body' });
      if (inverse) return undefined;
      const exclude = job.custom!.exclude;
      return JSON.parse(canonical(Object.fromEntries(Object.entries(record).filter(([c]) => !exclude.includes(c))))) as unknown;
    };
    body = method === 'DELETE' && !('body' in custom! && custom.body) ? undefined : job.batch && !inverse ? records.map((p) => bodyOf(p.record)) : bodyOf(first);
    idempotent = inverse ? ['PUT', 'DELETE'].includes(method) : job.custom!.idempotent;
  }
  const path = renderTemplate(pathTemplate, resolve, { encode: 'path', what: 'path', describe: (column) => `{${column}} (column ${column})` });
  const headers = Object.fromEntries(Object.entries(job.headers).map(([name, value]) => [name, recordHeader(name, value, resolve)]));
  return {
    action: template ? template.name : `${method} ${pathTemplate}`,
    inverse: Boolean(inverse),
    method,
    path,
    url: buildUrl(deps.baseUrl, path).toString(),
    body,
    headers,
    idempotent,
    scope: template?.scope?.(first) ?? (given(first, 'org') ? String(first.org) : given(first, 'namespace') ? String(first.namespace) : undefined),
    template,
    records: records.map((p) => p.record),
    keys: records.map((p) => p.key),
    hashes: records.map((p) => p.hash),
    undocumented: template?.undocumented,
    oatRefused: isOatRefusedPath(pathTemplate) ? OAT_LEGACY_PATH_NOTE : undefined,
  };
}

/** A header filled in from a record, checked by the rule the config's headers pass at load; its value is never repeated. */
function recordHeader(name: string, template: string, resolve: (expression: string) => unknown): string {
  const value = renderTemplate(template, resolve, { what: `header ${name}` });
  const problem = headerProblem(name, value);
  if (problem) {
    const columns = [...new Set(placeholdersOf(template))];
    const from = columns.length > 0 ? ` (made from column ${columns.join(', ')})` : '';
    throw new HubRequestRefusedError(`header ${name}${from} ${problem}; nothing was sent.`);
  }
  return value;
}

/** A record the path, body or headers cannot be made from: bad, with the reason; anything else is a fault. */
function isRecordProblem(error: unknown): boolean {
  return error instanceof TemplateError || error instanceof HubRequestRefusedError;
}

/** Records sharing the batch's groupBy values, in chunks of `size`, in source order. */
function batches(pending: Pending[], batch: { size: number; groupBy: string[] }): Pending[][] {
  const groups = new Map<string, Pending[]>();
  for (const p of pending) {
    const id = canonical(batch.groupBy.map((c) => (given(p.record, c) ? p.record[c] : null)));
    groups.set(id, [...(groups.get(id) ?? []), p]);
  }
  const out: Pending[][] = [];
  for (const members of groups.values()) for (let i = 0; i < members.length; i += batch.size) out.push(members.slice(i, i + batch.size));
  return out;
}

export interface PlanOptions {
  /** Records waiting for `--retry-unknown` are planned again. */
  retryUnknown?: boolean | undefined;
  /** Mirror: this run may remove up to this many records, beyond the job's maxRemove (`--allow-removals N`). */
  allowRemovals?: number | undefined;
}

/** What the plan knows besides the source: earlier successes, intents waiting for a decision, the synced tables. */
interface Known {
  lookup: Lookup;
  stored: Map<string, StoredRecord>;
  /** Keys whose last call has an unknown outcome (empty with --retry-unknown). */
  blocked: Set<string>;
}

export async function planJob(deps: PlanDeps, job: ResolvedJob, options: PlanOptions = {}): Promise<Plan> {
  const lookup = createLookup(deps.database);
  const records = await readSource(deps.database, job.source, deps.readOnly);
  const known: Known = {
    lookup,
    stored: await loadStoredRecords(deps.database, job.name),
    blocked: options.retryUnknown ? new Set<string>() : await loadUnknownKeys(deps.database, job.name),
  };
  const decisions: Decision[] = [];
  const warnings: string[] = [];
  const { pending, seen, keyless } = await decideRecords(deps, job, known, records, decisions);
  const calls = job.batch ? batches(pending, job.batch).map((group) => buildCall(job, deps, group)) : pending.map((p) => buildCall(job, deps, [p]));
  let refused: string | undefined;
  let removals = 0;
  if (job.mode === 'mirror') {
    const gone = leftTheSource(job, known, { sourceRecords: records.length, seen, keyless }, options, warnings);
    if (gone) {
      ({ refused, removals } = gone);
      for (const s of gone.records) {
        const removal = await planRemoval(deps, job, known, s);
        if ('kind' in removal) decisions.push(removal);
        else calls.push(removal);
      }
    }
  }
  return { job: job.name, sourceRecords: records.length, calls, decisions, warnings, removals, ...(refused ? { refused } : {}) };
}

/** Every source record: a call to make (pending), or a decision saying why not. */
async function decideRecords(deps: PlanDeps, job: ResolvedJob, known: Known, records: Row[], decisions: Decision[]) {
  const pending: Pending[] = [];
  const seen = new Set<string>();
  let keyless = 0;
  for (const source of records) {
    const badKey = keyProblem(source, job.key);
    if (badKey) {
      keyless++;
      decisions.push({ kind: 'bad', key: canonical(project(source, job.key)), record: source, reason: badKey });
      continue;
    }
    const key = recordKey(source, job.key);
    if (seen.has(key)) {
      decisions.push({ kind: 'bad', key, record: source, reason: 'another record of the source has the same key' });
      continue;
    }
    seen.add(key);
    const decided = await decideRecord(deps, job, known, source, key);
    if ('kind' in decided) decisions.push(decided);
    else pending.push(decided);
  }
  return { pending, seen, keyless };
}

async function decideRecord(deps: PlanDeps, job: ResolvedJob, known: Known, source: Row, key: string): Promise<Pending | Decision> {
  const hash = payloadHash(job, source);
  const before = known.stored.get(key);
  if (before && before.hash === hash) {
    return { kind: 'unchanged', key, record: source, hash, reason: before.state === 'in_place' ? 'unchanged (was already in place)' : 'unchanged since its last successful call' };
  }
  if (known.blocked.has(key)) {
    return { kind: 'unknown', key, record: source, hash, reason: 'an earlier call for it may or may not have arrived; check, then run push --retry-unknown' };
  }
  const prepared = job.template ? await prepareForTemplate(job.template, known.lookup, source, key, hash) : { record: source };
  if ('decision' in prepared) return prepared.decision;
  const { record } = prepared;
  try {
    // Render once now so a record the path or body cannot be made from is a bad record, not a failed run.
    buildCall(job, deps, [{ record, key, hash }]);
  } catch (error) {
    if (!isRecordProblem(error)) throw error;
    return { kind: 'bad', key, record: source, hash, reason: (error as Error).message };
  }
  return { record, key, hash };
}

/** A record as the template needs it, or why it is bad or already in place. */
async function prepareForTemplate(template: WritebackTemplate, lookup: Lookup, source: Row, key: string, hash: string): Promise<{ record: Row } | { decision: Decision }> {
  const missing = missingColumns(source, template.requires);
  if (missing.length > 0) {
    return { decision: { kind: 'bad', key, record: source, hash, reason: `missing column ${missing.join(', ')} (${template.name} needs ${template.requires.join(', ')})` } };
  }
  let record = source;
  if (template.prepare) {
    const prepared = await template.prepare(source, lookup);
    if (typeof prepared === 'string') return { decision: { kind: 'bad', key, record: source, hash, reason: prepared } };
    record = prepared;
  }
  const reason = await template.inPlace?.(record, lookup);
  return reason ? { decision: { kind: 'in_place', key, record, hash, reason } } : { record };
}

/**
 * Mirror: the records that left the source, or undefined (with a warning) when this run removes
 * nothing. Removing is the exception: only after the whole source was read with every key
 * present, and never more at once than the job allows (else the run is refused).
 */
function leftTheSource(
  job: ResolvedJob,
  known: Known,
  source: { sourceRecords: number; seen: Set<string>; keyless: number },
  options: PlanOptions,
  warnings: string[],
): { records: StoredRecord[]; removals: number; refused: string | undefined } | undefined {
  const managed = [...known.stored.values()].filter((s) => s.state === 'applied' || s.state === 'in_place');
  const gone = managed.filter((s) => !source.seen.has(s.key));
  if (gone.length > 0 && source.sourceRecords === 0) {
    warnings.push(`the source returned no records: mirror removes nothing on an empty source (${gone.length} record(s) would go); check the source, or switch to upsert to leave them`);
    return undefined;
  }
  if (gone.length > 0 && source.keyless > 0) {
    warnings.push(
      `mirror removes nothing in this run: ${source.keyless} source record(s) have a NULL or empty key column (see the bad records), so the source cannot show which records left it; ${gone.length} record(s) not found in the source stay. Fix the source's keys and run again.`,
    );
    return undefined;
  }
  const removable = gone.filter((s) => !known.blocked.has(s.key)).length;
  const limit = Math.max(job.maxRemove ?? defaultMaxRemove(managed.length), options.allowRemovals ?? 0);
  let refused: string | undefined;
  if (removable > limit) {
    const allowance = job.maxRemove !== undefined ? `maxRemove is ${job.maxRemove}` : `maxRemove defaults to ${limit} (10% of the ${managed.length} record(s) the job manages, at least 1)`;
    refused =
      `mirror would remove ${removable} record(s) that left the source, more than this run may (${allowance}${options.allowRemovals ? `; --allow-removals ${options.allowRemovals}` : ''}). ` +
      `Nothing was sent. Check the source; if these removals are intended, run \`dockerhub-sync push ${job.name} --allow-removals ${removable}\`, or raise maxRemove in the job.`;
  }
  return { records: gone, removals: removable, refused };
}

/** The inverse call for a record that left the source, or why there is none. */
async function planRemoval(deps: PlanDeps, job: ResolvedJob, known: Known, s: StoredRecord): Promise<PlannedCall | Decision> {
  if (known.blocked.has(s.key)) {
    return { kind: 'unknown', key: s.key, record: s.record, reason: 'an earlier removal may or may not have arrived; run push --retry-unknown' };
  }
  try {
    if (!job.template) return buildCall(job, deps, [{ record: s.record, key: s.key, hash: '' }], { custom: job.custom!.inverse });
    const inverse = templateNamed(job.template.inverse!.template)!;
    let record = job.template.inverse!.record(s.record, s.createdId ?? undefined);
    if (inverse.prepare) {
      const prepared = await inverse.prepare(record, known.lookup);
      if (typeof prepared === 'string') return { kind: 'bad', key: s.key, record: s.record, reason: `cannot undo: ${prepared}` };
      record = prepared;
    }
    const reason = await inverse.inPlace?.(record, known.lookup);
    if (reason) return { kind: 'in_place', key: s.key, record, reason: `already undone: ${reason}`, undo: true };
    return buildCall(job, deps, [{ record, key: s.key, hash: '' }], { template: inverse });
  } catch (error) {
    if (!isRecordProblem(error)) throw error;
    return { kind: 'bad', key: s.key, record: s.record, reason: `cannot undo: ${(error as Error).message}` };
  }
}
