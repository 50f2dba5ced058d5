// A write-back job as the config file describes it, checked against the built-in templates, and
// resolved into one shape the planner runs: a built-in template, or a custom target whose path,
// body and headers are `{column}` templates.

import { z } from 'zod';
import { cronProblem } from '../scheduler/cron.js';
import { headerProblem } from '../hub/request-rules.js';
import { parseTemplate, placeholdersIn, placeholdersOf, templatePathProblem, TemplateError } from '../templating/template.js';
import { templateNamed, writebackTemplates } from './templates/index.js';
import type { WriteMethod, WritebackTemplate } from './templates/types.js';

const column = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a column name (letters, digits, _)');
const method = z.enum(['POST', 'PUT', 'PATCH', 'DELETE'], { error: 'must be POST, PUT, PATCH or DELETE' });
// Where a path may lead is checked with every other problem in writebackProblems (apiPathProblem).
const apiPath = z.string().trim().min(1, 'must not be empty (a path under the Docker Hub API URL, e.g. /v2/orgs/acme/groups)');
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const customTarget = z.object({
  method,
  path: apiPath,
  /** Sending it twice leaves the same state: safe to re-send after a crash. Default: PUT and DELETE. */
  idempotent: z.boolean().optional(),
  /** How `mode: mirror` undoes a record that left the source. */
  inverse: z.object({ method, path: apiPath, body: z.record(z.string(), z.unknown()).optional() }).optional(),
});

export const writebackJobSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be lower-case letters, digits and _, starting with a letter'),
  /** A table (`staging.contractors`) or one SQL query; read in a read-only transaction. */
  source: z.string().trim().min(1, 'must name a table or hold a SQL query'),
  target: z.union([z.string().trim().min(1), customTarget], { error: 'must be a built-in template name or { method, path }' }),
  key: z.array(column).min(1, 'must name at least one column').optional(),
  /** Custom targets: the body is the record without these columns. */
  exclude: z.array(column).optional(),
  /** Custom targets: an explicit body with `{column}` placeholders instead of the record. */
  body: z.record(z.string(), z.unknown()).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  batch: z
    .object({
      size: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000'),
      groupBy: z.array(column).default([]),
    })
    .optional(),
  mode: z.enum(['upsert', 'mirror'], { error: 'must be upsert or mirror' }).default('upsert'),
  /**
   * Mirror: the most records one run may remove; a run that would remove more sends nothing and
   * asks for `push <job> --allow-removals N`. Default: 10% of the records the job manages, at least 1.
   */
  maxRemove: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').optional(),
  schedule: z.string().trim().optional(),
  /** Every call's outcome is POSTed here as JSON (secrets removed), retried, never blocking the job. */
  webhook: z.union([httpUrl, z.object({ url: httpUrl, headers: z.record(z.string(), z.string()).default({}) })]).optional(),
});

export type WritebackJobConfig = z.infer<typeof writebackJobSchema>;

/** A custom target as a template: path, body and headers filled in from the record. */
export interface CustomTarget {
  method: WriteMethod;
  path: string;
  idempotent: boolean;
  body?: Record<string, unknown> | undefined;
  exclude: string[];
  inverse?: { method: WriteMethod; path: string; body?: Record<string, unknown> | undefined } | undefined;
}

export interface ResolvedJob {
  name: string;
  source: string;
  /** The built-in template, or undefined for a custom target. */
  template: WritebackTemplate | undefined;
  custom: CustomTarget | undefined;
  /** Shown in plans: `team_members.add`, or `POST /v2/orgs/acme/groups/{team}/members`. */
  action: string;
  key: string[];
  headers: Record<string, string>;
  batch: { size: number; groupBy: string[] } | undefined;
  mode: 'upsert' | 'mirror';
  /** Mirror: removals one run may make without --allow-removals (undefined: 10% of the managed records, at least 1). */
  maxRemove: number | undefined;
  schedule: string | undefined;
  webhook: { url: string; headers: Record<string, string> } | undefined;
}

