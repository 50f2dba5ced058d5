import { addCounts, countKeys, zeroCounts } from '../counts.js';

/** What one slice run counts: its sync_runs row, the `slice finished` log line, progress and metrics. */
export interface SliceCounters {
  /** HTTP requests sent for the slice (retries and logins included). */
  requests: number;
  pages: number;
  inserted: number;
  /** Rows changed, restored ones included. */
  updated: number;
  deleted: number;
  /** Items refused by validation and other sync_errors rows. */
  invalid: number;
  /** Waits for pacing and rate limits (on the shared client: under concurrent jobs this includes theirs). */
  waitedMs: number;
}

export const SLICE_COUNTERS = countKeys<keyof SliceCounters>({ requests: true, pages: true, inserted: true, updated: true, deleted: true, invalid: true, waitedMs: true });

export const emptyCounters = (): SliceCounters => zeroCounts(SLICE_COUNTERS);

/** Rows a slice wrote: what progress shows. */
export const rowsWritten = (counters: SliceCounters) => counters.inserted + counters.updated + counters.deleted;

export interface SliceOutcome extends SliceCounters {
  status: 'succeeded' | 'failed' | 'skipped' | 'aborted';
  error?: string | undefined;
  durationMs: number;
}

type Summed = Exclude<keyof SliceCounters, 'waitedMs'>;

/** Added up over slices: every counter but the waits, which overlap (concurrent slices share a client's waits). */
const SUMMED = SLICE_COUNTERS.filter((key): key is Summed => key !== 'waitedMs');

/** Sums over slice runs: what a tick logs and what `sync` prints per endpoint. */
export interface SliceTotals extends Pick<SliceCounters, Summed> {
  slices: number;
  ran: number;
  skipped: number;
  failed: number;
  aborted: number;
}

export function sliceTotals(slices: readonly SliceOutcome[]): SliceTotals {
  const totals: SliceTotals = { slices: slices.length, ran: 0, skipped: 0, failed: 0, aborted: 0, ...zeroCounts(SUMMED) };
  for (const report of slices) {
    if (report.status === 'skipped') totals.skipped++;
    else totals.ran++;
    if (report.status === 'failed') totals.failed++;
    if (report.status === 'aborted') totals.aborted++;
    addCounts(SUMMED, totals, report);
  }
  return totals;
}
