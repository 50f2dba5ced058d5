/**
 * Audit-log windows: pure cursor math, table-tested.
 * Events are read in [from, to) windows oldest window first, so the cursor (the end of the last
 * complete window) only moves forward and a crash re-reads at most one window.
 */
export interface Window {
  from: string;
  to: string;
}

export function splitWindows(fromMs: number, toMs: number, windowMs: number): Window[] {
  if (!(windowMs > 0)) throw new Error('window length must be positive');
  const windows: Window[] = [];
  for (let start = fromMs; start < toMs; start += windowMs) {
    const end = Math.min(start + windowMs, toMs);
    windows.push({ from: new Date(start).toISOString(), to: new Date(end).toISOString() });
  }
  return windows;
}

export interface AuditCursor {
  /** Every event before this instant has been read. */
  until: string;
}

/**
 * Where the next incremental read starts: the stored cursor minus the overlap (late-arriving
 * events are caught; duplicates are removed by the event hash), or the initial look-back.
 */
export function incrementalStart(
  cursor: AuditCursor | undefined,
  nowMs: number,
  options: { overlapMs: number; initialLookbackMs: number; full: boolean },
): number {
  if (options.full || !cursor) return nowMs - options.initialLookbackMs;
  const until = Date.parse(cursor.until);
  if (Number.isNaN(until)) return nowMs - options.initialLookbackMs;
  return Math.min(until - options.overlapMs, nowMs);
}

export interface BackfillCursor {
  from: string;
  to: string;
  /** The backfill has read every event in [from, doneUntil). */
  doneUntil: string;
}

/**
 * Resume a backfill that starts at the same `from` where it stopped (its `to` may have moved on,
 * as "now" does between runs); a different `from` starts over.
 */
export function backfillStart(cursor: BackfillCursor | undefined, from: string, to: string): number {
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  if (cursor && Date.parse(cursor.from) === fromMs) {
    const done = Date.parse(cursor.doneUntil);
    if (!Number.isNaN(done)) return Math.min(Math.max(fromMs, done), toMs);
  }
  return fromMs;
}