/** The job resolved against the templates (call after `writebackProblems` found nothing). */
export function resolveJob(job: WritebackJobConfig): ResolvedJob {
  const template = typeof job.target === 'string' ? templateNamed(job.target) : undefined;
  const custom: CustomTarget | undefined =
    typeof job.target === 'string'
      ? undefined
      : {
          method: job.target.method,
          path: job.target.path,
          idempotent: job.target.idempotent ?? ['PUT', 'DELETE'].includes(job.target.method),
          body: job.body,
          exclude: job.exclude ?? [],
          inverse: job.target.inverse,
        };
  const groupBy = [...new Set([...(template?.batch?.groupBy ?? []), ...(job.batch?.groupBy ?? [])])];
  const batch = template?.batch
    ? { size: Math.min(job.batch?.size ?? template.batch.max, template.batch.max), groupBy }
    : job.batch
      ? { size: job.batch.size, groupBy }
      : undefined;
  return {
    name: job.name,
    source: job.source,
    template,
    custom,
    action: template ? template.name : `${custom!.method} ${custom!.path}`,
    key: job.key ?? [...(template?.key ?? [])],
    headers: job.headers,
    batch,
    mode: job.mode,
    maxRemove: job.maxRemove,
    schedule: job.schedule,
    webhook: job.webhook === undefined ? undefined : typeof job.webhook === 'string' ? { url: job.webhook, headers: {} } : job.webhook,
  };
}

function nearestName(name: string, names: readonly string[]): string | undefined {
  const close = names.filter((n) => n.includes(name) || name.includes(n) || n.split('.')[0] === name.split('.')[0]);
  return close[0];
}

/**
 * Problems a schema cannot see, each naming its key (`writeback[0].target`): unknown templates,
 * settings a template does not take, mirror without an inverse, batches whose path varies, cron.
 */
export function writebackProblems(raw: unknown, now = new Date()): string[] {
  if (!Array.isArray(raw)) return [];
  const problems: string[] = [];
  const names = new Map<string, number>();
  raw.forEach((entry, i) => {
    if (entry === null || typeof entry !== 'object') return;
    const job = entry as Record<string, unknown>;
    const at = (key: string) => `writeback[${i}]${key ? `.${key}` : ''}`;
    if (typeof job.name === 'string') {
      const first = names.get(job.name);
      if (first !== undefined) problems.push(`${at('name')}: "${job.name}" is also the name of writeback[${first}]; job names must be unique`);
      else names.set(job.name, i);
    }
    problems.push(...jobProblems(job, at, now));
  });
  return problems;
}

type At = (key: string) => string;

function jobProblems(job: Record<string, unknown>, at: At, now: Date): string[] {
  const problems: string[] = [];
  if (job.maxRemove !== undefined && job.mode !== 'mirror') problems.push(`${at('maxRemove')}: only mode: mirror removes records; remove maxRemove or set mode: mirror`);
  if (typeof job.target === 'string') {
    const template = templateNamed(job.target.trim());
    if (!template) {
      const near = nearestName(job.target.trim(), writebackTemplates.map((t) => t.name));
      problems.push(
        `${at('target')}: "${job.target}" is not a built-in template${near ? `; did you mean "${near}"?` : '.'} Templates: ${writebackTemplates.map((t) => t.name).join(', ')}; or write { method, path }.`,
      );
      return problems;
    }
    problems.push(...templateTargetProblems(job, template, at));
  } else if (job.target && typeof job.target === 'object') {
    problems.push(...customTargetProblems(job, job.target as Record<string, unknown>, at));
  }
  if (job.headers && typeof job.headers === 'object' && !Array.isArray(job.headers)) {
    for (const [name, value] of Object.entries(job.headers as Record<string, unknown>)) {
      const problem = headerProblem(name, typeof value === 'string' ? value : '');
      if (problem) problems.push(`${at(`headers.${name}`)}: ${problem}`);
    }
  }
  if (typeof job.schedule === 'string') {
    const problem = cronProblem(job.schedule.trim(), now);
    if (problem) {
      problems.push(`${at('schedule')}: "${job.schedule.trim()}" is not a usable cron expression (${problem}). Use 5 fields (minute hour day month weekday, e.g. "0 * * * *").`);
    }
  }
  return problems;
}

