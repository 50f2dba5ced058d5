/**
 * The daily request cost of an idle organization (nothing changes in it all day), modelled from
 * what the audit_logs and organization jobs read (docs/operations.md, "Organization listings
 * follow the audit log"). Pure, so the report can show before and after side by side.
 *
 * - before: the organization job read every listing completely each hour (`15 * * * *`);
 * - after: the organization job ticks every five minutes but reads nothing for an idle
 *   organization; only the complete safety-net read, every `ORGANIZATION_SAFETY_NET_INTERVAL`.
 *
 * The audit log's window (one request when nothing happened) is read every five minutes in both.
 * `test/integration/sync/org-audit-follow.test.ts` measures the per-tick figures on the emulator:
 * an idle tick makes exactly one `auditlogs.list` request per organization and no listing request.
 */
export interface OrganizationModel {
  /** Requests of one complete read of every listing of the organization (issue 27: 49–69). */
  completeReadRequests: number;
  /** Requests of an idle audit window (one page, nothing in it). */
  auditWindowRequests: number;
  /** Audit-log ticks a day (`*\/5 * * * *`: 288). */
  auditTicksPerDay: number;
  /** Complete reads a day before (hourly: 24). */
  hourlyReadsPerDay: number;
  /** ORGANIZATION_SAFETY_NET_INTERVAL in hours (default 24). */
  safetyNetHours: number;
  /** The credential's rate limit (Docker Hub: 180 a minute). */
  limitPerMinute: number;
}

export interface OrganizationCost {
  rule: 'before' | 'after';
  auditRequests: number;
  listingRequests: number;
  requestsPerDay: number;
  /** Share of the day's rate limit the organization takes. */
  shareOfLimit: number;
  /** Target: an idle organization costs its audit windows and its safety-net read, nothing else. */
  target: number;
  meetsTarget: boolean;
}

export const DEFAULT_ORGANIZATION_MODEL: OrganizationModel = {
  completeReadRequests: 59,
  auditWindowRequests: 1,
  auditTicksPerDay: 288,
  hourlyReadsPerDay: 24,
  safetyNetHours: 24,
  limitPerMinute: 180,
};

export function idleOrganizationDailyCost(model: OrganizationModel, rule: 'before' | 'after'): OrganizationCost {
  const auditRequests = model.auditTicksPerDay * model.auditWindowRequests;
  const completeReads = rule === 'before' ? model.hourlyReadsPerDay : 24 / model.safetyNetHours;
  const listingRequests = Math.round(completeReads * model.completeReadRequests);
  const requestsPerDay = auditRequests + listingRequests;
  const target = auditRequests + Math.ceil((24 / model.safetyNetHours) * model.completeReadRequests);
  return {
    rule,
    auditRequests,
    listingRequests,
    requestsPerDay,
    shareOfLimit: requestsPerDay / (model.limitPerMinute * 1440),
    target,
    meetsTarget: requestsPerDay <= target,
  };
}
