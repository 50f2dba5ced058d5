import { UsageError } from '../cli-errors.js';
import { renderTable } from '../format.js';
import type { SyncOptions } from '../sync/context.js';
import { PlanError } from '../sync/plan.js';
import { terminalProgress } from '../sync/progress.js';
import { runSync, type SliceReport, type SyncSummary } from '../sync/runner.js';
import { sliceTotals } from '../sync/totals.js';
import { openMigratedDatabase, type CommandContext } from './context.js';
import { hubClientsFromConfig } from './hub.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function parseInstant(value: unknown, flag: string): string {
  const text = String(value);
  // A bare date means midnight UTC.
  const parsed = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(parsed)) throw new UsageError(`${flag} "${text}" is not a date or timestamp (e.g. 2025-01-01 or 2025-01-01T12:00:00Z).`);
  return new Date(parsed).toISOString();
}

/** Flags → SyncOptions, with every mistake named. */
export function syncOptionsFromFlags(values: Values, now = new Date()): SyncOptions {
  const options: SyncOptions = {};
  if (typeof values.only === 'string') {
    options.only = values.only.split(',').map((s) => s.trim()).filter(Boolean);
  }
  if (Array.isArray(values.namespace)) options.namespaces = values.namespace.map(String);
  options.full = values.full === true;
  options.dryRun = values['dry-run'] === true;
  if (values.backfill) {
    if (!values.from) throw new UsageError('--backfill needs --from <ISO date>, e.g. --backfill --from 2025-01-01.');
    const from = parseInstant(values.from, '--from');
    const to = values.to ? parseInstant(values.to, '--to') : now.toISOString();
    if (Date.parse(from) >= Date.parse(to)) throw new UsageError(`--from (${from}) must be before --to (${to}).`);
    options.backfill = { from, to };
  } else if (values.from || values.to) {
    throw new UsageError('--from and --to only apply with --backfill.');
  }
  if (options.backfill && options.full) throw new UsageError('--backfill and --full cannot be combined.');
  return options;
}

export function renderSummary(summary: SyncSummary): string {
  const byEndpoint = new Map<string, SliceReport[]>();
  for (const report of summary.slices) byEndpoint.set(report.endpoint, [...(byEndpoint.get(report.endpoint) ?? []), report]);
  const table = renderTable(
    ['endpoint', 'slices', 'failed', 'requests', 'pages', 'inserted', 'updated', 'deleted', 'invalid'],
    [...byEndpoint.entries()].map(([name, reports]) => {
      const e = sliceTotals(reports);
      return [name, e.slices, e.failed, e.requests, e.pages, e.inserted, e.updated, e.deleted, e.invalid];
    }),
  );
  const failures = summary.slices
    .filter((r) => r.status === 'failed')
    .map((r) => `  ${r.endpoint} ${r.slice}: ${r.error ?? 'failed'}`);
  return [
    table,
    '',
    `${summary.requests} requests in ${(summary.durationMs / 1000).toFixed(1)}s; ${summary.failed} slice(s) failed.`,
    ...(failures.length > 0 ? ['', 'Failures:', ...failures] : []),
  ].join('\n');
}

export async function syncCommand(ctx: CommandContext, values: Values): Promise<number> {
  const options = syncOptionsFromFlags(values);
  const database = await openMigratedDatabase(ctx);
  const clients = hubClientsFromConfig(ctx.config, ctx.env, ctx.logger);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const tty = Boolean((process.stderr as NodeJS.WriteStream).isTTY) && values['no-progress'] !== true;
    const summary = await runSync(
      {
        database,
        client: clients.fallback.client,
        clients,
        logger: ctx.logger,
        config: ctx.config,
        ...(tty ? { progress: terminalProgress(process.stderr as NodeJS.WriteStream) } : {}),
      },
      { ...options, signal: controller.signal },
    );
    ctx.stdout.write(`${options.dryRun ? 'Dry run: nothing was written. ' : ''}${renderSummary(summary)}\n`);
    return summary.failed > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof PlanError || error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await clients.close();
    await database.close();
  }
}
