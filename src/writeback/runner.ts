// Running a write-back job: recover what a crash left, plan, then for every call commit an
// intent, send, and record the outcome. A call that may have reached Docker Hub without its
// answer reaching us is never sent again blindly: the template's check decides `confirmed`,
// or the intent stays `unknown` until `push --retry-unknown`.

import { randomBytes } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rowsOf, type Database } from '../db/client.js';
import { withLease } from '../db/leases.js';
import { writebackIntents, writebackRecords, writebackResults } from '../db/schema/index.js';
import type { HubClient } from '../hub/client.js';
import { HubError, HubNetworkError, HubNotFoundError, HubRateLimitError, HubRequestRefusedError } from '../hub/errors.js';
import { errorCode } from '../hub/retry.js';
import type { ReadOnlyLimits } from '../db/sql.js';
import type { ResolvedJob } from './job.js';
import { callHash, planJob, storableRecord, type Decision, type Plan, type PlannedCall } from './plan.js';
import { templateNamed } from './templates/index.js';
import type { Confirmation, HubReader, RecordOutcome, WritebackTemplate } from './templates/types.js';
import { maskSecrets, maskText, type Row } from './values.js';
import { createWebhook, type Webhook } from './webhook.js';

export interface RunnerDeps {
  database: Database;
  /** The client for a namespace or organization (the credential that serves it). */
  clientFor(scope: string | undefined): HubClient;
  baseUrl: URL;
  logger: Logger;
  /** How sources are read: the read-only role and a statement timeout (DATABASE_READER_ROLE, DATABASE_STATEMENT_TIMEOUT). */
  readOnly?: Partial<ReadOnlyLimits> | undefined;
  /** For the webhook (tests pass their own). */
  fetch?: typeof fetch;
  /** How long the end of a run waits for webhook deliveries. */
  webhookDrainMs?: number;
}

export interface RunOptions {
  /** Print the calls, write nothing, send nothing. */
  plan?: boolean;
  /** Calls whose outcome is unknown are checked again and, if not found, sent again. */
  retryUnknown?: boolean;
  /** Templates with an API dry run (bulk invite) are sent with it; nothing changes, nothing is stored as done. */
  validate?: boolean;
  /** Mirror: this run may remove up to this many records, more than the job's maxRemove (`--allow-removals N`). */
  allowRemovals?: number;
  /** A new secret, shown once to whoever runs the command (never stored, never logged). */
  onSecret?: (secret: { key: string; action: string; fingerprint: string; secret: string }) => void;
  signal?: AbortSignal;
}

export interface RecordFailure {
  key: string;
  action: string;
  error: string;
}

export interface RunSummary {
  job: string;
  runId: string;
  /** Another process holds the job's lease. */
  heldBy?: string | undefined;
  calls: number;
  /** Records a successful call carried (confirmed ones included). */
  sent: number;
  /** In place already (the synced tables or the answer said so). */
  skipped: number;
  unchanged: number;
  failed: number;
  unknown: number;
  confirmed: number;
  validated: number;
  /** Mirror removals made. */
  removed: number;
  failures: RecordFailure[];
  warnings: string[];
  /** Why the run sent nothing at all (a mirror run over its maxRemove). */
  refused?: string | undefined;
  durationMs: number;
  plan?: Plan;
  /** Earlier intents without an outcome (shown by --plan, resolved by a run). */
  unresolved: number;
}

export const leaseKeyOf = (job: string) => `writeback:${job}`;

