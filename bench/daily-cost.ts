/**
 * The daily request cost of keeping an account fresh, modelled from what a pass reads (README,
 * "What a pass reads"): hourly passes; the complete repository list every
 * `completeListingEveryHours`, the "fresh" newest-first list in between; details for pushed
 * repositories; tag pages for pushed repositories, for pulled ones (after: seen at complete
 * listings) and for the safety-net refresh. Pure, so the report can show before and after side
 * by side.
 */
export interface AccountModel {
  repositories: number;
  namespaces: number;
  /** Repositories pulled in an hour (each a different one: an upper bound on distinct pulls). */
  pulledPerHour: number;
  /** Repositories pushed to in an hour. */
  pushedPerHour: number;
  /** Average tag pages per repository (100 tags a page). */
  tagPagesPerRepository: number;
  /** Requests per pass that do not scale with repositories (org listings, audit windows, login). */
  fixedPerPass: number;
  passesPerDay: number;
  completeListingEveryHours: number;
  limitPerMinute: number;
}

export interface DailyCost {
  rule: string;
  tagRefreshHours: number;
  listRequests: number;
  detailRequests: number;
  tagRequests: number;
  fixedRequests: number;
  requestsPerDay: number;
  budgetMinutesPerDay: number;
}

const pages = (n: number) => Math.max(1, Math.ceil(n / 100));

export function dailyCost(model: AccountModel, rule: 'before' | 'after'): DailyCost {
  const complete = Math.round(24 / model.completeListingEveryHours);
  const fresh = Math.max(0, model.passesPerDay - complete);
  const hoursBetweenListings = model.completeListingEveryHours;
  const listRequests =
    complete * model.namespaces * pages(model.repositories / model.namespaces) +
    fresh * model.namespaces * pages(model.pushedPerHour / model.namespaces + 1);
  const pushedPerDay = 24 * model.pushedPerHour;
  const detailRequests = pushedPerDay;
  let tagReads: number;
  let tagRefreshHours: number;
  if (rule === 'before') {
    // Tags of pushed repositories, and every repository once a day for pull recency.
    tagRefreshHours = 24;
    tagReads = pushedPerDay + model.repositories;
  } else {
    // Tags of pushed repositories, of those pulled since the last complete listing, and a
    // weekly safety net.
    tagRefreshHours = 7 * 24;
    const pulledPerListing = Math.min(model.repositories, model.pulledPerHour * hoursBetweenListings);
    tagReads = pushedPerDay + complete * pulledPerListing + model.repositories / 7;
  }
  const tagRequests = Math.round(tagReads * model.tagPagesPerRepository);
  const fixedRequests = model.passesPerDay * model.fixedPerPass;
  const requestsPerDay = listRequests + detailRequests + tagRequests + fixedRequests;
  return {
    rule: rule === 'before' ? 'tags every 24 h' : 'tags on pull_count / last_updated, 7 d safety net',
    tagRefreshHours,
    listRequests,
    detailRequests,
    tagRequests,
    fixedRequests,
    requestsPerDay,
    budgetMinutesPerDay: requestsPerDay / model.limitPerMinute,
  };
}
