import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/client.js';
import type { Config } from '../config.js';
import type { Executor, Slice, SyncDeps, SyncPlan } from './context.js';

/**
 * Organization listings that follow the audit log. The audit log is read every few minutes and
 * names what changed in an organization (a member's role, a team, an invite, a token, the
 * settings); a listing is read again only when an event that touches it was stored since its
 * last read began, plus a complete safety-net read every `sync.organizationSafetyNetInterval`.
 * Only complete reads (the safety net, a first read, `--full`, and the hourly read of an
 * organization whose audit log cannot be read) mark rows deleted; a read an event made due
 * upserts what it shows and deletes nothing.
 *
 * Everything is derived from what is stored, shared by replicas and kept across restarts: the
 * events are the `audit_logs` rows (`first_seen_at`: when this service learnt of each), a
 * listing's last read is its last succeeded run in `sync_runs` (`started_at`), its last complete
 * read is `sync_state.last_complete_at`, and whether an organization's audit log can be read is
 * its last finished `audit_logs` run.
 */

/** An audit event as stored: its action (`org.member.role.change`) and its data. */
export interface AuditEvent {
  action: string;
  data: Readonly<Record<string, unknown>>;
}

/** Does an event of the organization touch this slice of the listing? */
export type AuditTouches = (event: AuditEvent, params: Readonly<Record<string, string>>) => boolean;

/** Organizations that cannot read their audit log have their listings read completely this often. */
export const ORGANIZATION_FALLBACK_INTERVAL_MS = 3_600_000;

/** An audit log not read successfully for this long is not followed (events would arrive late). */
export const AUDIT_FOLLOW_MAX_AGE_MS = 3_600_000;

/** Intervals are measured between tick starts: a read this much early still counts as due. */
const DUE_SLACK_MS = 2 * 60_000;

/** Why a listing is read in this pass: `complete` reads may delete, `audit` reads do not. */
export interface OrgRead {
  kind: 'complete' | 'audit';
  reason: string;
}

/** Whether an organization's listings follow its audit log, and if not, why. */
export interface AuditFollowing {
  follows: boolean;
  reason: string;
}

