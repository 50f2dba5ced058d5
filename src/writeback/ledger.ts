// What a write-back run writes down: an intent before each call, a results row for each outcome,
// and per record the payload hash of its last success (writeback_records). Each outcome changes
// its intent and adds its results rows in one transaction.

import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { writebackIntents, writebackRecords, writebackResults } from '../db/schema/index.js';
import type { ResolvedJob } from './job.js';
import { callHash, storableRecord, type Decision, type PlannedCall } from './plan.js';
import type { Confirmation, RecordOutcome } from './templates/types.js';
import { maskText, type Row } from './values.js';

type Tx = Database['db'];

/** Where a run writes: its job and run id. */
export interface RunLedger {
  database: Database;
  job: ResolvedJob;
  runId: string;
}

/** An intent as it is settled: its id, the call, and the records it carries. */
export interface IntentRef {
  id: number;
  action: string;
  method: string;
  url: string;
  /** The request body as stored (secrets masked). */
  body: unknown;
  inverse?: boolean | undefined;
  records: { key: string; hash: string; record: Row }[];
}

/** A call that was sent: what came back and how long it took. */
export interface Attempt {
  status: number | undefined;
  durationMs: number;
}

/** A results row names one record's key, or a batch's keys as a JSON list. */
export function keyColumn(keys: string[]): string {
  return keys.length === 1 ? keys[0]! : JSON.stringify(keys.map((k) => JSON.parse(k) as unknown));
}

const keysOf = (intent: IntentRef) => intent.records.map((r) => r.key);

/** The columns every results row of a call shares. */
function callResult(ledger: RunLedger, intent: IntentRef, attempt?: Attempt) {
  return {
    job: ledger.job.name, run_id: ledger.runId, intent_id: intent.id, record_key: keyColumn(keysOf(intent)),
    method: intent.method, url: intent.url, request_body: intent.body, duration_ms: attempt?.durationMs ?? null,
  };
}

async function closeIntent(db: Tx, id: number, state: string, note: string | undefined): Promise<void> {
  await db.update(writebackIntents).set({ state, ...(note === undefined ? {} : { note }), completed_at: sql`now()` }).where(eq(writebackIntents.id, id));
}

/** The intent of a call, committed before it is sent. */
export async function openIntent(ledger: RunLedger, call: PlannedCall, body: unknown, requestBody: unknown, idempotent: boolean): Promise<IntentRef> {
  const records = call.records.map((record, i) => ({ key: call.keys[i]!, hash: call.hashes[i]!, record }));
  const [intent] = await ledger.database.db
    .insert(writebackIntents)
    .values({
      job: ledger.job.name, run_id: ledger.runId, action: call.action, record_keys: call.keys,
      records: records.map((r) => ({ ...r, record: storableRecord(r.record) })),
      payload_hash: callHash({ ...call, body }), method: call.method, url: call.url, body: requestBody,
      idempotent, inverse: call.inverse, state: 'pending',
    })
    .returning({ id: writebackIntents.id });
  return { id: intent!.id, action: call.action, method: call.method, url: call.url, body: requestBody, inverse: call.inverse, records };
}

/** An intent that is done with without a result of its own (abandoned, or sent again). */
export async function setIntentState(ledger: RunLedger, id: number, state: 'abandoned' | 'retried', note: string): Promise<void> {
  await closeIntent(ledger.database.db, id, state, note);
}

async function forgetRecord(db: Tx, job: string, key: string): Promise<void> {
  await db.delete(writebackRecords).where(and(eq(writebackRecords.job, job), eq(writebackRecords.record_key, key)));
}

