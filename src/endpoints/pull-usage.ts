import type { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pullUsage, pullUsageLoads } from '../db/schema/index.js';
import type { HubClient } from '../hub/client.js';
import { DATA_API_PATHS, DATA_API_REFERENCE, DataApiRefusedError, dataApiError, isExpiredLink, reportColumnsSchema, type ReportColumns } from '../hub/data-api.js';
import { HubResponseError } from '../hub/errors.js';
import { hubPath } from '../hub/paths.js';
import { formatIssues } from '../hub/schemas.js';
import type { EndpointDefinition, Executor, LastRead, ParentPartition, ProbeAnswer, Slice, SliceRun, SyncDeps, SyncPlan } from '../sync/context.js';
import { parentSlices } from '../sync/chaining.js';
import { readReportCsv, ReportRefusedError, type ReportField, type TypedRecord } from '../sync/report-csv.js';
import { dataClientFor, requireDataClient } from './pull-usage-reports.js';
import { BUILTIN_REQUIREMENTS } from './requirements.js';

/** The columns pull_usage cannot do without, as the report's schema must type them. */
export const PULL_USAGE_COLUMNS: readonly ReportField[] = [
  { name: 'event_date', type: 'date' },
  { name: 'repository', type: 'string' },
  { name: 'tag', type: 'string' },
  { name: 'pull_count', type: 'integer' },
];
const PULL_USAGE_COLUMN_NAMES = new Set(PULL_USAGE_COLUMNS.map((c) => c.name));

/** A signed link that expired before it was fetched is asked for again, this many times in all. */
const DOWNLOAD_TRIES = 3;

type ReportParams = { org: string; report_type: string; cadence: string; date: string };

/** What a report's slice records: the key and size it loaded (or refused), so it is read again only when they change. */
export interface ReportLoadCursor {
  at: string;
  key: string | null;
  size: number | null;
  rows: number;
  refused?: string;
}

const parent: ParentPartition = {
  endpoint: 'pull_usage_reports',
  rows: { table: 'pull_usage_reports' },
  params: { org: 'org', report_type: 'report_type', cadence: 'cadence', date: 'date' },
  within: { field: 'org', plan: 'orgs' },
  refreshWhen: {
    moved: [
      { reason: 'key', fields: ['key'] },
      { reason: 'size', fields: ['size_bytes'] },
    ],
    lastRead: (cursor): LastRead | undefined => {
      const c = cursor as Partial<ReportLoadCursor> | null;
      return c && 'key' in c ? { at: c.at, values: { key: c.key ?? null, size: c.size ?? null } } : undefined;
    },
  },
};

function paramsOf(run: SliceRun): ReportParams {
  const { org = '', report_type = '', cadence = '', date = '' } = run.slice.params;
  return { org, report_type, cadence, date };
}

/** The report's columns from its `schema` endpoint. */
async function reportColumns(run: SliceRun, data: HubClient, params: ReportParams, what: string): Promise<ReportColumns> {
  const response = await data.request<unknown>({ path: hubPath(DATA_API_PATHS.schema, params), endpoint: `schema of the ${what}` });
  run.pageFetched();
  const parsed = reportColumnsSchema.safeParse(response.body);
  if (!parsed.success) throw new ReportRefusedError(`The schema of the ${what} is not what the Enterprise Data API promises: ${formatIssues(parsed.error.issues)}. The report is not loaded; the others are.`);
  return parsed.data;
}

/**
 * The CSV through the API's 302 to a signed storage link (fetched without our credential), as a
 * stream of its bytes; a fresh link when one expired (the storage host says so before any byte).
 */
