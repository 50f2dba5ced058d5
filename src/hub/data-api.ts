// The Docker Enterprise Data API (https://api.docker.com/enterprise-data/v1): pull-usage reports.
// Another host than the Hub API, with its own bearer: an organization access token with the Report
// Read scope, sent as is (no JWT exchange). A report downloads through a 302 to a signed
// object-storage link on yet another host, valid 15 minutes, fetched without any credential (the
// transport's origin rule drops ours on the way). Reference:
// https://docs.docker.com/reference/api/enterprise-data/latest/

import { z } from 'zod';
import { HubAuthError, HubError, HubPermissionError, type HubErrorInfo } from './errors.js';

/** The API's reference, which the endpoints' `reference` links point into. */
export const DATA_API_REFERENCE = 'https://docs.docker.com/reference/api/enterprise-data/latest/';

export const DATA_API_PATHS = {
  reportTypes: '/orgs/{org}/reports',
  reports: '/orgs/{org}/reports/{report_type}/{cadence}',
  download: '/orgs/{org}/reports/{report_type}/{cadence}/{date}/download',
  schema: '/orgs/{org}/reports/{report_type}/{cadence}/{date}/schema',
} as const;

/** The report type this product loads (others, such as `image_access`, are listed but not read). */
export const PULL_USAGE_REPORT_TYPE = 'usage_pulls';

/** A path segment of the API: `^[a-z0-9][a-z0-9_-]*$` (org, type, cadence). */
const dataApiSegment = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must match ^[a-z0-9][a-z0-9_-]*$');

export const reportTypesSchema = z.looseObject({
  report_types: z.array(z.looseObject({ ReportType: dataApiSegment, Cadence: dataApiSegment })),
});

export const reportSchema = z.looseObject({
  ReportType: dataApiSegment,
  Cadence: dataApiSegment,
  Date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD'),
  SizeBytes: z.number().int().nonnegative(),
  Key: z.string().min(1),
});

const reportFieldSchema = z.looseObject({ name: z.string().min(1), type: z.string().min(1), description: z.string().optional() });
export const reportColumnsSchema = z.looseObject({ category: z.string(), fields: z.array(reportFieldSchema).min(1) });
export type ReportColumns = z.output<typeof reportColumnsSchema>;

/** What the Data API's 403 means: the organization has no Docker Enterprise, or the token lacks Report Read. */
const DATA_API_NEEDS = 'a Docker Enterprise subscription for the organization and an organization access token with the Report Read scope';

/**
 * The Enterprise Data API refused an organization (403): a plan limit or a missing scope, not a
 * failure. `reason` lets a report (doctor, the sync's warning) say so without parsing messages.
 */
export class DataApiRefusedError extends HubPermissionError {
  override name = 'DataApiRefusedError';
  readonly reason = 'plan-limited' as const;
  readonly org: string;
  constructor(org: string, info: HubErrorInfo) {
    const said = info.detail ? ` ("${info.detail}")` : '';
    super(
      `The Enterprise Data API refused the pull-usage reports of ${org} with 403${said}: they need ${DATA_API_NEEDS}. ` +
        'Without Docker Enterprise there are no reports to read; otherwise create an organization access token with Report Read and configure it for this organization (hub.credentials, kind: oat).',
      DATA_API_NEEDS,
      'organization access token',
      info,
    );
    this.org = org;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason, org: this.org };
  }
}

/** A 403 of the Data API as the refusal it is; anything else unchanged. */
export function dataApiError(error: unknown, org: string): unknown {
  if (error instanceof HubPermissionError && !(error instanceof DataApiRefusedError)) {
    return new DataApiRefusedError(org, { status: 403, method: error.method, url: error.url, endpoint: error.endpoint, detail: error.detail });
  }
  if (error instanceof HubAuthError && error.reason === 'token_rejected') {
    return new HubAuthError(
      `The Enterprise Data API refused the organization access token of ${org} (401${error.detail ? `: ${error.detail}` : ''}): it was revoked or expired, or is not an organization access token (personal access tokens are not accepted).`,
      'token_rejected',
      { status: 401, method: error.method, url: error.url, endpoint: error.endpoint, detail: error.detail },
    );
  }
  return error;
}

/**
 * A download whose signed link had expired by the time it was fetched: object storage answers
 * 403 (S3's "Request has expired") or 400 from its own host. Asking the API again gives a fresh link.
 */
export function isExpiredLink(error: unknown): boolean {
  return error instanceof HubError && (error.status === 403 || error.status === 400) && /expired/i.test(error.detail ?? '');
}
