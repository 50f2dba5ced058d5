import { bigint, date, index, integer, jsonb, primaryKey, text } from 'drizzle-orm/pg-core';
import { dockerhub, entityColumns, ts } from './common.js';

const day = (name: string) => date(name, { mode: 'string' });

/** One report file of an organization, as the Data API lists it (the key of the tables below). */
const reportFile = () => ({
  org: text('org').notNull(),
  /** `ReportType`: `usage_pulls`. */
  report_type: text('report_type').notNull(),
  /** `Cadence`: `daily` or `weekly`. */
  cadence: text('cadence').notNull(),
  /** `Date`: the day (or the first day of the week) the report covers. */
  date: day('date').notNull(),
  /** `Key`: the object-storage key of the CSV file; a new key or size means a new file. */
  key: text('key'),
  /** `SizeBytes`. */
  size_bytes: bigint('size_bytes', { mode: 'number' }),
});

/**
 * The pull-usage reports the Enterprise Data API lists (`GET /orgs/{org}/reports/usage_pulls/{cadence}`),
 * one row per dated report file. A report past the API's retention is marked deleted here; what
 * was loaded from it stays in `pull_usage`.
 */
export const pullUsageReports = dockerhub.table(
  'pull_usage_reports',
  {
    ...reportFile(),
    ...entityColumns(),
  },
  (t) => [primaryKey({ columns: [t.org, t.report_type, t.cadence, t.date] })],
);

/**
 * Pulls per repository and tag per day, from the CSV of each pull-usage report. A report is
 * loaded in one transaction: all of its rows are here, or none. `extra` holds the columns the
 * report's schema lists beyond the four this table names, typed as the schema says.
 */
export const pullUsage = dockerhub.table(
  'pull_usage',
  {
    org: text('org').notNull(),
    report_type: text('report_type').notNull(),
    cadence: text('cadence').notNull(),
    /** The report's date (`pull_usage_reports.date`). */
    report_date: day('report_date').notNull(),
    /** `event_date`: the day the pulls happened (UTC). */
    event_date: day('event_date').notNull(),
    /** `repository`: the full name, `namespace/name`. */
    repository: text('repository').notNull(),
    tag: text('tag').notNull(),
    pull_count: bigint('pull_count', { mode: 'number' }).notNull(),
    extra: jsonb('extra').notNull().default({}),
    loaded_at: ts('loaded_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'pull_usage_pk', columns: [t.org, t.report_type, t.cadence, t.report_date, t.event_date, t.repository, t.tag] }),
    index('pull_usage_repository_day').on(t.repository, t.event_date),
  ],
);

/**
 * Every report file loaded (or refused), with the key and size it had: a report is downloaded
 * again only when the listing shows another key or size. `error` says why a file was refused
 * (its columns do not match its schema, a value is not of its column's type).
 */
export const pullUsageLoads = dockerhub.table(
  'pull_usage_loads',
  {
    ...reportFile(),
    /** Rows loaded into pull_usage (0 when refused). */
    rows: integer('rows').notNull(),
    loaded_at: ts('loaded_at').notNull(),
    error: text('error'),
  },
  (t) => [primaryKey({ columns: [t.org, t.report_type, t.cadence, t.date] })],
);
