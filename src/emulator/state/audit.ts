// Audit log per account: the generated history (virtual, see generator/audit.ts) plus events
// appended at runtime by writes and by the admin surface, which are always newer.

import type { Clock } from '../clock.js';
import { hubTime } from '../format.js';
import { type AuditContext, auditActions, auditEventMs, describeEvent, generateAuditEvent, randomAuditEvent } from '../generator/audit.js';
import type { World } from '../generator/world.js';
import type { AuditActionsResponse, AuditLogEvent } from '../model.js';
import type { Prng } from '../prng.js';

export interface AuditFilter {
  fromMs?: number;
  toMs?: number;
  action?: string;
  actor?: string;
  name?: string;
}

interface StoredEvent {
  ms: number;
  event: AuditLogEvent;
}

export type AuditSubject = Parameters<typeof describeEvent>[2];

export class AuditStore {
  private readonly appended = new Map<string, StoredEvent[]>();

  constructor(
    private readonly world: World,
    private readonly clock: Clock,
    private readonly rng: Prng,
  ) {}

  has(account: string): boolean {
    return this.world.audit.has(account);
  }

  private readonly unavailable = new Set<string>();

  /** The account's plan has no audit log (or not any more): its audit endpoints answer 403. */
  setAvailable(account: string, available: boolean): void {
    if (available) this.unavailable.delete(account);
    else this.unavailable.add(account);
  }

  available(account: string): boolean {
    return !this.unavailable.has(account);
  }

  private context(account: string): AuditContext {
    const ctx = this.world.audit.get(account);
    if (!ctx) throw new Error(`unknown audit account ${account}`);
    return ctx;
  }

  actions(account: string): AuditActionsResponse {
    return auditActions(this.context(account).isOrg);
  }

  private newestMs(account: string): number {
    const stored = this.appended.get(account);
    const last = stored?.[stored.length - 1];
    return last ? last.ms : auditEventMs(this.world.seedKey, this.context(account), 0);
  }

  private store(account: string, ms: number, event: AuditLogEvent): void {
    const list = this.appended.get(account) ?? [];
    let at = list.length;
    while (at > 0 && (list[at - 1] as StoredEvent).ms > ms) at--;
    list.splice(at, 0, { ms, event });
    this.appended.set(account, list);
  }

  /** Records what a write just did, stamped with the clock (strictly after every earlier event). */
  record(account: string, action: string, actor: string, subject: AuditSubject): AuditLogEvent {
    const ms = Math.max(this.clock.now(), this.newestMs(account) + 1);
    const body = describeEvent(action, account, subject);
    const event = { account, action, name: body.name, actor, data: body.data, timestamp: hubTime(ms, true), action_description: body.description };
    this.store(account, ms, event);
    return event;
  }

  /** Appends `count` random events, or the given events (missing fields filled in), all newer than what exists. */
  append(account: string, input: number | Partial<AuditLogEvent>[]): AuditLogEvent[] {
    const ctx = this.context(account);
    const count = typeof input === 'number' ? input : input.length;
    const base = Math.max(this.newestMs(account) + 1, this.clock.now() - count);
    const out: AuditLogEvent[] = [];
    for (let k = 0; k < count; k++) {
      const ms = base + k;
      const random = randomAuditEvent(this.rng, ctx, hubTime(ms, true));
      const given = typeof input === 'number' ? {} : (input[k] ?? {});
      const event: AuditLogEvent = { ...random, ...given, account };
      const parsed = Date.parse(event.timestamp);
      this.store(account, Number.isNaN(parsed) ? ms : parsed, event);
      out.push(event);
    }
    return out;
  }

  private matches(event: AuditLogEvent, filter: AuditFilter): boolean {
    return (
      (filter.action === undefined || event.action === filter.action) &&
      (filter.actor === undefined || event.actor === filter.actor) &&
      (filter.name === undefined || event.name === filter.name)
    );
  }

  /** First index in [lo, hi) where `predicate` holds, for predicates that flip once (times fall with the index). */
  private static firstIndex(lo: number, hi: number, predicate: (i: number) => boolean): number {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (predicate(mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * Newest first, `limit` matching events after skipping `offset` matching events. Appended events
   * usually are the newest, but tests may append late events with old timestamps, so the two
   * sequences are merged: the generated events between two appended ones form a contiguous index
   * range found by binary search, which an unfiltered query skips without generating.
   */
  query(account: string, filter: AuditFilter, offset: number, limit: number): AuditLogEvent[] {
    const ctx = this.context(account);
    const time = (i: number) => auditEventMs(this.world.seedKey, ctx, i);
    const inWindow = (ms: number) => (filter.fromMs === undefined || ms >= filter.fromMs) && (filter.toMs === undefined || ms <= filter.toMs);
    const unfiltered = filter.action === undefined && filter.actor === undefined && filter.name === undefined;
    const out: AuditLogEvent[] = [];
    let skip = offset;
    const take = (event: AuditLogEvent): boolean => {
      if (!this.matches(event, filter)) return false;
      if (skip > 0) skip--;
      else out.push(event);
      return out.length >= limit;
    };

    let next = filter.toMs === undefined ? 0 : AuditStore.firstIndex(0, ctx.count, (i) => time(i) <= (filter.toMs as number));
    const end = filter.fromMs === undefined ? ctx.count : AuditStore.firstIndex(next, ctx.count, (i) => time(i) < (filter.fromMs as number));
    /** Generated events [next, until); true once the page is full. */
    const generated = (until: number): boolean => {
      if (unfiltered) {
        const skipped = Math.min(skip, until - next);
        skip -= skipped;
        next += skipped;
      }
      for (; next < until; ) if (take(generateAuditEvent(this.world.seedKey, ctx, next++))) return true;
      return false;
    };

    const appended = (this.appended.get(account) ?? []).filter((stored) => inWindow(stored.ms));
    for (let k = appended.length - 1; k >= 0; k--) {
      const { ms, event } = appended[k] as StoredEvent;
      if (generated(AuditStore.firstIndex(next, end, (i) => time(i) <= ms))) return out;
      if (take(event)) return out;
    }
    generated(end);
    return out;
  }

  all(account: string): AuditLogEvent[] {
    return this.query(account, {}, 0, Number.MAX_SAFE_INTEGER);
  }
}
