// Leases on units of work (endpoint slices) in dockerhub.sync_leases, so replicas on one database
// never run the same slice at once. Advisory locks did this before, but any role that can connect
// may take an advisory lock on any key, the read-only role included; rows of a table it cannot
// write can only be taken by the sync itself. Expiry is measured on the database's clock, the one
// clock every replica shares.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rowsOf, type Database } from './client.js';

export interface LeaseOptions {
  /** How long a lease lives without renewal: how soon a dead replica's slices are free again. */
  ttlMs: number;
  /** How often a held lease is renewed; well under the ttl. */
  renewEveryMs: number;
  logger?: Logger | undefined;
}

export const DEFAULT_LEASE_OPTIONS: LeaseOptions = { ttlMs: 90_000, renewEveryMs: 30_000 };

export type LeaseResult<T> = { acquired: true; value: T } | { acquired: false; holder: string; expiresAt: string | null };

/** Thrown into the work (through its signal) when the lease was lost: another replica may run it now. */
export class LeaseLostError extends Error {
  constructor(key: string) {
    super(`lost the lease on ${key} (expired before it was renewed; the database was unreachable or too slow); stopping so that no two processes run it`);
    this.name = 'LeaseLostError';
  }
}

/** The lease of one endpoint slice (the same key the runner and the start-up repair use). */
export function sliceLeaseKey(endpoint: string, sliceKey: string): string {
  return `slice:${endpoint}:${sliceKey}`;
}

/**
 * Which processes this one can see, where the platform tells: the kernel's boot id plus the pid
 * namespace. Two holders with the same tag run under one kernel in one pid namespace, so whether
 * the other's pid is alive is a fact here, not a guess (containers on one host differ in the
 * namespace; hosts differ in the boot id).
 */
function pidSpace(): string {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const ns = readlinkSync('/proc/self/ns/pid');
    return createHash('sha256').update(`${boot} ${ns}`).digest('hex').slice(0, 12);
  } catch {
    return 'unknown';
  }
}

const PID_SPACE = pidSpace();

/** This process, as lease holders and operators see it: host/pid-space/pid/nonce. */
export const PROCESS_HOLDER = `${hostname()}/${PID_SPACE}/${process.pid}/${randomBytes(4).toString('hex')}`;

/** A holder that ran in this pid space and whose process is gone (killed, crashed). */
export function isDeadHolder(holder: string, alive: (pid: number) => boolean = pidAlive): boolean {
  const [, space, pid] = holder.split('/');
  if (PID_SPACE === 'unknown' || space !== PID_SPACE || holder === PROCESS_HOLDER) return false;
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 && n !== process.pid && !alive(n);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Leases this process holds, per database: two passes of one process (overlapping ticks) share
// the holder name, so the table alone cannot keep them apart.
const heldHere = new WeakMap<Database, Set<string>>();

/**
 * Run `fn` while holding the lease on `key`, renewing it in the background; or return at once,
 * with who holds it, when another holder has a live lease. `fn` gets a signal that aborts if the
 * lease is lost.
 */
export async function withLease<T>(
  database: Database,
  key: string,
  fn: (signal: AbortSignal) => Promise<T>,
  options: Partial<LeaseOptions> = {},
): Promise<LeaseResult<T>> {
  const { ttlMs, renewEveryMs, logger } = { ...DEFAULT_LEASE_OPTIONS, ...options };
  let held = heldHere.get(database);
  if (!held) heldHere.set(database, (held = new Set()));
  if (held.has(key)) return { acquired: false, holder: PROCESS_HOLDER, expiresAt: null };
  held.add(key);
  try {
    const taken = await acquire(database, key, ttlMs);
    if (!taken.acquired) return taken;
    const lost = new AbortController();
    let renewing: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renew(database, key, ttlMs).then(
        (kept) => {
          if (!kept && !lost.signal.aborted) {
            logger?.error({ lease: key }, 'lease lost; stopping the work it covered');
            lost.abort(new LeaseLostError(key));
          }
        },
        (error: unknown) => logger?.warn({ err: error, lease: key }, 'could not renew a lease; trying again'),
      );
    }, renewEveryMs);
    timer.unref();
    try {
      return { acquired: true, value: await fn(lost.signal) };
    } finally {
      clearInterval(timer);
      await renewing;
      await release(database, key).catch((error: unknown) =>
        logger?.warn({ err: error, lease: key }, 'could not release a lease; it lapses on its own'),
      );
    }
  } finally {
    held.delete(key);
  }
}

async function acquire<T>(database: Database, key: string, ttlMs: number): Promise<LeaseResult<T> & { acquired: false } | { acquired: true }> {
  // Embedded PGlite belongs to one process at a time, so a lease of another holder there is
  // left over from a process that ended: take it over at once.
  const takeOver = database.kind === 'pglite' ? sql`OR dockerhub.sync_leases.holder <> excluded.holder` : sql``;
  const result = await database.db.execute(sql`
    INSERT INTO dockerhub.sync_leases (key, holder, acquired_at, expires_at)
    VALUES (${key}, ${PROCESS_HOLDER}, clock_timestamp(), clock_timestamp() + ${ttlMs} * interval '1 millisecond')
    ON CONFLICT (key) DO UPDATE
      SET holder = excluded.holder, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
      WHERE dockerhub.sync_leases.expires_at <= clock_timestamp()
        -- Our own row that a lost connection kept us from releasing: withLease has checked that
        -- nothing in this process runs the key now.
        OR dockerhub.sync_leases.holder = excluded.holder ${takeOver}
    RETURNING holder`);
  if (rowsOf(result).length > 0) return { acquired: true };
  const current = rowsOf<{ holder: string; expires_at: unknown }>(
    await database.db.execute(sql`SELECT holder, expires_at FROM dockerhub.sync_leases WHERE key = ${key}`),
  )[0];
  // A process killed on this machine cannot release its leases; waiting for them to lapse
  // would only delay its slices.
  if (current && isDeadHolder(current.holder)) {
    const taken = await database.db.execute(sql`
      UPDATE dockerhub.sync_leases
      SET holder = ${PROCESS_HOLDER}, acquired_at = clock_timestamp(), expires_at = clock_timestamp() + ${ttlMs} * interval '1 millisecond'
      WHERE key = ${key} AND holder = ${current.holder}
      RETURNING 1`);
    if (rowsOf(taken).length > 0) return { acquired: true };
  }
  return { acquired: false, holder: current?.holder ?? 'another process', expiresAt: current ? toIso(current.expires_at) : null };
}

async function renew(database: Database, key: string, ttlMs: number): Promise<boolean> {
  const result = await database.db.execute(sql`
    UPDATE dockerhub.sync_leases SET expires_at = clock_timestamp() + ${ttlMs} * interval '1 millisecond'
    WHERE key = ${key} AND holder = ${PROCESS_HOLDER}
    RETURNING 1`);
  return rowsOf(result).length > 0;
}

async function release(database: Database, key: string): Promise<void> {
  await database.db.execute(sql`DELETE FROM dockerhub.sync_leases WHERE key = ${key} AND holder = ${PROCESS_HOLDER}`);
}

function toIso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}
