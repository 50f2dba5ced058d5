import type { SliceRun } from './context.js';

/**
 * Audit-log windows: the cursor math (pure, table-tested) and the loop a windowed slice runs.
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

/**
 * Empty windows grow: after a window without events the next one is twice as long (up to
 * `MAX_GROWTH` times the configured length); the first window with events goes back to the
 * configured length. A grown window is a guess that the stretch is quiet, and a wrong guess is
 * cheap: one that holds more than one page is abandoned before anything is written (`spilled`)
 * and the same start is tried with half the length, and no longer grows until events are read,
 * so the edge of the busy stretch is found by halving. A backfill from year 1 then costs a few
 * dozen requests instead of one per week, and a crash never re-reads more than one page of a
 * grown window or one configured window.
 */
export const MAX_GROWTH = 2 ** 16;

/** How a window read ended. `spilled`: a grown window held more than one page and was not used. */
export type WindowOutcome = 'empty' | 'events' | 'spilled';

export interface WindowGrowth {
  /** Length of the next window. */
  sizeMs: number;
  /** Empty windows grow up to this; halved by a spill, reset by events. */
  ceilingMs: number;
}

export function initialGrowth(baseMs: number, maxGrowth = MAX_GROWTH): WindowGrowth {
  if (!(baseMs > 0)) throw new Error('window length must be positive');
  return { sizeMs: baseMs, ceilingMs: baseMs * maxGrowth };
}

/** The window lengths after a window of `windowMs` (as read, after clipping) ended with `outcome`. */
export function nextGrowth(state: WindowGrowth, windowMs: number, outcome: WindowOutcome, baseMs: number, maxGrowth = MAX_GROWTH): WindowGrowth {
  switch (outcome) {
    case 'events':
      return initialGrowth(baseMs, maxGrowth);
    case 'empty':
      return { sizeMs: Math.max(baseMs, Math.min(state.sizeMs * 2, state.ceilingMs)), ceilingMs: state.ceilingMs };
    case 'spilled': {
      const half = Math.max(baseMs, Math.floor(windowMs / 2));
      return { sizeMs: half, ceilingMs: half };
    }
  }
}

/**
 * Reads [fromMs, toMs) in consecutive windows, oldest first, growing over empty stretches.
 * `read` reads one window completely (and moves the cursor past it) or, for a grown window
 * (`grown`), may answer `spilled` without writing anything; the same start is then read again
 * with a shorter window. So the windows that were used are contiguous, without gap or overlap,
 * and a cursor set at the end of each covers exactly what was read.
 */
export async function readGrowingWindows(
  fromMs: number,
  toMs: number,
  baseMs: number,
  read: (window: Window, grown: boolean) => Promise<WindowOutcome>,
  maxGrowth = MAX_GROWTH,
): Promise<{ windows: number; spilled: number }> {
  let growth = initialGrowth(baseMs, maxGrowth);
  let start = fromMs;
  let windows = 0;
  let spilled = 0;
  while (start < toMs) {
    const end = Math.min(start + growth.sizeMs, toMs);
    const grown = end - start > baseMs;
    const outcome = await read({ from: new Date(start).toISOString(), to: new Date(end).toISOString() }, grown);
    windows++;
    if (outcome === 'spilled' && !grown) throw new Error('a window of the configured length cannot be abandoned');
    growth = nextGrowth(growth, end - start, outcome, baseMs, maxGrowth);
    if (outcome === 'spilled') spilled++;
    else start = end;
  }
  return { windows, spilled };
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

/** Base window length, overlap and first-pass look-back of a windowed listing (ms). */
export interface WindowSettings {
  sizeMs: number;
  overlapMs: number;
  initialLookbackMs: number;
}

/** Reads one window completely (its cursor moves past it with its last page); see readGrowingWindows. */
export type WindowReader = (window: Window, grown: boolean, cursor: { value: unknown; sliceKey?: string | undefined }) => Promise<WindowOutcome>;

/**
 * One run of a windowed slice. A `--backfill` pass reads [from, to) under the cursor
 * `<slice>#backfill` (`{from, to, doneUntil}`), resuming where the same backfill stopped; any
 * other pass reads from the stored cursor `{until}` minus the overlap (or the first look-back) to
 * now. A full re-read never moves the cursor backwards.
 */
export async function runWindowedSlice(run: SliceRun, settings: WindowSettings, read: WindowReader): Promise<void> {
  const nowMs = Date.parse(run.now());
  if (run.plan.backfill) {
    const { from, to } = run.plan.backfill;
    const sliceKey = `${run.slice.key}#backfill`;
    const start = backfillStart(await run.getCursor<BackfillCursor>(sliceKey), from, to);
    const done = await readGrowingWindows(start, Date.parse(to), settings.sizeMs, (window, grown) =>
      read(window, grown, { value: { from, to, doneUntil: window.to } satisfies BackfillCursor, sliceKey }),
    );
    run.logger.info({ ...run.slice.params, from, to, resumedAt: new Date(start).toISOString(), ...done }, `${run.endpoint} backfill`);
    return;
  }
  const stored = await run.getCursor<AuditCursor>();
  const start = incrementalStart(stored, nowMs, { overlapMs: settings.overlapMs, initialLookbackMs: settings.initialLookbackMs, full: run.plan.full });
  await readGrowingWindows(start, nowMs, settings.sizeMs, (window, grown) => {
    const until = stored && run.plan.full && Date.parse(stored.until) > Date.parse(window.to) ? stored.until : window.to;
    return read(window, grown, { value: { until } satisfies AuditCursor });
  });
}

const INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A strict ISO 8601 date (`2025-01-01`, midnight UTC) or date-time (UTC unless it carries an
 * offset), in epoch milliseconds; undefined for anything else. Every field is checked by a round
 * trip, so `2025-02-30` is refused instead of becoming 2 March.
 */
export function parseInstant(text: string): number | undefined {
  const match = INSTANT_RE.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone = 'Z'] = match;
  const fields = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = fields;
  if (year < 1) return undefined;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number(fraction.slice(0, 3).padEnd(3, '0')));
  const roundTrip = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
  if (roundTrip.some((value, i) => value !== fields[i])) return undefined;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3, 5));
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (digits.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  return date.getTime() - offsetMinutes * 60_000;
}
