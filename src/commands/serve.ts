import { createRequire } from 'node:module';
import { UsageError } from '../cli-errors.js';
import { ConfigError } from '../config.js';
import { migrationJournal } from '../db/migrate.js';
import { applyCustomViews, buildRegistry, scheduleOverrides } from '../custom/registry.js';
import { planJobs } from '../scheduler/jobs.js';
import { abortInterruptedRuns, findMissedTicks, lastSuccessByEndpoint } from '../scheduler/runs.js';
import { createScheduler, type Tick } from '../scheduler/scheduler.js';
import { createTickRunner } from '../scheduler/tick.js';
import { createStatusServer } from '../server/http.js';
import { createMetrics } from '../server/metrics.js';
import { createReadinessProbe } from '../server/probe.js';
import { clearServePort, recordServePort } from '../server/serve-port.js';
import { renderStatusPage } from '../server/status-page.js';
import { openMigratedDatabase, type CommandContext } from './context.js';
import { hubClientsFromConfig } from './hub.js';
import { startSqlServer, type RunningSqlServer } from '../db/serve-socket.js';
import { embeddedClient } from '../db/sql.js';
import type { JobSpec } from '../scheduler/jobs.js';
import { tickTotals } from '../scheduler/tick.js';
import { resolveJob } from '../writeback/job.js';
import { runFailed } from '../writeback/report.js';
import { runJob } from '../writeback/runner.js';

/**
 * `serve`: the long-running service. Cron jobs per endpoint group, HTTP health and metrics, and
 * a graceful stop on SIGTERM/SIGINT: no new ticks, the running pass stops after its current page
 * (whose transaction commits), then the client, the database pool and the HTTP server close and
 * the process exits 0. A second signal exits at once with 130.
 */

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Seams for running the service inside a test process. */
export interface ServeHooks {
  /** Default: process.exit. Used for the second signal and a stuck shutdown. */
  exit?: (code: number) => void;
  /** Default: process. Where SIGTERM and SIGINT come from. */
  signals?: NodeJS.EventEmitter;
  /** Called once the HTTP server listens. */
  onListening?: (port: number) => void;
}

function packageVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function serveCommand(ctx: CommandContext, _values: Values = {}, _positionals: string[] = [], hooks: ServeHooks = {}): Promise<number> {
  const { config, logger } = ctx;
  const exit = hooks.exit ?? ((code: number) => process.exit(code));
  const signals = hooks.signals ?? process;

  // Everything that can be checked without a network call fails here, before anything starts.
  const registry = buildRegistry(config);
  const plan = planJobs(registry, scheduleOverrides(config, registry));
  if (plan.problems.length > 0) throw new ConfigError(plan.problems);
  if (config.namespaces.length === 0 && !config.hub.username && !(config.orgs && config.orgs.length > 0) && config.hub.credentials.length === 0) {
    throw new UsageError(
      'nothing to sync: set DOCKERHUB_NAMESPACES (users or organizations to read), or DOCKERHUB_USERNAME to read your own namespace.',
    );
  }

  const database = await openMigratedDatabase(ctx);
  await applyCustomViews(database, registry, config, logger).catch((error: unknown) => {
    logger.warn({ err: error }, 'could not bring the custom endpoint views up to date');
  });
  const metrics = createMetrics({ endpoints: registry });
  const clients = hubClientsFromConfig(config, ctx.env, logger, { onRequest: (event, credential) => metrics.observeHubRequest(event, credential) });
  let shuttingDown = false;

  const repaired = await abortInterruptedRuns(database, new Date());
  if (repaired > 0) logger.warn({ runs: repaired }, 'runs left running by a previous process were marked aborted');
  let repairPending = false;
  const repairRuns = async () => {
    try {
      const count = await abortInterruptedRuns(database, new Date());
      repairPending = false;
      if (count > 0) logger.warn({ runs: count }, 'runs left running by a lost database connection were marked aborted');
    } catch {
      repairPending = true;
    }
  };
  for (const [endpoint, at] of await lastSuccessByEndpoint(database)) metrics.setLastSuccess(endpoint, at);

  const lastProgress = new Map<string, Date>();
  const runTick = createTickRunner(
    { database, client: clients.fallback.client, clients, logger, config, namespaceKinds: new Map(), registry },
    { ...metrics.observer, pageFinished: (tick) => lastProgress.set(tick.job.name, new Date()) },
  );
  // Write-back jobs with a `schedule` run beside the sync jobs, named `writeback:<job>`.
  const writebackJobs: JobSpec[] = config.writeback.flatMap((job, i) =>
    job.schedule ? [{ name: `writeback:${job.name}`, schedule: job.schedule, scheduleSource: `writeback[${i}].schedule`, endpoints: [] }] : [],
  );
  const runWriteback = async (tick: Tick, signal: AbortSignal): Promise<string> => {
    const entry = config.writeback.find((job) => `writeback:${job.name}` === tick.job.name)!;
    const log = logger.child({ job: tick.job.name, runGroup: tick.runGroup });
    const started = Date.now();
    metrics.observer.tickStarted?.(tick);
    let outcome: 'succeeded' | 'failed' | 'aborted' | 'error';
    try {
      const summary = await runJob(
        { database, clientFor: (scope) => (scope ? clients.forScope(scope) : clients.fallback).client, baseUrl: new URL(config.hub.apiUrl), readOnly: { readerRole: config.databaseReaderRole, statementTimeoutMs: config.databaseStatementTimeout }, logger: log },
        resolveJob(entry),
        { signal },
      );
      metrics.observeWriteback(summary);
      outcome = signal.aborted ? 'aborted' : runFailed(summary) ? 'failed' : 'succeeded';
      const { plan: _plan, failures, ...totals } = summary;
      (outcome === 'succeeded' ? log.info.bind(log) : log.warn.bind(log))({ ...totals, failures: failures.slice(0, 20) }, 'write-back tick finished');
    } catch (error) {
      outcome = signal.aborted ? 'aborted' : 'error';
      log.error({ err: error }, `write-back job ${entry.name} could not run: ${(error as Error).message}`);
    }
    metrics.observer.tickFinished?.(tick, outcome, tickTotals([]), Date.now() - started);
    return outcome;
  };
  const scheduler = createScheduler({
    jobs: [...plan.jobs, ...writebackJobs],
    logger,
    runTick: async (tick, signal) => {
      if (tick.job.name.startsWith('writeback:')) return runWriteback(tick, signal);
      if (repairPending) await repairRuns();
      const outcome = await runTick(tick, signal);
      // A tick that could not finish (the database went away) may have left its run 'running'
      // with nobody to record the end; once the database answers again, record it.
      if (outcome === 'error' || outcome === 'failed') await repairRuns();
      return outcome;
    },
    onMissedTick: (job) => metrics.missedTick(job.name),
  });
  metrics.bind({ hubStats: () => clients.statsByCredential(), jobStates: () => scheduler.states(), nextRun: (job) => scheduler.nextRun(job) });

  const version = packageVersion();
  const server = createStatusServer(
    {
      readiness: createReadinessProbe({
        database,
        scheduler,
        expectedMigrations: migrationJournal().entries.length,
        shuttingDown: () => shuttingDown,
        lastProgress: (job) => lastProgress.get(job),
        stallLimitMs: config.readyzStallLimit,
      }),
      metrics: () => metrics.render(),
      statusPage: async () =>
        renderStatusPage({
          version,
          startedAt: scheduler.startedAt,
          database: database.location,
          jobs: scheduler.states(),
          nextRun: (job) => scheduler.nextRun(job),
          now: new Date(),
        }),
    },
    logger,
  );

  let port: number;
  try {
    port = (await server.listen(config.port)).port;
  } catch (error) {
    await clients.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EADDRINUSE'
        ? `port ${config.port} is already in use; set PORT (or --port) to a free one`
        : `cannot listen on port ${config.port}: ${(error as Error).message}`,
    );
  }
  hooks.onListening?.(port);

  // SQL_PORT: the embedded database on a Postgres port, sharing the one PGlite with the sync.
  let sqlServer: RunningSqlServer | undefined;
  if (config.sqlPort !== undefined) {
    if (database.kind === 'pglite') {
      try {
        sqlServer = await startSqlServer(embeddedClient(database), {
          port: config.sqlPort,
          host: config.sqlHost,
          logger,
          dataDir: config.dataDir,
          maxConnections: config.sqlMaxConnections,
          idleTimeoutMs: config.sqlIdleTimeout,
        });
      } catch (error) {
        await server.close();
        await clients.close().catch(() => undefined);
        await database.close().catch(() => undefined);
        throw error;
      }
      logger.info({ url: sqlServer.url }, `SQL on ${sqlServer.url} (psql, Grafana and other Postgres clients)`);
    } else {
      logger.warn('SQL_PORT is ignored: DATABASE_URL is set, so clients connect to that Postgres directly');
    }
  }

  try {
    recordServePort(port);
  } catch (error) {
    logger.warn({ err: error }, 'could not note the HTTP port for `dockerhub-sync healthcheck`; it asks PORT instead');
  }

  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const shutdown = async (signal: string): Promise<number> => {
    logger.info(
      { signal, timeoutMs: config.shutdownTimeout, running: scheduler.states().filter((s) => s.running).map((s) => s.job.name) },
      'shutting down: no new ticks; a running pass stops after its current page',
    );
    const stopped = await scheduler.stop(config.shutdownTimeout);
    if (!stopped.drained) {
      logger.error(
        { stillRunning: stopped.stillRunning, timeoutMs: config.shutdownTimeout },
        'shutdown timeout: jobs still running are abandoned; their runs are marked aborted at the next start',
      );
    }
    await clients.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the Docker Hub client failed'));
    await sqlServer?.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the SQL port failed'));
    // A stuck query would keep the pool from ending; do not wait for it forever.
    await Promise.race([
      database.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the database failed')),
      new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
    ]);
    await server.close();
    clearServePort();
    logger.info({ drained: stopped.drained }, 'stopped');
    return stopped.drained ? 0 : 1;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal: exiting at once');
      logger.flush?.();
      exit(130);
      return;
    }
    shuttingDown = true;
    void shutdown(signal).then(
      (code) => finish(code),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        finish(1);
      },
    );
  };
  signals.on('SIGTERM', onSignal);
  signals.on('SIGINT', onSignal);

  scheduler.start();
  logger.info(
    {
      port,
      database: database.location,
      jobs: [...plan.jobs, ...writebackJobs].map((job) => ({
        name: job.name,
        schedule: job.schedule,
        from: job.scheduleSource,
        endpoints: job.endpoints,
        next: scheduler.nextRun(job.name)?.toISOString() ?? null,
      })),
    },
    `serving on port ${port}: /healthz /readyz /metrics`,
  );

  // A job whose last scheduled time passed without a run (first start, or down through a tick)
  // runs now, in that tick's run group, instead of waiting a whole period.
  void findMissedTicks(database, plan.jobs, new Date()).then(
    (missed) => {
      for (const { job, scheduledAt } of missed) {
        if (shuttingDown) break;
        logger.info({ job, scheduledAt: scheduledAt.toISOString() }, 'catching up a missed tick');
        void scheduler.runNow(job, scheduledAt, 'catch-up');
      }
    },
    (error: unknown) => logger.warn({ err: error }, 'could not check for missed ticks; waiting for the schedule'),
  );

  const code = await finished;
  signals.off('SIGTERM', onSignal);
  signals.off('SIGINT', onSignal);
  // Everything is closed; if a stuck tick still holds the event loop, do not hang around.
  setTimeout(() => exit(code), 5_000).unref();
  return code;
}