async function download(run: SliceRun, data: HubClient, params: ReportParams, what: string): Promise<Readable> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await data.stream({ path: hubPath(DATA_API_PATHS.download, params), endpoint: `download of the ${what}`, headers: { accept: 'text/csv' } });
      run.pageFetched();
      if ((response.headers['content-type'] ?? '').includes('json')) {
        response.body.destroy();
        throw new HubResponseError(`The download of the ${what} answered JSON instead of a CSV file.`, { endpoint: what });
      }
      return response.body;
    } catch (error) {
      if (!isExpiredLink(error)) throw error;
      if (attempt >= DOWNLOAD_TRIES) throw new Error(`The signed download link of the ${what} had expired each of ${DOWNLOAD_TRIES} times it was fetched; is this machine's clock right? The next pass tries again.`);
      run.logger.info({ attempt }, `the signed download link of the ${what} had expired; asking the API for a fresh one`);
    }
  }
}

function rowOf(record: TypedRecord, params: ReportParams, loadedAt: string, what: string) {
  const extra = Object.fromEntries(Object.entries(record).filter(([name]) => !PULL_USAGE_COLUMN_NAMES.has(name)));
  const missing = PULL_USAGE_COLUMNS.find((c) => record[c.name] === null || record[c.name] === undefined);
  if (missing) throw new ReportRefusedError(`The ${what} was refused: a record has no ${missing.name}. The report is not loaded; the others are.`);
  return {
    org: params.org,
    report_type: params.report_type,
    cadence: params.cadence,
    report_date: params.date,
    event_date: String(record.event_date),
    repository: String(record.repository),
    tag: String(record.tag),
    pull_count: Number(record.pull_count),
    extra,
    loaded_at: loadedAt,
  };
}

/** What a report's load leaves besides its rows: the load record, and the cursor that makes it due again only when its file changes. */
async function recordLoad(run: SliceRun, tx: Executor, params: ReportParams, load: Omit<ReportLoadCursor, 'at'>): Promise<void> {
  const at = run.now();
  const row = { ...params, key: load.key, size_bytes: load.size, rows: load.rows, loaded_at: at, error: load.refused ?? null };
  await tx
    .insert(pullUsageLoads)
    .values(row)
    .onConflictDoUpdate({
      target: [pullUsageLoads.org, pullUsageLoads.report_type, pullUsageLoads.cadence, pullUsageLoads.date],
      set: { key: row.key, size_bytes: row.size_bytes, rows: row.rows, loaded_at: row.loaded_at, error: row.error },
    });
  await run.setCursor(tx, { at, ...load } satisfies ReportLoadCursor, { complete: load.refused === undefined });
}

type UsageRow = ReturnType<typeof rowOf>;

/**
 * One row per day, repository and tag: records that repeat one add their pulls to the first (one
 * INSERT cannot touch a row twice). The other columns (`extra`) are the first record's.
 */
function addedUp(rows: readonly UsageRow[]): UsageRow[] {
  const byKey = new Map<string, UsageRow>();
  for (const row of rows) {
    const key = JSON.stringify([row.event_date, row.repository, row.tag]);
    const first = byKey.get(key);
    if (first) first.pull_count += row.pull_count;
    else byKey.set(key, { ...row });
  }
  return [...byKey.values()];
}

/** Rows one INSERT carries: a few hundred (ten parameters each), far below Postgres's 65535. */
const INSERT_BATCH = 500;

/**
 * One report, all of it or nothing: its earlier rows replaced by the file's, in one transaction,
 * inserted a batch at a time as the file streams in (the header checked before any row).
 */
async function load(run: SliceRun, params: ReportParams, file: { key: string | null; size: number | null }, columns: ReportColumns, csv: Readable, what: string): Promise<number> {
  try {
    return await run.transaction(async (tx) => {
      const { org, report_type, cadence, date } = params;
      await tx.execute(sql`DELETE FROM dockerhub.pull_usage WHERE org = ${org} AND report_type = ${report_type} AND cadence = ${cadence} AND report_date = ${date}`);
      const loadedAt = run.now();
      let rows = 0;
      for await (const batch of readReportCsv(csv, columns.fields, { what: `The ${what}`, required: PULL_USAGE_COLUMNS, batchSize: INSERT_BATCH })) {
        const values = addedUp(batch.map((record) => rowOf(record, params, loadedAt, what)));
        // A repository and tag listed twice for one day: their pulls add up, within a batch
        // (addedUp) and across batches (the conflict clause).
        await tx
          .insert(pullUsage)
          .values(values)
          .onConflictDoUpdate({
            target: [pullUsage.org, pullUsage.report_type, pullUsage.cadence, pullUsage.report_date, pullUsage.event_date, pullUsage.repository, pullUsage.tag],
            set: { pull_count: sql`${pullUsage.pull_count} + excluded.pull_count` },
          });
        rows += values.length;
      }
      await recordLoad(run, tx, params, { ...file, rows });
      return rows;
    });
  } finally {
    csv.destroy();
  }
}