const batchOf = (job: Record<string, unknown>) => (job.batch && typeof job.batch === 'object' ? (job.batch as Record<string, unknown>) : undefined);

/** Settings a built-in template does not take. */
function templateTargetProblems(job: Record<string, unknown>, template: WritebackTemplate, at: At): string[] {
  const problems: string[] = [];
  const batch = batchOf(job);
  if (job.body !== undefined) problems.push(`${at('body')}: the template ${template.name} builds its own body; use a custom target { method, path } to send your own`);
  if (job.exclude !== undefined) problems.push(`${at('exclude')}: the template ${template.name} takes only the columns it needs (${[...template.requires, ...(template.optional ?? [])].join(', ')}); exclude is for custom targets`);
  if (batch && !template.batch) {
    problems.push(`${at('batch')}: ${template.name} takes one record per call; batching is for templates whose API takes lists (${writebackTemplates.filter((t) => t.batch).map((t) => t.name).join(', ')}) and custom targets`);
  } else if (batch && typeof batch.size === 'number' && template.batch && batch.size > template.batch.max) {
    problems.push(`${at('batch.size')}: ${template.name} takes at most ${template.batch.max} records per call`);
  }
  if (job.mode === 'mirror' && !template.inverse) {
    problems.push(
      `${at('mode')}: mirror undoes records that left the source, and ${template.name} has no inverse. Templates with one: ${writebackTemplates.filter((t) => t.inverse).map((t) => t.name).join(', ')}`,
    );
  }
  return problems;
}

/** A custom target `{ method, path }`: its key, templates, paths, batch grouping and inverse. */
function customTargetProblems(job: Record<string, unknown>, target: Record<string, unknown>, at: At): string[] {
  const problems: string[] = [];
  if (job.key === undefined) problems.push(`${at('key')}: is required with a custom target (the columns that identify a record)`);
  if (job.body !== undefined && job.exclude !== undefined) problems.push(`${at('exclude')}: give either body (an explicit field map) or exclude (the record without these columns), not both`);
  const check = (value: unknown, key: string) => {
    try {
      if (typeof value === 'string') parseTemplate(value);
      else if (value !== undefined) placeholdersIn(value);
    } catch (error) {
      if (error instanceof TemplateError) problems.push(`${at(key)}: ${error.message}`);
      else throw error;
    }
  };
  check(target.path, 'target.path');
  check(job.body, 'body');
  const inverse = target.inverse && typeof target.inverse === 'object' ? (target.inverse as Record<string, unknown>) : undefined;
  for (const [key, value] of [['target.path', target.path], ['target.inverse.path', inverse?.path]] as const) {
    const problem = typeof value === 'string' ? templatePathProblem(value.trim()) : undefined;
    if (problem) problems.push(`${at(key)}: ${problem}`);
  }
  const batch = batchOf(job);
  if (typeof target.path === 'string' && batch) problems.push(...batchPathProblems(target.path, batch, at));
  if (job.mode === 'mirror' && !target.inverse) problems.push(`${at('mode')}: mirror needs target.inverse ({ method, path }) to undo records that left the source`);
  return problems;
}

/** A batch shares one path: every placeholder in it must be one of batch.groupBy. */
function batchPathProblems(path: string, batch: Record<string, unknown>, at: At): string[] {
  try {
    const groupBy = Array.isArray(batch.groupBy) ? (batch.groupBy as string[]) : [];
    const varying = placeholdersOf(path).filter((p) => !groupBy.includes(p));
    return varying.length > 0 ? [`${at('target.path')}: {${varying.join('}, {')}} can differ between the records of one batch; add ${varying.join(', ')} to batch.groupBy`] : [];
  } catch {
    return []; // reported by the template check
  }
}
