// Running a write-back job: recover what a crash left, plan, then for every call commit an
// intent, send, and record the outcome. A call that may have reached Docker Hub without its
// answer reaching us is never sent again blindly: the template's check decides `confirmed`,
// or the intent stays `unknown` until `push --retry-unknown`.

import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rowsOf, type Database } from '../db/client.js';
import { withLease } from '../db/leases.js';
import type { HubClient } from '../hub/client.js';
import { HubError, HubNetworkError, HubNotFoundError, HubRateLimitError, HubRequestRefusedError, isOatRefusal } from '../hub/errors.js';
import { errorCode } from '../hub/retry.js';
import type { ReadOnlyLimits } from '../db/sql.js';
import type { ResolvedJob } from './job.js';
import { keyColumn, openIntent, recordAnswer, recordConfirmed, recordDecisions, recordFailure, recordUnknown, setIntentState, type Attempt, type IntentRef, type RunLedger } from './ledger.js';
import { planJob, type Decision, type Plan, type PlannedCall } from './plan.js';
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
  // An OAT refused on a legacy path: the client's message names the cause and what to do.
  if (isOatRefusal(error)) return maskText(error.message);
  if (error instanceof HubError) {
    const said = error.detail ? `: ${error.detail}` : '';
    return maskText(error.status ? `Docker Hub answered ${error.status}${said}` : error.message);
  }
  return maskText((error as Error).message ?? String(error));
}

