/** One write the emulator answered: which route, what was asked, how it ended. */
export interface WriteEntry {
  seq: number;
  route: string;
  method: string;
  path: string;
  status: number;
  /** The request body as parsed (write bodies carry no secrets; token secrets only ever go out). */
  body: unknown;
}

/** How many requests `recent` keeps. */
const RECENT_LIMIT = 10_000;

/** Requests the emulator answered (admin routes excluded), by route name and by status, and every write. */
export class RequestLog {
  private readonly writeLog: WriteEntry[] = [];
  /**
   * Called after a write changed the state and before its answer is sent; the answer waits for
   * the returned promise. Tests use it to stop a client at an exact write.
   */
  onWrite: ((entry: WriteEntry) => void | Promise<void>) | undefined;

  recordWrite(entry: Omit<WriteEntry, 'seq'>): WriteEntry {
    const full = { seq: this.writeLog.length + 1, ...entry };
    this.writeLog.push(full);
    return full;
  }

  /** Every write since the last reset, in order. */
  get writes(): readonly WriteEntry[] {
    return this.writeLog;
  }

  /** The latest requests in order (at most RECENT_LIMIT): which route, which path. */
  private readonly recentLog: { route: string; method: string; path: string }[] = [];
  private readonly byRoute = new Map<string, number>();
  private readonly byStatus = new Map<number, number>();
  private count = 0;

  record(route: string, request?: { method: string; path: string }): void {
    if (request) {
      this.recentLog.push({ route, ...request });
      if (this.recentLog.length > RECENT_LIMIT) this.recentLog.splice(0, this.recentLog.length - RECENT_LIMIT);
    }
    this.count++;
    this.byRoute.set(route, (this.byRoute.get(route) ?? 0) + 1);
  }

  recordStatus(status: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  /** The latest requests (admin routes excluded), oldest first: tests prove which repository was read. */
  get recent(): readonly { route: string; method: string; path: string }[] {
    return this.recentLog;
  }

  get total(): number {
    return this.count;
  }

  /** Requests per route name, e.g. `{ 'repositories.list': 3, 'tags.list': 40 }`. */
  get counts(): Record<string, number> {
    return Object.fromEntries([...this.byRoute].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Responses per HTTP status (dropped connections have none). */
  get statuses(): Record<string, number> {
    return Object.fromEntries([...this.byStatus].sort(([a], [b]) => a - b).map(([status, n]) => [String(status), n]));
  }

  get(route: string): number {
    return this.byRoute.get(route) ?? 0;
  }

  reset(): void {
    this.writeLog.length = 0;
    this.recentLog.length = 0;
    this.byRoute.clear();
    this.byStatus.clear();
    this.count = 0;
  }

  toJSON(): { total: number; routes: Record<string, number>; statuses: Record<string, number>; writes: readonly WriteEntry[] } {
    return { total: this.total, routes: this.counts, statuses: this.statuses, writes: this.writeLog };
  }
}
