import { pullUsageReports } from '../db/schema/index.js';
import type { HubClient } from '../hub/client.js';
import { DATA_API_PATHS, DATA_API_REFERENCE, DataApiRefusedError, PULL_USAGE_REPORT_TYPE, dataApiError, reportSchema, reportTypesSchema } from '../hub/data-api.js';
import { HubResponseError } from '../hub/errors.js';
import { hubPath } from '../hub/paths.js';
import type { EndpointDefinition, JobDeclaration, Partition, ProbeAnswer, Slice, SliceRun, SyncDeps, SyncPlan } from '../sync/context.js';
import { runPageLoop } from '../sync/engine.js';
import { entitySpec } from '../sync/entities.js';
import { partitionSlices } from '../sync/partition.js';
import { formatIssues } from '../hub/schemas.js';
import { BUILTIN_REQUIREMENTS } from './requirements.js';

/**
 * The pull-usage family reads once an hour: Docker generates a report a day (and one a week),
 * so the listing is one request per organization and cadence, and a report downloads once.
 */
export const PULL_USAGE_JOB: JobDeclaration = { name: 'pull_usage', schedule: '40 * * * *' };

/** What the listing's cursor keeps: the cadences last listed, or why the organization was refused. */
export interface ReportListingCursor {
  at: string;
  cadences?: string[];
  refused?: 'plan-limited';
  detail?: string | undefined;
}

/** The Enterprise Data API client of the credential serving `org` (an organization access token), if any. */
export function dataClientFor(deps: Pick<SyncDeps, 'clients'>, org: string): HubClient | undefined {
  return deps.clients?.forScope(org).data;
}

/** The Data API client serving `org`; none is an error naming the endpoint (its slices are only those of organizations with one). */
export function requireDataClient(deps: Pick<SyncDeps, 'clients'>, org: string, endpoint: string): HubClient {
  const data = dataClientFor(deps, org);
  if (!data) throw new Error(`${endpoint}: no organization access token serves ${org} (hub.credentials, kind: oat)`);
  return data;
}

const NOT_SERVED = 'the Enterprise Data API takes only an organization access token with Report Read (configure one per organization in hub.credentials, kind: oat)';

/** The organizations of the pass whose credential is no organization access token: the Data API refuses every other kind. */
function organizationsWithoutDataApi(plan: SyncPlan, deps: SyncDeps): string[] {
  return plan.orgs.filter((org) => dataClientFor(deps, org) === undefined);
}

/** One slice per organization whose credential is an organization access token; the others are named once per pass. */
async function organizationsWithDataApi(plan: SyncPlan, deps: SyncDeps): Promise<Record<string, string>[]> {
  const others = organizationsWithoutDataApi(plan, deps);
  if (others.length > 0) deps.logger.info({ orgs: others }, `pull-usage reports skipped for these organizations: ${NOT_SERVED}`);
  return plan.orgs.filter((org) => !others.includes(org)).map((org) => ({ org }));
}

/**
 * `doctor`'s probe: one item of the organization's daily pull-usage reports, on the Data API with
 * the organization's token; the item is shaped as the listing stores it, so pull_usage's probe
 * can read that report's schema. A 403 is the refusal the sync skips (DataApiRefusedError).
 */
async function probeListing(slice: Slice, _plan: SyncPlan, deps: SyncDeps): Promise<ProbeAnswer> {
  const org = slice.params.org ?? '';
  const data = requireDataClient(deps, org, 'pull_usage_reports');
  const values = { org, report_type: PULL_USAGE_REPORT_TYPE, cadence: 'daily' };
  try {
    const response = await data.request<{ reports?: unknown[] } | undefined>({ path: hubPath(DATA_API_PATHS.reports, values), query: { page_size: 1 }, endpoint: `doctor: pull_usage_reports of ${org}` });
    const items = (response.body?.reports ?? []).slice(0, 1).map((item) => {
      const parsed = reportSchema.safeParse(item);
      return parsed.success ? { ...values, date: parsed.data.Date, key: parsed.data.Key, size_bytes: parsed.data.SizeBytes } : item;
    });
    return { url: response.url, items };
  } catch (error) {
    throw dataApiError(error, org);
  }
}

const partition: Partition = {
  list: organizationsWithDataApi,
  params: ['org'],
  needs: 'an organization access token with the Report Read scope for the organization (hub.credentials, kind: oat) and a Docker Enterprise subscription',
};

