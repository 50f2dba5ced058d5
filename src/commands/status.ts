import { readSchemaState, readStatus } from '../db/status.js';
import { buildRegistry, scheduleOverrides } from '../custom/registry.js';
import { relativeTime, renderTable } from '../format.js';
import { endpointSchedules, planJobs } from '../scheduler/jobs.js';
import { openDatabase } from '../db/client.js';
import { scopeMap, scopeOfSlice } from '../hub/credentials.js';
import { databaseOptions, type CommandContext } from './context.js';
import { nextRunOf } from '../scheduler/cron.js';
import { readWritebackStatus } from '../writeback/status.js';
import { organizationReadLines } from './status-orgs.js';

/** How long until `date`, short: in 45s, in 12m, in 3h, in 2d. */
export function untilTime(date: Date | null, now = Date.now()): string {
  if (!date) return 'never';
  const seconds = Math.max(0, Math.round((date.getTime() - now) / 1000));
  if (seconds < 90) return `in ${seconds}s`;
  if (seconds < 5400) return `in ${Math.round(seconds / 60)}m`;
  if (seconds < 129600) return `in ${Math.round(seconds / 3600)}h`;
  return `in ${Math.round(seconds / 86400)}d`;
}

export async function statusCommand(ctx: CommandContext, flags: { json?: boolean | undefined }): Promise<number> {
  // Next runs come from the same schedules `serve` would use; nothing is started.
  const now = new Date();
  const registry = buildRegistry(ctx.config);
  const plan = planJobs(registry, scheduleOverrides(ctx.config, registry), now);
  const schedules = endpointSchedules(plan, now);
  // Which credential serves a slice, from the configuration (the username, never the secret).
  const served = scopeMap(ctx.config.hub.credentials);
  const fallback = ctx.config.hub.username ?? 'anonymous';
  const credentialOf = (sliceKey: string) => (sliceKey ? (served.get(scopeOfSlice({ key: sliceKey })) ?? fallback) : null);
  // Read-only: it may run as the read-only role, so it neither migrates nor waits for the
  // migration lock; a database that is behind this build is reported as such.
  const database = await openDatabase({ ...databaseOptions(ctx), readOnly: true });
  try {
    const schema = await readSchemaState(database);
    if (!schema.migrated) return notMigrated(ctx, database.location, schema, flags.json === true);
    const rows = (await readStatus(database, registry.map((e) => e.name))).map((row) => {
      const schedule = schedules.get(row.endpoint);
      return {
        ...row,
        credential: credentialOf(row.slice_key),
        job: schedule?.job ?? null,
        schedule: schedule?.schedule ?? null,
        next_run_at: schedule?.nextRun?.toISOString() ?? null,
      };
    });
    // Write-back jobs, shaped like endpoint rows (`writeback:<job>`); rows are the records sent by the last run.
    const jobs = ctx.config.writeback;
    for (const row of await readWritebackStatus(database, jobs.map((j) => j.name))) {
      const job = jobs.find((j) => `writeback:${j.name}` === row.endpoint)!;
      const next = job.schedule ? nextRunOf(job.schedule, now) : null;
      rows.push({ ...row, credential: null, job: job.schedule ? row.endpoint : null, schedule: job.schedule ?? null, next_run_at: next?.toISOString() ?? null });
    }
    if (flags.json) {
      ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    } else {
      const never = rows.every((row) => row.last_run_at === null);
      ctx.stdout.write(
        `${renderTable(
          ['endpoint', 'slice', 'last run', 'result', 'rows', 'last success', 'next run', 'cursor', 'credential'],
          rows.map((row) => [
            row.endpoint,
            row.slice_key || '-',
            row.last_run_at ? relativeTime(row.last_run_at) : 'never synced',
            row.last_status ?? '-',
            row.rows_written ?? '-',
            row.last_success_at ? relativeTime(row.last_success_at) : '-',
            row.schedule ? `${untilTime(row.next_run_at ? new Date(row.next_run_at) : null, now.getTime())} (${row.job})` : '-',
            summarizeCursor(row.cursor),
            row.credential ?? '-',
          ]),
        )}\n`,
      );
      const orgLines = await organizationReadLines(database, ctx.config, now);
      if (orgLines.length > 0) ctx.stdout.write(`\nOrganization listings (the organization job):\n${orgLines.map((line) => `  ${line}`).join('\n')}\n`);
      if (never) ctx.stdout.write(`\nNothing has been synced into ${database.location} yet. Run \`dockerhub-sync sync\`, or \`dockerhub-sync serve\`.\n`);
      ctx.stdout.write(`\nNext runs are for \`serve\`: ${plan.jobs.map((job) => `${job.name} "${job.schedule}"`).join(', ')} (UTC).\n`);
    }
    if (plan.problems.length > 0) {
      ctx.stderr.write(`Warning: \`serve\` would refuse these schedules:\n${plan.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    }
    return 0;
  } finally {
    await database.close();
  }
}

/** `status` on a database that is behind this build: what it lacks and how to migrate it; exit 1. */
function notMigrated(ctx: CommandContext, location: string, schema: Awaited<ReturnType<typeof readSchemaState>>, json: boolean): number {
  const what =
    schema.applied === null
      ? `lacks tables of this build (${schema.missingTables.join(', ')})`
      : schema.applied === 0
        ? 'has no dockerhub-sync schema yet'
        : `has ${schema.applied} of ${schema.total} migrations`;
  const report = { migrated: false, location, applied: schema.applied, total: schema.total, pending: schema.pending, missingTables: schema.missingTables };
  if (json) ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    ctx.stdout.write(
      `Not migrated: ${location} ${what}.${schema.pending.length > 0 ? ` Pending: ${schema.pending.join(', ')}.` : ''}\n` +
        'Run `dockerhub-sync migrate` (or start `sync` or `serve`, which migrate first) as the role that owns the schema.\n',
    );
  }
  return 1;
}

function summarizeCursor(cursor: unknown): string {
  if (cursor === null || cursor === undefined) return '-';
  const text = typeof cursor === 'string' ? cursor : JSON.stringify(cursor);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