async function upsertRecord(
  db: Tx,
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

/**
 * A call answered: the intent succeeded, a results row for the call and one per record the
 * answer refused, and each record stored (or, for a removal, forgotten).
 */
export async function recordAnswer(
  ledger: RunLedger,
  intent: IntentRef,
  attempt: Attempt,
  answer: { response: unknown; outcomes: RecordOutcome[]; createdIds: string[]; dryRun: boolean },
): Promise<void> {
  const base = callResult(ledger, intent, attempt);
  const job = ledger.job.name;
  await ledger.database.db.transaction(async (tx) => {
    const db = tx as unknown as Tx;
    await closeIntent(db, intent.id, 'succeeded', answer.dryRun ? 'API dry run' : undefined);
    await tx.insert(writebackResults).values({
      ...base, status: attempt.status, response: answer.response, outcome: answer.dryRun ? 'validated' : 'sent', created_ids: answer.createdIds, dry_run: answer.dryRun ? 'api' : null,
    });
    for (const [i, { key, hash, record }] of intent.records.entries()) {
      const outcome = answer.outcomes[i]!;
      if (outcome.outcome === 'failed') {
        await tx.insert(writebackResults).values({ ...base, record_key: key, status: attempt.status, outcome: 'failed', error: maskText(outcome.error), duration_ms: null, request_body: null });
      } else if (answer.dryRun || outcome.outcome === 'validated') {
        continue;
      } else if (intent.inverse) {
        await forgetRecord(db, job, key);
      } else if (outcome.outcome === 'in_place') {
        await upsertRecord(db, job, key, hash, 'in_place', record, undefined, intent.id, outcome.reason);
      } else {
        await upsertRecord(db, job, key, hash, 'applied', record, outcome.createdId, intent.id, null);
      }
    }
  });
}

/** A call Docker Hub refused, or one that cannot have arrived: the intent failed. */
export async function recordFailure(ledger: RunLedger, intent: IntentRef, attempt: Attempt, error: string, response: unknown): Promise<void> {
  await ledger.database.db.transaction(async (tx) => {
    await closeIntent(tx as unknown as Tx, intent.id, 'failed', error);
    await tx.insert(writebackResults).values({ ...callResult(ledger, intent, attempt), status: attempt.status ?? null, outcome: 'failed', error, response });
  });
}

/** A call that may have arrived, and the check did not find: nobody knows until `--retry-unknown`. */
export async function recordUnknown(ledger: RunLedger, intent: IntentRef, cause: string, note: string, attempt?: Attempt): Promise<void> {
  const error = `${cause}; ${note}. Run push ${ledger.job.name} --retry-unknown to check again and send it if it is still missing.`;
  await ledger.database.db.transaction(async (tx) => {
    await closeIntent(tx as unknown as Tx, intent.id, 'unknown', note);
    await tx.insert(writebackResults).values({ ...callResult(ledger, intent, attempt), status: attempt?.status ?? null, outcome: 'unknown', error });
  });
}

/** A call whose answer never came, and the check found the change made. */
export async function recordConfirmed(ledger: RunLedger, intent: IntentRef, confirmation: Confirmation, failure?: Attempt & { error: string }): Promise<void> {
  const note = confirmation.note ?? 'the check found the change made';
  await ledger.database.db.transaction(async (tx) => {
    const db = tx as unknown as Tx;
    await closeIntent(db, intent.id, 'confirmed', note);
    await tx.insert(writebackResults).values({
      ...callResult(ledger, intent, failure), status: failure?.status ?? null, outcome: 'confirmed', created_ids: (confirmation.createdIds ?? []).filter(Boolean),
      error: failure ? `${failure.error}; ${note}` : `cut off by a crash; ${note}`,
    });
    for (const [i, r] of intent.records.entries()) {
      if (intent.inverse) await forgetRecord(db, ledger.job.name, r.key);
      else await upsertRecord(db, ledger.job.name, r.key, r.hash, 'applied', r.record, confirmation.createdIds?.[i], intent.id, 'confirmed after a crash');
    }
  });
}

/** Bad and in-place records of a run: a results row each (in-place ones once per change), in-place ones stored. */
export async function recordDecisions(ledger: RunLedger, decisions: Decision[]): Promise<void> {
  const worth = decisions.filter((d) => d.kind === 'bad' || d.kind === 'in_place');
  if (worth.length === 0) return;
  const job = ledger.job.name;
  await ledger.database.db.transaction(async (tx) => {
    const db = tx as unknown as Tx;
    for (const d of worth) {
      const row = { job, run_id: ledger.runId, record_key: d.key, method: '-', url: '-', request_body: storableRecord(d.record) };
      if (d.kind === 'bad') {
        await tx.insert(writebackResults).values({ ...row, outcome: 'failed', error: maskText(d.reason) });
        continue;
      }
      if (d.undo) await forgetRecord(db, job, d.key);
      else await upsertRecord(db, job, d.key, d.hash!, 'in_place', d.record, undefined, null, d.reason);
      await tx.insert(writebackResults).values({ ...row, outcome: 'skipped', error: d.reason });
    }
  });
}