/** A 403: warn once per organization (the first refusal, or one after a readable pass), then stay quiet. */
async function skipRefused(run: SliceRun, org: string, error: DataApiRefusedError, previous: ReportListingCursor | undefined): Promise<void> {
  if (previous?.refused === error.reason) run.logger.debug({ org, reason: error.reason }, 'pull-usage reports still refused; skipped');
  else run.logger.warn({ org, reason: error.reason, needs: error.needs }, `pull-usage reports skipped: ${error.message}`);
  const cursor: ReportListingCursor = { at: run.now(), refused: error.reason, detail: error.detail };
  await run.transaction((tx) => run.setCursor(tx, cursor, { complete: false }));
}

/** The organization's report types; the cadences of `usage_pulls` among them. */
async function pullUsageCadences(run: SliceRun, data: HubClient, org: string): Promise<string[]> {
  const response = await data.request<unknown>({ path: hubPath(DATA_API_PATHS.reportTypes, { org }), endpoint: `report types of ${org}` });
  run.pageFetched();
  const parsed = reportTypesSchema.safeParse(response.body);
  if (!parsed.success) {
    throw new HubResponseError(`The report types of ${org} are not what the Enterprise Data API promises: ${formatIssues(parsed.error.issues)}`, {
      url: response.url,
      endpoint: `report types of ${org}`,
    });
  }
  const cadences = parsed.data.report_types.filter((t) => t.ReportType === PULL_USAGE_REPORT_TYPE).map((t) => t.Cadence);
  return [...new Set(cadences)];
}

/** Every report of one cadence, newest first, through the API's cursor paging; a complete listing marks reports past retention deleted. */
async function listCadence(run: SliceRun, data: HubClient, org: string, cadence: string): Promise<void> {
  const what = `${cadence} pull-usage reports of ${org}`;
  const values = { org, report_type: PULL_USAGE_REPORT_TYPE, cadence };
  await runPageLoop(run, {
    spec: entitySpec(pullUsageReports),
    pages: data.paginate({
      path: hubPath(DATA_API_PATHS.reports, values),
      shape: 'auto',
      paginator: { type: 'cursor', param: 'page_token', nextPath: '$.next_page_token', sizeParam: 'page_size' },
      records: (body) => ((body as { reports?: unknown } | undefined)?.reports as unknown[] | undefined) ?? [],
      pageSize: 100,
      endpoint: what,
    }),
    schema: reportSchema,
    rows: ({ raw, parsed }) => (parsed.ReportType === PULL_USAGE_REPORT_TYPE && parsed.Cadence === cadence ? [{ ...values, date: parsed.Date, key: parsed.Key, size_bytes: parsed.SizeBytes, raw }] : []),
    deletes: { scope: values, keyColumns: 'date' },
    cursor: 'keep',
    what,
  });
}

async function runListing(run: SliceRun): Promise<void> {
  const org = run.slice.params.org ?? '';
  const data = requireDataClient(run.deps, org, 'pull_usage_reports');
  const previous = await run.getCursor<ReportListingCursor>();
  let cadences: string[];
  try {
    cadences = await pullUsageCadences(run, data, org);
  } catch (error) {
    const mapped = dataApiError(error, org);
    if (mapped instanceof DataApiRefusedError) return skipRefused(run, org, mapped, previous);
    throw mapped;
  }
  if (previous?.refused) run.logger.info({ org }, 'pull-usage reports are readable again');
  for (const cadence of cadences) await listCadence(run, data, org, cadence);
  const cursor: ReportListingCursor = { at: run.now(), cadences };
  await run.transaction((tx) => run.setCursor(tx, cursor, { complete: true }));
}

/** The organization's pull-usage reports (daily, and weekly where offered) as the Enterprise Data API lists them. */
export const pullUsageReportsEndpoint: EndpointDefinition = {
  name: 'pull_usage_reports',
  title: 'Pull-usage reports of an organization (Enterprise Data API)',
  reference: `${DATA_API_REFERENCE}#tag/reports/operation/listReports`,
  tables: ['pull_usage_reports'],
  job: PULL_USAGE_JOB,
  partition,
  template: { path: DATA_API_PATHS.reportTypes, shape: 'object', api: 'data' },
  slices: (plan, deps) => partitionSlices(partition, 'pull_usage_reports', plan, deps),
  request: (slice) => ({ path: hubPath(DATA_API_PATHS.reportTypes, { org: slice.params.org ?? '' }), shape: 'object', schema: reportTypesSchema, api: 'data' }),
  run: runListing,
  requires: BUILTIN_REQUIREMENTS.pull_usage_reports!,
  probe: probeListing,
  unserved: (plan, deps) => organizationsWithoutDataApi(plan, deps).map((org) => ({ scope: org, reason: `not configured: ${NOT_SERVED}; the sync skips them` })),
};