async function runLoad(run: SliceRun): Promise<void> {
  const params = paramsOf(run);
  const what = `${params.cadence} pull-usage report of ${params.org} for ${params.date}`;
  const data = requireDataClient(run.deps, params.org, 'pull_usage');
  const file = { key: (run.slice.parent?.key as string | null | undefined) ?? null, size: (run.slice.parent?.size_bytes as number | null | undefined) ?? null };
  const cap = run.deps.config.hub.maxResponseBytes;
  if (file.size !== null && file.size > cap) {
    throw new Error(`The ${what} is ${file.size} bytes, more than the ${cap} one response may have (DOCKERHUB_MAX_RESPONSE_BYTES); raise it to load this report.`);
  }
  try {
    const columns = await reportColumns(run, data, params, what);
    const csv = await download(run, data, params, what);
    const rows = await load(run, params, file, columns, csv, what);
    run.counters.inserted += rows;
  } catch (caught) {
    const error = dataApiError(caught, params.org);
    // The listing warned once for the organization; its reports need say no more.
    if (error instanceof DataApiRefusedError) return run.logger.debug({ org: params.org }, `${what} skipped: ${error.message}`);
    if (error instanceof ReportRefusedError) {
      // Refused until its file changes: recorded so the next pass does not download it again.
      await run.transaction((tx) => recordLoad(run, tx, params, { ...file, rows: 0, refused: error.message }));
    }
    throw error;
  }
}

/** `doctor`'s probe: the schema of the report its parent's probe listed (no download), on the Data API. */
async function probeSchema(slice: Slice, _plan: SyncPlan, deps: SyncDeps): Promise<ProbeAnswer> {
  const params = paramsOf({ slice } as SliceRun);
  const data = requireDataClient(deps, params.org, 'pull_usage');
  try {
    const response = await data.request<unknown>({ path: hubPath(DATA_API_PATHS.schema, params), endpoint: `doctor: schema of the ${params.cadence} pull-usage report of ${params.org} for ${params.date}` });
    return { url: response.url, items: [response.body] };
  } catch (error) {
    throw dataApiError(error, params.org);
  }
}

/**
 * Pulls per repository and tag per day: each pull-usage report's CSV, checked against the
 * report's schema and loaded in one transaction; a report loads once, and again only when the
 * listing shows another key or size for it.
 */
export const pullUsageEndpoint: EndpointDefinition = {
  name: 'pull_usage',
  title: 'Pulls per repository and tag per day, from the pull-usage reports (Enterprise Data API)',
  reference: `${DATA_API_REFERENCE}#tag/reports/operation/getReportDownloadURL`,
  tables: ['pull_usage', 'pull_usage_loads'],
  parent: parent.endpoint,
  partition: { parent },
  template: { path: DATA_API_PATHS.schema, shape: 'object', api: 'data' },
  slices: async (plan, deps) => (await parentSlices(parent, 'pull_usage', plan, deps)).filter((slice) => dataClientFor(deps, slice.params.org ?? '') !== undefined),
  request: (slice) => ({ path: hubPath(DATA_API_PATHS.schema, paramsOf({ slice } as SliceRun)), shape: 'object', schema: reportColumnsSchema, api: 'data' }),
  run: runLoad,
  requires: BUILTIN_REQUIREMENTS.pull_usage!,
  probe: probeSchema,
};