const newRunId = () => `${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;

function emptySummary(job: string, runId: string): RunSummary {
  return { job, runId, calls: 0, sent: 0, skipped: 0, unchanged: 0, failed: 0, unknown: 0, confirmed: 0, validated: 0, removed: 0, failures: [], warnings: [], durationMs: 0, unresolved: 0 };
}

function readerFor(client: HubClient): HubReader {
  return {
    async get(path) {
      try {
        return (await client.request({ path, auth: 'required', cache: false, endpoint: 'write-back check' })).body;
      } catch (error) {
        if (error instanceof HubNotFoundError) return undefined;
        throw error;
      }
    },
    async list(path, shape) {
      const items: Row[] = [];
      for await (const page of client.paginate({ path, shape, auth: 'required', endpoint: 'write-back check', ...(shape === 'data' ? { pageSize: null } : {}) })) {
        items.push(...(page.items as Row[]));
      }
      return items;
    },
  };
}

/** Could the request have reached Docker Hub although no usable answer came back? */
function mayHaveArrived(error: unknown): boolean {
  // Refused before sending (an unsafe URL, value or header): it reached no one.
  if (error instanceof HubRequestRefusedError || error instanceof HubRateLimitError) return false;
  // A 2xx whose body could not be read: it arrived and was done.
  if (error instanceof HubError && error.status !== undefined && error.status >= 200 && error.status < 300) return true;
  if (error instanceof HubNetworkError) {
    const code = errorCode(error);
    return !(code && ['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EAI_AGAIN', 'ENOTFOUND'].includes(code));
  }
  if (error instanceof HubError) return error.status === undefined || error.status >= 500;
  return true;
}

function errorText(error: unknown): string {
  if (error instanceof HubError) {
    const said = error.detail ? `: ${error.detail}` : '';
    return maskText(error.status ? `Docker Hub answered ${error.status}${said}` : error.message);
  }
  return maskText((error as Error).message ?? String(error));
}

export async function runJob(deps: RunnerDeps, job: ResolvedJob, options: RunOptions = {}): Promise<RunSummary> {
  const runId = newRunId();
  const started = Date.now();
  if (options.plan) {
    const plan = await planJob({ database: deps.database, baseUrl: deps.baseUrl, readOnly: deps.readOnly }, job, { retryUnknown: options.retryUnknown, allowRemovals: options.allowRemovals });
    const summary = summarizeDecisions(emptySummary(job.name, runId), plan.decisions);
    summary.refused = plan.refused;
    summary.calls = plan.calls.length;
    summary.plan = plan;
    summary.warnings = plan.warnings;
    summary.unresolved = rowsOf<{ n: number }>(
      await deps.database.db.execute(sql`SELECT count(*)::int AS n FROM dockerhub.writeback_intents WHERE job = ${job.name} AND state IN ('pending', 'unknown')`),
    )[0]!.n;
    summary.durationMs = Date.now() - started;
    return summary;
  }
  // A lost lease (the database was unreachable too long) stops the run before its next call.
  const leased = await withLease(
    deps.database,
    leaseKeyOf(job.name),
    (lost) => execute(deps, job, { ...options, signal: options.signal ? AbortSignal.any([options.signal, lost]) : lost }, runId),
    { logger: deps.logger },
  );
  if (!leased.acquired) return { ...emptySummary(job.name, runId), heldBy: leased.holder, durationMs: Date.now() - started };
  leased.value.durationMs = Date.now() - started;
  return leased.value;
}

function summarizeDecisions(summary: RunSummary, decisions: Decision[]): RunSummary {
  for (const d of decisions) {
    if (d.kind === 'unchanged') summary.unchanged++;
    else if (d.kind === 'in_place') summary.skipped++;
    else if (d.kind === 'unknown') summary.unknown++;
    else if (d.kind === 'bad') {
      summary.failed++;
      summary.failures.push({ key: d.key, action: 'record', error: d.reason });
    }
  }
  return summary;
}

interface IntentRow {
  id: number;
  action: string;
  records: { key: string; hash: string; record: Row }[];
  method: string;
  url: string;
  body: unknown;
  idempotent: boolean;
  inverse: boolean;
  state: string;
  created_ms: number;
}

async function execute(deps: RunnerDeps, job: ResolvedJob, options: RunOptions, runId: string): Promise<RunSummary> {
  const { database, logger } = deps;
  const db = database.db;
  const log = logger.child({ job: job.name, runId });
  const summary = emptySummary(job.name, runId);
  const webhook: Webhook | undefined = job.webhook && !options.validate ? createWebhook({ ...job.webhook, logger: log, fetch: deps.fetch }) : undefined;
  const notify = (payload: Row) => webhook?.send({ job: job.name, run_id: runId, ...payload });

  // ---------------------------------------------------------------- what a crash left
  const leftovers = rowsOf<IntentRow>(
    await db.execute(sql`SELECT id, action, records, method, url, body, idempotent, inverse, state, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms FROM dockerhub.writeback_intents
                         WHERE job = ${job.name} AND state IN ('pending', 'unknown') ORDER BY id`),
  );
  for (const intent of leftovers) {
    if (intent.state === 'unknown' && !options.retryUnknown) continue;
    if (intent.idempotent) {
      // Sending it again leaves the same state: the plan below sends it again if still needed.
      await db.update(writebackIntents).set({ state: 'abandoned', note: 'cut off (crash); planned again', completed_at: sql`now()` }).where(eq(writebackIntents.id, intent.id));
      continue;
    }
    const template = templateNamed(intent.action);
    const records = intent.records.map((r) => r.record);
    const since = new Date(Number(intent.created_ms));
    let confirmation: Confirmation = { found: undefined };
    if (template?.confirm) {
      try {
        confirmation = await template.confirm(records, readerFor(deps.clientFor(template.scope?.(records[0]!))), since);
      } catch (error) {
        confirmation = { found: undefined, note: `the check failed: ${errorText(error)}` };
      }
    }
    if (confirmation.found === true) {
      await completeConfirmed(database, job, runId, intent, confirmation);
      summary.confirmed += intent.records.length;
      summary.sent += intent.records.length;
      log.info({ intent: intent.id, action: intent.action }, 'write-back: a call cut off by a crash had arrived (confirmed)');
      notify({ intent_id: intent.id, action: intent.action, method: intent.method, url: intent.url, outcome: 'confirmed', created_ids: confirmation.createdIds ?? [], records: intent.records.map((r) => r.key) });
    } else if (options.retryUnknown && intent.state === 'unknown') {
      await db.update(writebackIntents).set({ state: 'retried', note: 'not found by the check; sent again by --retry-unknown', completed_at: sql`now()` }).where(eq(writebackIntents.id, intent.id));
    } else if (intent.state === 'pending') {
      const note = confirmation.note ?? (template?.confirm ? 'the check did not find the change; it may still have arrived' : 'this call cannot be checked');
      await db.transaction(async (tx) => {
        await tx.update(writebackIntents).set({ state: 'unknown', note, completed_at: sql`now()` }).where(eq(writebackIntents.id, intent.id));
        await tx.insert(writebackResults).values({
          job: job.name, run_id: runId, intent_id: intent.id, record_key: keyColumn(intent.records.map((r) => r.key)), method: intent.method, url: intent.url,
          request_body: intent.body, outcome: 'unknown', error: `cut off by a crash; ${note}. Run push ${job.name} --retry-unknown to check again and send it if it is still missing.`,
        });
      });
      log.warn({ intent: intent.id, action: intent.action }, `write-back: a call cut off by a crash has an unknown outcome (${note})`);
    }
  }

  // ---------------------------------------------------------------- plan
  const plan = await planJob({ database, baseUrl: deps.baseUrl, readOnly: deps.readOnly }, job, { retryUnknown: options.retryUnknown, allowRemovals: options.allowRemovals });
  summarizeDecisions(summary, plan.decisions);
  summary.warnings.push(...plan.warnings);
  for (const warning of plan.warnings) log.warn(`write-back: ${warning}`);
  if (plan.refused) {
    // Stops before sending anything: no call, no removal, no record of this run's decisions.
    summary.refused = plan.refused;
    log.warn({ removals: plan.removals }, `write-back: ${plan.refused}`);
    return summary;
  }
  if (!options.validate) await recordDecisions(database, job, runId, plan.decisions);

  // ---------------------------------------------------------------- calls
  for (const call of plan.calls) {
    if (options.signal?.aborted) break;
    const dryRun = options.validate ? call.template?.apiDryRun : undefined;
    if (options.validate && !dryRun) continue;
    const body = dryRun ? dryRun(call.body) : call.body;
    const requestBody = body === undefined ? null : maskSecrets(body).value;
    const [intent] = await db
      .insert(writebackIntents)
      .values({
        job: job.name, run_id: runId, action: call.action, record_keys: call.keys,
        records: call.records.map((record, i) => ({ key: call.keys[i]!, hash: call.hashes[i]!, record: storableRecord(record) })),
        payload_hash: callHash({ ...call, body }), method: call.method, url: call.url, body: requestBody,
        idempotent: call.idempotent || Boolean(dryRun), inverse: call.inverse, state: 'pending',
      })
      .returning({ id: writebackIntents.id });
    const intentId = intent!.id;
    summary.calls++;
    const client = deps.clientFor(call.scope);
    const t0 = performance.now();
    let status: number | undefined;
    let response: unknown;
    let failure: unknown;
    try {
      const res = await client.request({
        method: call.method, path: call.path, body, headers: call.headers, auth: 'required', idempotent: call.idempotent || Boolean(dryRun),
        endpoint: `write-back ${call.action}`, cache: false, ...(options.signal ? { signal: options.signal } : {}),
      });
      status = res.status;
      response = res.body;
    } catch (error) {
      failure = error;
      status = error instanceof HubError ? error.status : undefined;
    }
    const durationMs = Math.round(performance.now() - t0);
    const { value: safeResponse, secrets } = maskSecrets(response === undefined ? null : response);
    const base = { job: job.name, run_id: runId, intent_id: intentId, record_key: keyColumn(call.keys), method: call.method, url: call.url, request_body: requestBody, duration_ms: durationMs };

    if (failure === undefined || (failure instanceof HubNotFoundError && call.method === 'DELETE')) {
      // A DELETE answered 404: what it would remove is gone already; the state the record wants is there.
      const gone = failure !== undefined;
      const outcomes: RecordOutcome[] = gone
        ? call.records.map(() => ({ outcome: 'in_place', reason: 'already gone (404)' }))
        : dryRun
          ? (call.template?.outcomes?.(response, call.records) ?? call.records.map(() => ({ outcome: 'validated', detail: 'valid' }) as RecordOutcome))
          : (call.template?.outcomes?.(response, call.records) ??
            (call.template?.createdIds?.(response, call.records) ?? call.records.map(() => undefined)).map((createdId): RecordOutcome => ({ outcome: 'applied', createdId })));
      const createdIds = outcomes.flatMap((o) => (o.outcome === 'applied' && o.createdId ? [o.createdId] : []));
      await db.transaction(async (tx) => {
        await tx.update(writebackIntents).set({ state: 'succeeded', completed_at: sql`now()`, ...(dryRun ? { note: 'API dry run' } : {}) }).where(eq(writebackIntents.id, intentId));
        await tx.insert(writebackResults).values({
          ...base, status: status ?? 404, response: gone ? { detail: 'not found: already gone' } : safeResponse, outcome: dryRun ? 'validated' : 'sent', created_ids: createdIds, dry_run: dryRun ? 'api' : null,
        });
        for (let i = 0; i < call.records.length; i++) {
          const outcome = outcomes[i]!;
          const key = call.keys[i]!;
          if (outcome.outcome === 'failed') {
            await tx.insert(writebackResults).values({ ...base, record_key: key, status, outcome: 'failed', error: maskText(outcome.error), duration_ms: null, request_body: null });
            continue;
          }
          if (dryRun || outcome.outcome === 'validated') continue;
          if (call.inverse) {
            await tx.delete(writebackRecords).where(and(eq(writebackRecords.job, job.name), eq(writebackRecords.record_key, key)));
            continue;
          }
          await upsertRecord(tx as unknown as Database['db'], job.name, key, call.hashes[i]!, outcome.outcome === 'in_place' ? 'in_place' : 'applied', call.records[i]!, outcome.outcome === 'applied' ? outcome.createdId : undefined, intentId, outcome.outcome === 'in_place' ? outcome.reason : null);
        }
      });
      for (let i = 0; i < outcomes.length; i++) {
        const outcome = outcomes[i]!;
        if (outcome.outcome === 'failed') {
          summary.failed++;
          summary.failures.push({ key: call.keys[i]!, action: call.action, error: outcome.error });
        } else if (outcome.outcome === 'validated') summary.validated++;
        else if (outcome.outcome === 'in_place') summary.skipped++;
        else if (call.inverse) summary.removed++;
        else summary.sent++;
      }
      for (const secret of secrets) options.onSecret?.({ key: keyColumn(call.keys), action: call.action, fingerprint: secret.fingerprint, secret: secret.secret });
      log.info({ action: call.action, method: call.method, url: call.url, status, durationMs, records: call.records.length }, 'write-back call done');
      notify({ intent_id: intentId, action: call.action, method: call.method, url: call.url, request_body: requestBody, status: status ?? 404, outcome: dryRun ? 'validated' : 'sent', duration_ms: durationMs, created_ids: createdIds, response: gone ? null : safeResponse, records: call.keys });
      continue;
    }

    const error = errorText(failure);
    if (!call.idempotent && !dryRun && mayHaveArrived(failure)) {
      // The request may have arrived: check before anyone sends it again.
      let confirmation: Confirmation = { found: undefined };
      if (call.template?.confirm) {
        try {
          confirmation = await call.template.confirm(call.records, readerFor(client), new Date(Date.now() - durationMs - 1000));
        } catch (checkError) {
          confirmation = { found: undefined, note: `the check failed: ${errorText(checkError)}` };
        }
      }
      if (confirmation.found === true) {
        const intentRow = { id: intentId, action: call.action, method: call.method, url: call.url, body: requestBody, records: call.records.map((record, i) => ({ key: call.keys[i]!, hash: call.hashes[i]!, record })) } as IntentRow;
        await completeConfirmed(database, job, runId, intentRow, confirmation, { status, error, durationMs });
        summary.confirmed += call.records.length;
        summary.sent += call.records.length;
        notify({ intent_id: intentId, action: call.action, method: call.method, url: call.url, request_body: requestBody, status: status ?? null, outcome: 'confirmed', duration_ms: durationMs, created_ids: confirmation.createdIds ?? [], error, records: call.keys });
      } else {
        const note = confirmation.note ?? 'no answer, and the check did not find the change';
        await db.transaction(async (tx) => {
          await tx.update(writebackIntents).set({ state: 'unknown', note, completed_at: sql`now()` }).where(eq(writebackIntents.id, intentId));
          await tx.insert(writebackResults).values({ ...base, status: status ?? null, outcome: 'unknown', error: `${error}; ${note}. Run push ${job.name} --retry-unknown to check again and send it if it is still missing.` });
        });
        summary.unknown += call.records.length;
        log.warn({ action: call.action, url: call.url, error }, 'write-back call: outcome unknown');
        notify({ intent_id: intentId, action: call.action, method: call.method, url: call.url, request_body: requestBody, status: status ?? null, outcome: 'unknown', duration_ms: durationMs, error, records: call.keys });
      }
      continue;
    }

    await db.transaction(async (tx) => {
      await tx.update(writebackIntents).set({ state: 'failed', note: error, completed_at: sql`now()` }).where(eq(writebackIntents.id, intentId));
      await tx.insert(writebackResults).values({ ...base, status: status ?? null, outcome: 'failed', error, response: failure instanceof HubError && failure.detail ? { detail: maskText(failure.detail) } : null });
    });
    summary.failed += call.records.length;
    for (const key of call.keys) summary.failures.push({ key, action: call.action, error });
    log.warn({ action: call.action, method: call.method, url: call.url, status, error }, 'write-back call failed');
    notify({ intent_id: intentId, action: call.action, method: call.method, url: call.url, request_body: requestBody, status: status ?? null, outcome: 'failed', duration_ms: durationMs, error, records: call.keys });
  }

  if (webhook) {
    const drained = await webhook.drain(deps.webhookDrainMs ?? 15_000);
    if (drained.pending > 0) log.warn({ pending: drained.pending }, 'write-back webhook: deliveries still running when the job ended were dropped');
  }
  return summary;
}

/** A results row names one record's key, or a batch's keys as a JSON list. */
function keyColumn(keys: string[]): string {
  return keys.length === 1 ? keys[0]! : JSON.stringify(keys.map((k) => JSON.parse(k) as unknown));
}

async function upsertRecord(
  db: Database['db'],
  job: string,
  key: string,
  hash: string,
  state: 'applied' | 'in_place',
  record: Row,
  createdId: string | undefined,
  intentId: number | null,
  note: string | null,
): Promise<void> {
  const row = { job, record_key: key, payload_hash: hash, state, record: storableRecord(record), created_id: createdId ?? null, intent_id: intentId, note };
  await db
    .insert(writebackRecords)
    .values(row)
    .onConflictDoUpdate({ target: [writebackRecords.job, writebackRecords.record_key], set: { payload_hash: hash, state, record: row.record, created_id: row.created_id, intent_id: intentId, note, updated_at: sql`now()` } });
}

async function completeConfirmed(
  database: Database,
  job: ResolvedJob,
  runId: string,
  intent: Pick<IntentRow, 'id' | 'action' | 'method' | 'url' | 'body' | 'records'> & { inverse?: boolean },
  confirmation: Confirmation,
  failure?: { status: number | undefined; error: string; durationMs: number },
): Promise<void> {
  const note = confirmation.note ?? 'the check found the change made';
  await database.db.transaction(async (tx) => {
    await tx.update(writebackIntents).set({ state: 'confirmed', note, completed_at: sql`now()` }).where(eq(writebackIntents.id, intent.id));
    await tx.insert(writebackResults).values({
      job: job.name, run_id: runId, intent_id: intent.id, record_key: keyColumn(intent.records.map((r) => r.key)), method: intent.method, url: intent.url, request_body: intent.body,
      status: failure?.status ?? null, duration_ms: failure?.durationMs ?? null, outcome: 'confirmed', created_ids: (confirmation.createdIds ?? []).filter(Boolean),
      error: failure ? `${failure.error}; ${note}` : `cut off by a crash; ${note}`,
    });
    for (let i = 0; i < intent.records.length; i++) {
      const r = intent.records[i]!;
      if (intent.inverse) {
        await tx.delete(writebackRecords).where(and(eq(writebackRecords.job, job.name), eq(writebackRecords.record_key, r.key)));
      } else {
        await upsertRecord(tx as unknown as Database['db'], job.name, r.key, r.hash, 'applied', r.record, confirmation.createdIds?.[i], intent.id, 'confirmed after a crash');
      }
    }
  });
}

/** Bad and in-place records of a run: a results row each (in-place ones once per change), in-place ones stored. */
async function recordDecisions(database: Database, job: ResolvedJob, runId: string, decisions: Decision[]): Promise<void> {
  const worth = decisions.filter((d) => d.kind === 'bad' || d.kind === 'in_place');
  if (worth.length === 0) return;
  await database.db.transaction(async (tx) => {
    for (const d of worth) {
      const record = storableRecord(d.record);
      if (d.kind === 'bad') {
        await tx.insert(writebackResults).values({ job: job.name, run_id: runId, record_key: d.key, method: '-', url: '-', request_body: record, outcome: 'failed', error: maskText(d.reason) });
        continue;
      }
      if (d.undo) {
        await tx.delete(writebackRecords).where(and(eq(writebackRecords.job, job.name), eq(writebackRecords.record_key, d.key)));
      } else {
        await upsertRecord(tx as unknown as Database['db'], job.name, d.key, d.hash!, 'in_place', d.record, undefined, null, d.reason);
      }
      await tx.insert(writebackResults).values({ job: job.name, run_id: runId, record_key: d.key, method: '-', url: '-', request_body: record, outcome: 'skipped', error: d.reason });
    }
  });
}

/** Keys a test or `status` may want: how many intents of a job wait for a decision. */
export async function unresolvedIntents(database: Database, job: string): Promise<number> {
  const rows = await database.db
    .select({ id: writebackIntents.id })
    .from(writebackIntents)
    .where(and(eq(writebackIntents.job, job), inArray(writebackIntents.state, ['pending', 'unknown'])));
  return rows.length;
}

