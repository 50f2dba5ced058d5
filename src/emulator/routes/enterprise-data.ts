// The Docker Enterprise Data API (enterprise-data-c95ded2.yaml), on its own path prefix of the
// emulator: report types, the cursor-paged report listing, the schema of a report, and the
// download, a 302 to a signed link on the object-storage stand-in (another port). The bearer is an
// organization access token as is (no JWT): it must belong to the organization and carry the
// Report Read scope, and the organization must have Docker Enterprise; otherwise 403.

import { HttpError, route, type Route, type RouteContext, type RouteResult } from '../http.js';
import { USAGE_COLUMNS, USAGE_PULLS } from '../state/usage.js';

export const DATA_API_PREFIX = '/enterprise-data/v1';

/** The scope names an OAT's organization resource may carry for Report Read. */
const REPORT_READ = new Set(['report-read', 'scope-report-read']);
const SEGMENT = /^[a-z0-9][a-z0-9_-]*$/;

function dataError(status: number, error: string): never {
  throw new HttpError(status, { error });
}

/** The caller's OAT must be the organization's, usable, with Report Read; the organization must have Enterprise. */
function authorize(ctx: RouteContext): string {
  const org = ctx.params.org ?? '';
  for (const name of ['org', 'type', 'cadence'] as const) {
    const value = ctx.params[name];
    if (value !== undefined && !SEGMENT.test(value)) dataError(400, `invalid input: ${name === 'org' ? 'org_name' : name} contains invalid characters`);
  }
  const token = /^Bearer\s+(\S+)$/i.exec(ctx.req.headers.authorization?.trim() ?? '')?.[1];
  if (!token) dataError(401, 'unauthenticated');
  const oat = ctx.state.orgs.has(org) ? ctx.state.orgs.findOat(org, token) : undefined;
  if (!oat) {
    const elsewhere = ctx.state.orgNames.some((name) => ctx.state.orgs.findOat(name, token) !== undefined);
    dataError(elsewhere ? 403 : 401, elsewhere ? 'permission denied' : 'unauthenticated');
  }
  const scopes = oat.resources.filter((r) => r.type === 'TYPE_ORG').flatMap((r) => r.scopes);
  if (!scopes.some((scope) => REPORT_READ.has(scope))) dataError(403, 'permission denied');
  if (ctx.state.usage.withoutEnterprise.has(org)) dataError(403, 'permission denied');
  return org;
}

function reportTypes(ctx: RouteContext): RouteResult {
  const org = authorize(ctx);
  return { status: 200, body: { report_types: ctx.state.usage.reportTypes(org) } };
}

const pageToken = (index: number) => Buffer.from(`report:${index}`).toString('base64url');

function listReports(ctx: RouteContext): RouteResult {
  const org = authorize(ctx);
  const reports = ctx.state.usage.reports(org, ctx.params.type ?? '', ctx.params.cadence ?? '');
  if (!reports) dataError(404, 'not found');
  const sizeText = ctx.query.get('page_size');
  const size = sizeText === null ? 30 : Number(sizeText);
  if (!Number.isInteger(size) || size < 1 || size > 100) dataError(400, 'invalid input: page_size must be between 1 and 100');
  const token = ctx.query.get('page_token');
  let start = 0;
  if (token) {
    const match = /^report:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!match) dataError(400, 'invalid input: invalid page token');
    start = Number(match[1]);
  }
  const page = reports.slice(start, start + size);
  const next = start + size < reports.length ? pageToken(start + size) : '';
  return { status: 200, body: { reports: page, next_page_token: next } };
}

/** The dated report, or 404 as the API answers for one not generated. */
function dated(ctx: RouteContext, org: string) {
  const date = ctx.params.date ?? '';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) dataError(400, 'invalid input: date must be a valid YYYY-MM-DD date');
  const report = ctx.state.usage.reports(org, ctx.params.type ?? '', ctx.params.cadence ?? '')?.find((r) => r.Date === date);
  if (!report) dataError(404, 'not found');
  return report;
}

function reportSchema(ctx: RouteContext): RouteResult {
  const org = authorize(ctx);
  dated(ctx, org);
  return { status: 200, body: { category: USAGE_PULLS, fields: USAGE_COLUMNS } };
}

/** The routes, with the object storage that signs the download links. */
export function enterpriseDataRoutes(storage: { sign(key: string): string }): Route[] {
  const download = (ctx: RouteContext): RouteResult => {
    const org = authorize(ctx);
    const report = dated(ctx, org);
    return { status: 302, headers: { location: storage.sign(report.Key) } };
  };
  const at = (path: string) => `${DATA_API_PREFIX}${path}`;
  return [
    route('GET', at('/orgs/:org/reports'), 'data.reportTypes', reportTypes, 'own'),
    route('GET', at('/orgs/:org/reports/:type/:cadence'), 'data.reports', listReports, 'own'),
    route('GET', at('/orgs/:org/reports/:type/:cadence/:date/download'), 'data.download', download, 'own'),
    route('GET', at('/orgs/:org/reports/:type/:cadence/:date/schema'), 'data.schema', reportSchema, 'own'),
  ];
}
