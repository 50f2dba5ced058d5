import { UsageError } from '../cli-errors.js';
import { resolveJob } from '../writeback/job.js';
import { renderPlan, renderSummary, runFailed } from '../writeback/report.js';
import { runJob } from '../writeback/runner.js';
import { openMigratedDatabase, type CommandContext } from './context.js';
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
  const job = resolveJob(entry);
  const database = await openMigratedDatabase(ctx);
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
        signal: controller.signal,
        // The only place a new secret is ever shown: this terminal, once, when asked for.
        onSecret: (found) => {
          if (reveal) ctx.stdout.write(`new secret for ${found.key} (${found.action}, ${found.fingerprint}): ${found.secret}\n`);
          else ctx.stdout.write(`new secret for ${found.key} (${found.action}) stored only as ${found.fingerprint}; run with --reveal-secrets to see new secrets once\n`);
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
