import { UsageError } from '../cli-errors.js';
import { resolveJob } from '../writeback/job.js';
import { renderPlan, renderSummary, runFailed } from '../writeback/report.js';
import { runJob } from '../writeback/runner.js';
import { openDatabase, type Database } from '../db/client.js';
import { readMigrationState } from '../db/migrate.js';
import { databaseOptions, openMigratedDatabase, type CommandContext } from './context.js';
import { hubClientsFromConfig } from './hub.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** `push <job>`: run one write-back job of the config file (or print its plan). */
export async function pushCommand(ctx: CommandContext, values: Values, positionals: string[]): Promise<number> {
  const name = positionals[0]!;
  const jobs = ctx.config.writeback;
  const entry = jobs.find((j) => j.name === name);
  if (!entry) {
    throw new UsageError(
      jobs.length === 0
        ? `there is no write-back job "${name}": the config has no writeback section (pass the config file with --config).`
        : `there is no write-back job "${name}". Jobs: ${jobs.map((j) => j.name).join(', ')}.`,
    );
  }
  const plan = values.plan === true || values['dry-run'] === true;
  if (plan && (values['retry-unknown'] || values.validate)) throw new UsageError('--plan/--dry-run sends nothing; it cannot be combined with --retry-unknown or --validate.');
  const allowRemovals = values['allow-removals'] === undefined ? undefined : Number(values['allow-removals']);
  if (allowRemovals !== undefined && (!Number.isInteger(allowRemovals) || allowRemovals < 0)) {
    throw new UsageError(`--allow-removals takes the number of removals this run may make (a whole number), not "${String(values['allow-removals'])}".`);
  }
  if (allowRemovals !== undefined && entry.mode !== 'mirror') throw new UsageError(`--allow-removals is for mirror jobs; ${name} is mode: ${entry.mode} and removes nothing.`);
  const job = resolveJob(entry);
  const database = plan ? await openForPlan(ctx) : await openMigratedDatabase(ctx);
  const clients = hubClientsFromConfig(ctx.config, ctx.env, ctx.logger);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const reveal = values['reveal-secrets'] === true;
    const summary = await runJob(
      { database, clientFor: (scope) => (scope ? clients.forScope(scope) : clients.fallback).client, baseUrl: new URL(ctx.config.hub.apiUrl), readOnly: { readerRole: ctx.config.databaseReaderRole, statementTimeoutMs: ctx.config.databaseStatementTimeout }, logger: ctx.logger },
      job,
      {
        plan,
        retryUnknown: values['retry-unknown'] === true,
        validate: values.validate === true,
        ...(allowRemovals !== undefined ? { allowRemovals } : {}),
        signal: controller.signal,
        // The only place a new secret is ever shown: this terminal, once, when asked for.
        onSecret: (found) => {
          if (reveal) ctx.stdout.write(`new secret for ${found.key} (${found.action}, ${found.fingerprint}): ${found.secret}\n`);
          else ctx.stdout.write(`${hiddenSecretNotice(name, found)}\n`);
        },
      },
    );
    if (plan) {
      ctx.stdout.write(`${renderPlan(summary)}\n`);
      return 0;
    }
    ctx.stdout.write(`${values.validate ? 'Validation (API dry run; nothing changed): ' : ''}${renderSummary(summary)}\n`);
    return runFailed(summary) ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await clients.close();
    await Promise.race([database.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  }
}

/**
 * A plan writes nothing: it neither creates an embedded database nor migrates one. A schema
 * behind this build is reported (with what to run) instead of being brought up to date.
 */
async function openForPlan(ctx: CommandContext): Promise<Database> {
  const database = await openDatabase({ ...databaseOptions(ctx), readOnly: true });
  try {
    const state = await readMigrationState(database);
    if (state.pending.length > 0) {
      throw new Error(
        `the database ${database.location} is behind this build (${state.applied} of ${state.total} migrations applied; pending: ${state.pending.join(', ')}). ` +
          'A plan writes nothing, so it does not migrate: run `dockerhub-sync migrate` (or a `sync`) first, then plan again.',
      );
    }
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
  return database;
}

/**
 * A new secret that was not revealed is gone: the next run finds the token in place and sends
 * nothing, so the only way to see a secret is on the run that creates it.
 */
export function hiddenSecretNotice(job: string, found: { key: string; action: string; fingerprint: string }): string {
  return (
    `new secret for ${found.key} (${found.action}) stored only as ${found.fingerprint}; it is not shown and cannot be shown later: ` +
    `a secret can be shown only on the run that creates it (\`push ${job} --reveal-secrets\`). ` +
    'To get one now, delete this token (in Docker Hub, or with the matching .delete template) and create it again with --reveal-secrets.'
  );
}