const toMs = (value: unknown): number | null => {
  if (value === null || value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(String(value));
  return Number.isNaN(ms) ? null : ms;
};

const describe = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${Math.round(ms / 60_000)}m`);

/** Whether the listings of `org` follow its audit log, judged from its `audit_logs` runs. */
export async function auditFollowing(db: Pick<Executor, 'execute'>, config: Config, org: string, nowMs: number): Promise<AuditFollowing> {
  if (config.sync.organizationSafetyNetInterval <= 0) {
    return { follows: false, reason: 'ORGANIZATION_SAFETY_NET_INTERVAL is 0s: the listings are read completely every hour' };
  }
  const result = await db.execute(sql`
    SELECT status, error, started_at,
      (SELECT max(started_at) FROM dockerhub.sync_runs WHERE endpoint = 'audit_logs' AND slice_key = ${org} AND status = 'succeeded') AS succeeded_at
    FROM dockerhub.sync_runs
    WHERE endpoint = 'audit_logs' AND slice_key = ${org} AND status IN ('succeeded', 'failed')
    ORDER BY started_at DESC, id DESC LIMIT 1`);
  const last = rowsOf<{ status: string; error: string | null; succeeded_at: unknown }>(result)[0];
  const hourly = 'its listings are read completely every hour';
  if (!last) return { follows: false, reason: `the audit log of ${org} has not been read yet; ${hourly}` };
  if (last.status === 'failed') {
    return { follows: false, reason: `the audit log of ${org} cannot be read (${last.error ?? 'its last read failed'}); ${hourly}` };
  }
  const succeededAt = toMs(last.succeeded_at);
  if (succeededAt === null || nowMs - succeededAt > AUDIT_FOLLOW_MAX_AGE_MS) {
    return { follows: false, reason: `the audit log of ${org} was not read in the last ${describe(AUDIT_FOLLOW_MAX_AGE_MS)}; ${hourly}` };
  }
  return { follows: true, reason: `follows the audit log; a complete read every ${describe(config.sync.organizationSafetyNetInterval)}` };
}

/** When the slice was last read (its last succeeded run began) and last read completely. */
async function lastReads(db: Pick<Executor, 'execute'>, endpoint: string, sliceKey: string): Promise<{ readFrom: number | null; completeAt: number | null }> {
  const result = await db.execute(sql`
    SELECT
      (SELECT max(started_at) FROM dockerhub.sync_runs WHERE endpoint = ${endpoint} AND slice_key = ${sliceKey} AND status = 'succeeded') AS read_from,
      (SELECT last_complete_at FROM dockerhub.sync_state WHERE endpoint = ${endpoint} AND slice_key = ${sliceKey}) AS complete_at`);
  const row = rowsOf<{ read_from: unknown; complete_at: unknown }>(result)[0];
  return { readFrom: toMs(row?.read_from), completeAt: toMs(row?.complete_at) };
}

/** An event with when this service stored it (`first_seen_at`, in microseconds: exact). */
interface SeenEvent {
  event: AuditEvent;
  seenUs: bigint;
}

/** The organization's events this service stored after `sinceMs`. */
async function eventsSince(db: Pick<Executor, 'execute'>, org: string, sinceMs: number): Promise<SeenEvent[]> {
  const result = await db.execute(sql`
    SELECT action, data, (extract(epoch FROM first_seen_at) * 1000000)::bigint::text AS seen_us FROM dockerhub.audit_logs
    WHERE account = ${org} AND first_seen_at > ${new Date(sinceMs).toISOString()}::timestamptz
    ORDER BY timestamp`);
  return rowsOf<{ action: string | null; data: unknown; seen_us: string }>(result).map(({ action, data, seen_us: seenUs }) => ({
    event: { action: action ?? '', data: (typeof data === 'string' ? JSON.parse(data) : (data ?? {})) as Record<string, unknown> },
    seenUs: BigInt(seenUs),
  }));
}

/**
 * What one pass has read of each organization, so the slices of an organization (every listing,
 * every team's members) share one audit-log verdict and one read of its events.
 */
interface OrgFacts {
  following: Map<string, Promise<AuditFollowing>>;
  /** Per organization: the events stored after `sinceMs`. */
  events: Map<string, { sinceMs: number; events: Promise<SeenEvent[]> }>;
}

const newOrgFacts = (): OrgFacts => ({ following: new Map(), events: new Map() });

function followingOf(db: Pick<Executor, 'execute'>, config: Config, org: string, nowMs: number, facts: OrgFacts): Promise<AuditFollowing> {
  let following = facts.following.get(org);
  if (!following) facts.following.set(org, (following = auditFollowing(db, config, org, nowMs)));
  return following;
}

/** The organization's events stored after `sinceMs` (read again only for an earlier `sinceMs`). */
async function eventsOf(db: Pick<Executor, 'execute'>, org: string, sinceMs: number, facts: OrgFacts): Promise<AuditEvent[]> {
  let read = facts.events.get(org);
  if (!read || read.sinceMs > sinceMs) facts.events.set(org, (read = { sinceMs, events: eventsSince(db, org, sinceMs) }));
  const sinceUs = BigInt(sinceMs) * 1000n;
  return (await read.events).filter((seen) => seen.seenUs > sinceUs).map((seen) => seen.event);
}

export interface OrgSliceInputs {
  endpoint: string;
  slice: Slice;
  org: string;
  plan: SyncPlan;
  touches: AuditTouches;
}

/** Why this slice of an organization listing is read now; null: it is not. */
export async function orgReadDue(deps: Pick<SyncDeps, 'database' | 'config' | 'clock'>, inputs: OrgSliceInputs, facts = newOrgFacts()): Promise<OrgRead | null> {
  const { db } = deps.database;
  if (inputs.plan.full || !inputs.plan.followAudit) return { kind: 'complete', reason: inputs.plan.full ? 'full' : 'one-shot pass' };
  const nowMs = (deps.clock?.now() ?? new Date()).getTime();
  const { readFrom, completeAt } = await lastReads(db, inputs.endpoint, inputs.slice.key);
  if (readFrom === null) return { kind: 'complete', reason: 'new' };
  const following = await followingOf(db, deps.config, inputs.org, nowMs, facts);
  const every = following.follows ? deps.config.sync.organizationSafetyNetInterval : ORGANIZATION_FALLBACK_INTERVAL_MS;
  // A listing never proven complete (an invalid item) is tried again completely every hour.
  if (completeAt === null && nowMs - readFrom >= ORGANIZATION_FALLBACK_INTERVAL_MS - DUE_SLACK_MS) return { kind: 'complete', reason: 'not yet complete' };
  if (completeAt !== null && nowMs - completeAt >= every - DUE_SLACK_MS) return { kind: 'complete', reason: following.follows ? 'safety-net' : 'hourly' };
  if (!following.follows) return null;
  const event = (await eventsOf(db, inputs.org, readFrom, facts)).find((e) => inputs.touches(e, inputs.slice.params));
  return event ? { kind: 'audit', reason: event.action || 'audit event' } : null;
}

/** The slices of this pass that are due, each with why (logged at debug by the caller). */
export async function dueOrgSlices(
  deps: SyncDeps,
  endpoint: string,
  plan: SyncPlan,
  slices: readonly Slice[],
  touches: AuditTouches,
  orgParam: string,
): Promise<Slice[]> {
  // A one-shot pass (or --full) reads every listing completely.
  if (!plan.followAudit || plan.full) return [...slices];
  const due: Slice[] = [];
  const facts = newOrgFacts();
  for (const slice of slices) {
    if (slice.orphaned) {
      due.push(slice);
      continue;
    }
    const org = slice.params[orgParam];
    if (org === undefined) continue;
    const read = await orgReadDue(deps, { endpoint, slice, org, plan, touches }, facts);
    if (read) {
      deps.logger.debug({ endpoint, slice: slice.key, kind: read.kind, reason: read.reason }, 'organization listing due');
      due.push(slice);
    }
  }
  return due;
}
