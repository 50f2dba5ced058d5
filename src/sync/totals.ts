import type { SliceOutcome } from './context.js';

/** Sums over slice runs: what a tick logs and what `sync` prints per endpoint. */
export interface SliceTotals {
  slices: number;
  ran: number;
  skipped: number;
  failed: number;
  aborted: number;
  requests: number;
  pages: number;
  inserted: number;
  updated: number;
  deleted: number;
  invalid: number;
}

export function sliceTotals(slices: readonly SliceOutcome[]): SliceTotals {
  const totals: SliceTotals = { slices: slices.length, ran: 0, skipped: 0, failed: 0, aborted: 0, requests: 0, pages: 0, inserted: 0, updated: 0, deleted: 0, invalid: 0 };
  for (const report of slices) {
    if (report.status === 'skipped') totals.skipped++;
    else totals.ran++;
    if (report.status === 'failed') totals.failed++;
    if (report.status === 'aborted') totals.aborted++;
    totals.requests += report.requests;
    totals.pages += report.pages;
    totals.inserted += report.inserted;
    totals.updated += report.updated;
    totals.deleted += report.deleted;
    totals.invalid += report.invalid;
  }
  return totals;
}