export async function runJob(deps: RunnerDeps, job: ResolvedJob, options: RunOptions = {}): Promise<RunSummary> {
  const runId = newRunId();
  const started = Date.now();
  if (options.plan) return { ...(await planOnly(deps, job, options, runId)), durationMs: Date.now() - started };
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

function planOf(deps: RunnerDeps, job: ResolvedJob, options: RunOptions): Promise<Plan> {
  return planJob({ database: deps.database, baseUrl: deps.baseUrl, readOnly: deps.readOnly }, job, { retryUnknown: options.retryUnknown, allowRemovals: options.allowRemovals });
}

/** `--plan`: the calls a run would make and the intents it would settle first; nothing written. */
async function planOnly(deps: RunnerDeps, job: ResolvedJob, options: RunOptions, runId: string): Promise<RunSummary> {
  const plan = await planOf(deps, job, options);
  const summary = summarizeDecisions(emptySummary(job.name, runId), plan.decisions);
  summary.refused = plan.refused;
  summary.calls = plan.calls.length;
  summary.plan = plan;
  summary.warnings = plan.warnings;
  summary.unresolved = rowsOf<{ n: number }>(
    await deps.database.db.execute(sql`SELECT count(*)::int AS n FROM dockerhub.writeback_intents WHERE job = ${job.name} AND state IN ('pending', 'unknown')`),
  )[0]!.n;
  return summary;
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

/** A run as it goes: where it writes, what it has counted, whom it tells. */
interface Run extends RunLedger {
  deps: RunnerDeps;
  options: RunOptions;
  log: Logger;
  summary: RunSummary;
  webhook: Webhook | undefined;
}

async function execute(deps: RunnerDeps, job: ResolvedJob, options: RunOptions, runId: string): Promise<RunSummary> {
  const log = deps.logger.child({ job: job.name, runId });
  const webhook = job.webhook && !options.validate ? createWebhook({ ...job.webhook, logger: log, fetch: deps.fetch }) : undefined;
  const run: Run = { database: deps.database, job, runId, deps, options, log, summary: emptySummary(job.name, runId), webhook };
  await recover(run);
  const plan = await planRun(run);
  for (const call of plan?.calls ?? []) {
    if (options.signal?.aborted) break;
    await sendAndRecord(run, call);
  }
  if (webhook) {
    const drained = await webhook.drain(deps.webhookDrainMs ?? 15_000);
    if (drained.pending > 0) log.warn({ pending: drained.pending }, 'write-back webhook: deliveries still running when the job ended were dropped');
  }
  return run.summary;
}

/** What the webhook hears of a call: the intent, the request and its answer when it was sent in this run, the outcome. */
function notify(run: Run, intent: IntentRef, outcome: 'sent' | 'validated' | 'confirmed' | 'unknown' | 'failed', attempt: Attempt | undefined, details: Row): void {
  run.webhook?.send({
    job: run.job.name,
    run_id: run.runId,
    intent_id: intent.id,
    action: intent.action,
    method: intent.method,
    url: intent.url,
    ...(attempt ? { request_body: intent.body, status: attempt.status ?? null } : {}),
    outcome,
    ...(attempt ? { duration_ms: attempt.durationMs } : {}),
    ...details,
    records: intent.records.map((r) => r.key),
  });
}

/** Did a call whose answer never came take effect? The template's check decides; without one, nobody can tell. */
async function confirmCall(run: Run, template: WritebackTemplate | undefined, records: Row[], scope: string | undefined, since: Date): Promise<Confirmation> {
  if (!template?.confirm) return { found: undefined };
  try {
    return await template.confirm(records, readerFor(run.deps.clientFor(scope)), since);
  } catch (error) {
    return { found: undefined, note: `the check failed: ${errorText(error)}` };
  }
}

async function settleConfirmed(run: Run, intent: IntentRef, confirmation: Confirmation, failure?: Attempt & { error: string }): Promise<void> {
  await recordConfirmed(run, intent, confirmation, failure);
  run.summary.confirmed += intent.records.length;
  run.summary.sent += intent.records.length;
  notify(run, intent, 'confirmed', failure, { created_ids: confirmation.createdIds ?? [], ...(failure ? { error: failure.error } : {}) });
}

// ---------------------------------------------------------------- what a crash left

interface LeftoverIntent extends IntentRef {
  idempotent: boolean;
  state: string;
  created_ms: number;
}

async function recover(run: Run): Promise<void> {
  const leftovers = rowsOf<LeftoverIntent>(
    await run.database.db.execute(sql`SELECT id, action, records, method, url, body, idempotent, inverse, state, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms FROM dockerhub.writeback_intents
                                      WHERE job = ${run.job.name} AND state IN ('pending', 'unknown') ORDER BY id`),
  );
  for (const intent of leftovers) {
    if (intent.state === 'unknown' && !run.options.retryUnknown) continue;
    // Sending it again leaves the same state: the plan sends it again if still needed.
    if (intent.idempotent) await setIntentState(run, intent.id, 'abandoned', 'cut off (crash); planned again');
    else await recoverIntent(run, intent);
  }
}

async function recoverIntent(run: Run, intent: LeftoverIntent): Promise<void> {
  const template = templateNamed(intent.action);
  const records = intent.records.map((r) => r.record);
  const confirmation = await confirmCall(run, template, records, template?.scope?.(records[0]!), new Date(Number(intent.created_ms)));
  if (confirmation.found === true) {
    await settleConfirmed(run, intent, confirmation);
    run.log.info({ intent: intent.id, action: intent.action }, 'write-back: a call cut off by a crash had arrived (confirmed)');
  } else if (run.options.retryUnknown && intent.state === 'unknown') {
    await setIntentState(run, intent.id, 'retried', 'not found by the check; sent again by --retry-unknown');
  } else if (intent.state === 'pending') {
    const note = confirmation.note ?? (template?.confirm ? 'the check did not find the change; it may still have arrived' : 'this call cannot be checked');
    await recordUnknown(run, intent, 'cut off by a crash', note);
    run.log.warn({ intent: intent.id, action: intent.action }, `write-back: a call cut off by a crash has an unknown outcome (${note})`);
  }
}

// ---------------------------------------------------------------- plan

/** The run's plan, its decisions counted and recorded; undefined when the run is refused and sends nothing. */
async function planRun(run: Run): Promise<Plan | undefined> {
  const { summary, log } = run;
  const plan = await planOf(run.deps, run.job, run.options);
  summarizeDecisions(summary, plan.decisions);
  summary.warnings.push(...plan.warnings);
  for (const warning of plan.warnings) log.warn(`write-back: ${warning}`);
  if (plan.refused) {
    // Stops before sending anything: no call, no removal, no record of this run's decisions.
    summary.refused = plan.refused;
    log.warn({ removals: plan.removals }, `write-back: ${plan.refused}`);
    return undefined;
  }
  if (!run.options.validate) await recordDecisions(run, plan.decisions);
  return plan;
}

// ---------------------------------------------------------------- send and record

interface Answer extends Attempt {
  response: unknown;
  /** What the request threw (undefined: a 2xx). */
  failure: unknown;
}

async function sendAndRecord(run: Run, call: PlannedCall): Promise<void> {
  const dryRun = run.options.validate ? call.template?.apiDryRun : undefined;
  if (run.options.validate && !dryRun) return;
  const body = dryRun ? dryRun(call.body) : call.body;
  const idempotent = call.idempotent || Boolean(dryRun);
  const intent = await openIntent(run, call, body, body === undefined ? null : maskSecrets(body).value, idempotent);
  run.summary.calls++;
  const answer = await send(run, call, body, idempotent);
  // A DELETE answered 404: what it would remove is gone already; the state the record wants is there.
  if (answer.failure === undefined || (answer.failure instanceof HubNotFoundError && call.method === 'DELETE')) await settleAnswered(run, call, intent, answer, Boolean(dryRun));
  // The request may have arrived: check before anyone sends it again.
  else if (!idempotent && mayHaveArrived(answer.failure)) await settleUncertain(run, call, intent, answer);
  else await settleFailed(run, call, intent, answer);
}

async function send(run: Run, call: PlannedCall, body: unknown, idempotent: boolean): Promise<Answer> {
  const { signal } = run.options;
  const t0 = performance.now();
  const durationMs = () => Math.round(performance.now() - t0);
  try {
    const res = await run.deps.clientFor(call.scope).request({
      method: call.method, path: call.path, body, headers: call.headers, auth: 'required', idempotent,
      endpoint: `write-back ${call.action}`, cache: false, ...(signal ? { signal } : {}),
    });
    return { status: res.status, response: res.body, failure: undefined, durationMs: durationMs() };
  } catch (error) {
    return { status: error instanceof HubError ? error.status : undefined, response: undefined, failure: error, durationMs: durationMs() };
  }
}

/** Per record, what a 2xx answer (or a DELETE's 404) says happened. */
function outcomesOf(call: PlannedCall, response: unknown, gone: boolean, dryRun: boolean): RecordOutcome[] {
  if (gone) return call.records.map(() => ({ outcome: 'in_place', reason: 'already gone (404)' }));
  const told = call.template?.outcomes?.(response, call.records);
  if (told) return told;
  if (dryRun) return call.records.map(() => ({ outcome: 'validated', detail: 'valid' }));
  const createdIds = call.template?.createdIds?.(response, call.records) ?? call.records.map(() => undefined);
  return createdIds.map((createdId) => ({ outcome: 'applied', createdId }));
}

function countOutcomes(summary: RunSummary, call: PlannedCall, outcomes: RecordOutcome[]): void {
  for (const [i, outcome] of outcomes.entries()) {
    if (outcome.outcome === 'failed') {
      summary.failed++;
      summary.failures.push({ key: call.keys[i]!, action: call.action, error: outcome.error });
    } else if (outcome.outcome === 'validated') summary.validated++;
    else if (outcome.outcome === 'in_place') summary.skipped++;
    else if (call.inverse) summary.removed++;
    else summary.sent++;
  }
}

async function settleAnswered(run: Run, call: PlannedCall, intent: IntentRef, answer: Answer, dryRun: boolean): Promise<void> {
  const gone = answer.failure !== undefined;
  const outcomes = outcomesOf(call, answer.response, gone, dryRun);
  const createdIds = outcomes.flatMap((o) => (o.outcome === 'applied' && o.createdId ? [o.createdId] : []));
  const { value: response, secrets } = maskSecrets(answer.response === undefined ? null : answer.response);
  const attempt = { status: answer.status ?? 404, durationMs: answer.durationMs };
  await recordAnswer(run, intent, attempt, { response: gone ? { detail: 'not found: already gone' } : response, outcomes, createdIds, dryRun });
  countOutcomes(run.summary, call, outcomes);
  for (const secret of secrets) run.options.onSecret?.({ key: keyColumn(call.keys), action: call.action, fingerprint: secret.fingerprint, secret: secret.secret });
  run.log.info({ action: call.action, method: call.method, url: call.url, status: answer.status, durationMs: answer.durationMs, records: call.records.length }, 'write-back call done');
  notify(run, intent, dryRun ? 'validated' : 'sent', attempt, { created_ids: createdIds, response: gone ? null : response });
}

/** No usable answer to a call that may have arrived: confirmed by the check, or unknown. */
async function settleUncertain(run: Run, call: PlannedCall, intent: IntentRef, answer: Answer): Promise<void> {
  const error = errorText(answer.failure);
  const since = new Date(Date.now() - answer.durationMs - 1000);
  const confirmation = await confirmCall(run, call.template, call.records, call.scope, since);
  if (confirmation.found === true) return settleConfirmed(run, intent, confirmation, { status: answer.status, durationMs: answer.durationMs, error });
  const note = confirmation.note ?? 'no answer, and the check did not find the change';
  await recordUnknown(run, intent, error, note, answer);
  run.summary.unknown += call.records.length;
  run.log.warn({ action: call.action, url: call.url, error }, 'write-back call: outcome unknown');
  notify(run, intent, 'unknown', answer, { error });
}

async function settleFailed(run: Run, call: PlannedCall, intent: IntentRef, answer: Answer): Promise<void> {
  const { failure } = answer;
  const error = errorText(failure);
  await recordFailure(run, intent, answer, error, failure instanceof HubError && failure.detail ? { detail: maskText(failure.detail) } : null);
  run.summary.failed += call.records.length;
  for (const key of call.keys) run.summary.failures.push({ key, action: call.action, error });
  run.log.warn({ action: call.action, method: call.method, url: call.url, status: answer.status, error }, 'write-back call failed');
  notify(run, intent, 'failed', answer, { error });
}
