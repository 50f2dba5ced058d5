// Fault injection for resilience tests. The dice come from a PRNG seeded by the emulator seed, so
// a given sequence of requests meets the same faults on every run.

import type { ItemKind } from './http.js';
import { Prng, hash32 } from './prng.js';

export interface FaultOptions {
  /** Added delay before every API response, in milliseconds. */
  latencyMs: number;
  /** Share (0..1) of API requests answered 500, 502 or 503. */
  errorRate: number;
  /** Share (0..1) of API requests whose connection is destroyed without an answer. */
  dropRate: number;
  /** Share (0..1) of items in list pages altered so they fail the schema. */
  malformedRate: number;
  /** Schema drift: every item (and every single-object answer) gains an unknown field. */
  extraField: boolean;
  /**
   * A broken page in every paged `{count, next, results}` list: that page number comes back
   * empty (with its `next` link), answers 404, or holds half its items. null: none.
   */
  pageFault?: PageFault | null;
  /** A `page_size` above this is served as this (forces paging in small worlds). null: no cap. */
  pageSizeCap?: number | null;
  /** Every login (`/v2/auth/token`, `/v2/users/login`, 2FA) answers this 5xx status; null: none. */
  loginErrorStatus?: 500 | 502 | 503 | null;
}

export type PageFaultMode = 'empty' | 'missing' | 'short';

export interface PageFault {
  /** 1-based page number. */
  page: number;
  mode: PageFaultMode;
}

export const PAGE_FAULT_MODES: readonly PageFaultMode[] = ['empty', 'missing', 'short'];

/** The unknown field added with `extraField`. */
export const EXTRA_FIELD_NAME = 'emulator_drift';

export interface FaultDecision {
  drop: boolean;
  errorStatus: 500 | 502 | 503 | null;
  latencyMs: number;
}

export interface ErrorReply {
  status: number;
  contentType: string;
  body: string;
}

/** What a gateway or the app answers when it fails: JSON from the app, HTML from the proxy in front. */
export function errorReply(status: 500 | 502 | 503): ErrorReply {
  if (status === 500) return { status, contentType: 'application/json', body: JSON.stringify({ errinfo: {}, detail: 'Internal server error', message: 'internal_error' }) };
  const title = status === 502 ? '502 Bad Gateway' : '503 Service Temporarily Unavailable';
  return { status, contentType: 'text/html', body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n` };
}

type Corruption = (item: Record<string, unknown>) => void;

/** Per kind, damage that breaks the item's schema the way real drift or bugs would. */
const CORRUPTIONS: Record<ItemKind, Corruption[]> = {
  repository: [(i) => delete i.name, (i) => (i.pull_count = 'lots'), (i) => (i.namespace = 42)],
  tag: [(i) => (i.images = 'oops'), (i) => delete i.name],
  auditLog: [(i) => (i.data = 'oops'), (i) => delete i.action, (i) => (i.timestamp = 12345)],
  member: [(i) => delete i.id, (i) => (i.groups = 'developers')],
  group: [(i) => delete i.name, (i) => (i.id = 'not-a-number')],
  groupMember: [(i) => delete i.id, (i) => (i.id = 12345)],
  accessToken: [(i) => delete i.uuid, (i) => (i.scopes = 'repo:read')],
  orgAccessToken: [(i) => delete i.id, (i) => (i.is_active = 'yes')],
  invite: [(i) => delete i.id, (i) => (i.invitee = 42)],
};

export class Faults {
  /** Malformed items. */
  private readonly rng: Prng;
  /** Requests decided so far, per route: the n-th request of a route draws from (seed, route, n). */
  private readonly decided = new Map<string, number>();

  constructor(
    private readonly seedKey: string,
    private options: FaultOptions,
  ) {
    this.rng = new Prng(hash32(seedKey, 'faults'));
  }

  get settings(): FaultOptions {
    return { ...this.options };
  }

  configure(change: Partial<FaultOptions>): void {
    this.options = { ...this.options, ...change };
  }

  /**
   * The fault of the next request of `route`. Each route counts its own requests, so which ones
   * fail follows from the seed alone, not from how concurrent requests of other routes interleave
   * (the same seed fails the same logins on every run).
   */
  decide(route: string): FaultDecision {
    const { dropRate, errorRate, latencyMs } = this.options;
    const n = this.decided.get(route) ?? 0;
    this.decided.set(route, n + 1);
    const rng = new Prng(hash32(this.seedKey, 'faults', route, n));
    const drop = dropRate > 0 && rng.next() < dropRate;
    const error = !drop && errorRate > 0 && rng.next() < errorRate;
    return { drop, errorStatus: error ? rng.pick([500, 502, 503] as const) : null, latencyMs: Math.max(0, latencyMs) };
  }

  get active(): boolean {
    return this.options.malformedRate > 0 || this.options.extraField;
  }

  /** A copy of the list items with malformed items and the drift field applied; `list` itself is left alone. */
  items(list: readonly unknown[], kind: ItemKind): unknown[] {
    const { malformedRate, extraField } = this.options;
    return list.map((original) => {
      if (typeof original !== 'object' || original === null) return original;
      const item = structuredClone(original) as Record<string, unknown>;
      if (extraField) item[EXTRA_FIELD_NAME] = { introduced: 'by a newer API version', value: 1 };
      if (malformedRate > 0 && this.rng.next() < malformedRate) this.rng.pick(CORRUPTIONS[kind])(item);
      return item;
    });
  }

  /** page_size as the list will serve it: capped when `pageSizeCap` is set. */
  pageSize(requested: string | null): string | null {
    const cap = this.options.pageSizeCap ?? null;
    if (cap === null || requested === null) return requested;
    const n = Number(requested);
    return Number.isInteger(n) && n > cap ? String(cap) : requested;
  }

  /** The broken-page fault for this page of a results list, if any. */
  pageFaultFor(page: number): PageFaultMode | null {
    const fault = this.options.pageFault;
    return fault && fault.page === page ? fault.mode : null;
  }

  single(body: unknown): unknown {
    if (!this.options.extraField || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
    return { ...(body as Record<string, unknown>), [EXTRA_FIELD_NAME]: { introduced: 'by a newer API version', value: 1 } };
  }
}
