import type { ListingEnd } from '../hub/types.js';
import type { SliceRun } from './context.js';

export type DeletionVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * May rows missing from this listing be marked deleted? Only when the listing is proven complete
 * (see ListingEnd) and every item passed validation: a row not shown is then really gone, not
 * merely unread or unreadable.
 */
export function deletionVerdict(listing: ListingEnd | undefined, invalid: number, pageProblem?: string): DeletionVerdict {
  if (pageProblem) return { allowed: false, reason: pageProblem };
  if (!listing) return { allowed: false, reason: 'the listing did not report how it ended' };
  if (!listing.complete) return { allowed: false, reason: listing.incomplete ?? 'the listing is not complete' };
  if (invalid > 0) return { allowed: false, reason: `${invalid} item${invalid === 1 ? '' : 's'} failed validation (see sync_errors)` };
  return { allowed: true };
}

/** The verdict for a slice's listing; a refusal is logged (the slice's logger names endpoint and slice). */
export function deletionsAllowed(run: SliceRun, listing: ListingEnd | undefined, invalid: number, what: string, pageProblem?: string): DeletionVerdict {
  const verdict = deletionVerdict(listing, invalid, pageProblem);
  if (!verdict.allowed) {
    run.logger.warn(
      { reason: verdict.reason },
      `${run.endpoint} ${run.slice.key}: deletions skipped, ${what} is not proven complete: ${verdict.reason}. Rows it did not show stay as they are until a complete listing.`,
    );
  }
  return verdict;
}
