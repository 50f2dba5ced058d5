import { UsageError } from '../cli-errors.js';
import { namespaceFlags } from '../config.js';
import { connectionLossOf } from '../db/client.js';
import { HubError } from '../hub/errors.js';
import { abortInterruptedRuns } from '../scheduler/runs.js';
import { renderTable } from '../format.js';
import type { SyncOptions } from '../sync/context.js';
import { PlanError } from '../sync/plan.js';
import { terminalProgress } from '../sync/progress.js';
import { parseInstant } from '../sync/windows.js';
import { runSync, type SliceReport, type SyncSummary } from '../sync/runner.js';
import { sliceTotals } from '../sync/totals.js';
import { openMigratedDatabase, type CommandContext } from './context.js';
import { hubClientsFromConfig } from './hub.js';
import { applyCustomViews, buildRegistry } from '../custom/registry.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function instantFlag(value: unknown, flag: string): string {
  const text = String(value);
  const parsed = parseInstant(text);
  if (parsed === undefined) {
    throw new UsageError(
      `${flag} "${text}" is not a date or timestamp that exists (ISO 8601, e.g. 2025-01-01 or 2025-01-01T12:00:00Z; times without an offset are UTC).`,
    );
  }
  return new Date(parsed).toISOString();
}

/** Flags → SyncOptions, with every mistake named. */
export function syncOptionsFromFlags(values: Values, now = new Date()): SyncOptions {
  const options: SyncOptions = {};
  if (typeof values.only === 'string') {
    options.only = values.only.split(',').map((s) => s.trim()).filter(Boolean);
  }
  if (Array.isArray(values.namespace)) options.namespaces = namespaceFlags(values.namespace);
  options.full = values.full === true;
  options.dryRun = values['dry-run'] === true;
  if (values.backfill) {
    if (!values.from) throw new UsageError('--backfill needs --from <ISO date>, e.g. --backfill --from 2025-01-01.');
    const from = instantFlag(values.from, '--from');
    const to = values.to ? instantFlag(values.to, '--to') : now.toISOString();
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
  const held = summary.slices.filter((r) => r.heldBy !== undefined);
  const failures = summary.slices
    .filter((r) => r.status === 'failed')
    .map((r) => `  ${r.endpoint} ${r.slice}: ${r.error ?? 'failed'}`);
  return [
    table,
    '',
    `${summary.requests} requests in ${(summary.durationMs / 1000).toFixed(1)}s; ${summary.failed} slice(s) failed.`,
    ...(summary.held > 0 ? [`${summary.held} slice(s) skipped: another process was running them (${[...new Set(held.map((r) => r.heldBy))].join(', ')}).`] : []),
    ...(failures.length > 0 ? ['', 'Failures:', ...failures] : []),
  ].join('\n');
}

export async function syncCommand(ctx: CommandContext, values: Values): Promise<number> {
  const options = syncOptionsFromFlags(values);
  const registry = buildRegistry(ctx.config);
  const database = await openMigratedDatabase(ctx);
  await applyCustomViews(database, registry, ctx.config, ctx.logger).catch((error: unknown) => {
    ctx.logger.warn({ err: error }, 'could not bring the custom endpoint views up to date');
  });
  const clients = hubClientsFromConfig(ctx.config, ctx.env, ctx.logger);
  // A pass that lost its database could not record how its runs ended; they end here.
  const repaired = await abortInterruptedRuns(database, new Date()).catch((error: unknown) => {
    ctx.logger.warn({ err: error }, 'could not check for runs left running by an earlier process');
    return 0;
  });
  if (repaired > 0) ctx.logger.warn({ runs: repaired }, 'runs left running by an earlier process were marked aborted');
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
        registry,
        ...(tty ? { progress: terminalProgress(process.stderr as NodeJS.WriteStream) } : {}),
      },
      { ...options, signal: controller.signal },
    );
    ctx.stdout.write(`${options.dryRun ? 'Dry run: nothing was written. ' : ''}${renderSummary(summary)}\n`);
    return summary.failed > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof PlanError || error instanceof RangeError) throw new UsageError(error.message);
    // A Hub network error carries the same socket codes; it is not the database's.
    const lost = error instanceof HubError ? undefined : connectionLossOf(error);
    if (lost) {
      throw new Error(
        `lost the connection to the database at ${database.location}: ${lost}. The pass stopped; runs it could not record are marked aborted at the next start.`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await clients.close();
    // A pool whose server is gone must not keep the process from reporting and exiting.
    await Promise.race([database.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  }
}
