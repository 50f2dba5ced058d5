import { createRequire } from 'node:module';
import { UsageError } from '../cli-errors.js';
import { ConfigError, serveConfig } from '../config.js';
import type { Database } from '../db/client.js';
import { migrationJournal } from '../db/migrate.js';
import { startSqlServer, type RunningSqlServer } from '../db/serve-socket.js';
import { embeddedClient } from '../db/sql.js';
import { applyCustomViews, buildRegistry, scheduleOverrides } from '../custom/registry.js';
import type { EndpointDefinition } from '../sync/context.js';
import type { HubClientSet } from '../hub/client-set.js';
import { planJobs, type JobSpec } from '../scheduler/jobs.js';
import { abortInterruptedRuns, findMissedTicks, lastSuccessByEndpoint, repairingRuns } from '../scheduler/runs.js';
import { createScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { createHintQueue, type HintQueue } from '../scheduler/hints.js';
import { createTickRunner } from '../scheduler/tick.js';
import { createWritebackTickRunner, routeTicks, writebackJobs } from '../scheduler/writeback.js';
import { createStatusServer, type StatusServer } from '../server/http.js';
import { createMetrics, type Metrics } from '../server/metrics.js';
import { createReadinessProbe } from '../server/probe.js';
import { clearServePort, recordServePort } from '../server/serve-port.js';
import { renderStatusPage } from '../server/status-page.js';
import { createWebhookHandler } from '../server/webhook.js';
import { openMigratedDatabase, type CommandContext } from './context.js';
import { hubClientsFromConfig } from './hub.js';

/**
 * `serve`: the long-running service. Cron jobs per endpoint group (and scheduled write-back
 * jobs), HTTP health and metrics, and a graceful stop on SIGTERM/SIGINT: no new ticks, the
 * running pass stops after its current page (whose transaction commits), then the client, the
 * database pool and the HTTP server close and the process exits 0. A second signal exits at
 * once with 130.
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
  const { registry, plan } = checkServable(ctx.config);
  const service = await startService(ctx, registry, plan.jobs);
  const port = await listen(ctx, service);
  hooks.onListening?.(port);
  service.sqlServer = await startSqlPort(ctx, service);
  try {
    recordServePort(port);
  } catch (error) {
    ctx.logger.warn({ err: error }, 'could not note the HTTP port for `dockerhub-sync healthcheck`; it asks PORT instead');
  }
  const exit = hooks.exit ?? ((code: number) => process.exit(code));
  const signals = hooks.signals ?? process;
  const stopped = untilSignalled(ctx, service, signals, exit);
  service.scheduler.start();
  logServing(ctx, service, port);
  catchUpMissedTicks(ctx, service, plan.jobs);
  const code = await stopped;
  // Everything is closed; if a stuck tick still holds the event loop, do not hang around.
  setTimeout(() => exit(code), 5_000).unref();
  return code;
}

/** Everything that can be checked without a network call fails here, before anything starts. */
function checkServable(config: CommandContext['config']) {
  const registry = buildRegistry(config);
  const plan = planJobs(registry, scheduleOverrides(config, registry));
  if (plan.problems.length > 0) throw new ConfigError(plan.problems);
  if (config.namespaces.length === 0 && !config.hub.username && !(config.orgs && config.orgs.length > 0) && config.hub.credentials.length === 0) {
    throw new UsageError(
      'nothing to sync: set DOCKERHUB_NAMESPACES (users or organizations to read), or DOCKERHUB_USERNAME to read your own namespace.',
    );
  }
  return { registry, plan };
}

/** What the service holds while it runs, closed in order by `shutdown`. */
interface Service {
  database: Database;
  clients: HubClientSet;
  metrics: Metrics;
  scheduler: Scheduler;
  server: StatusServer;
  sqlServer?: RunningSqlServer | undefined;
  /** Webhook hints (WEBHOOK_SECRET set): reads of a pushed repository, now. */
  hints?: HintQueue | undefined;
  /** The sync jobs and the scheduled write-back jobs. */
  jobs: JobSpec[];
  shuttingDown: boolean;
}

async function startService(ctx: CommandContext, registry: EndpointDefinition[], syncJobs: JobSpec[]): Promise<Service> {
  const { config, logger } = ctx;
  const database = await openMigratedDatabase(ctx);
  await applyCustomViews(database, registry, config, logger).catch((error: unknown) => {
    logger.warn({ err: error }, 'could not bring the custom endpoint views up to date');
  });
  const metrics = createMetrics({ endpoints: registry });
  const clients = hubClientsFromConfig(config, ctx.env, logger, { onRequest: (event, credential) => metrics.observeHubRequest(event, credential) });
  const repaired = await abortInterruptedRuns(database, new Date());
  if (repaired > 0) logger.warn({ runs: repaired }, 'runs left running by a previous process were marked aborted');
  for (const [endpoint, at] of await lastSuccessByEndpoint(database)) metrics.setLastSuccess(endpoint, at);

  const lastProgress = new Map<string, Date>();
  const syncDeps = { database, client: clients.fallback.client, clients, logger, config: serveConfig(config), namespaceKinds: new Map(), registry };
  const runSyncTick = createTickRunner(syncDeps, { ...metrics.observer, pageFinished: (tick) => lastProgress.set(tick.job.name, new Date()) });
  const hints = config.webhookSecret ? createHintQueue({ deps: syncDeps, onRead: (_hint, outcome) => metrics.observeWebhook({ read: outcome }) }) : undefined;
  const runWritebackTick = createWritebackTickRunner({ database, clients, config, logger }, { ...metrics.observer, runFinished: (summary) => metrics.observeWriteback(summary) });
  const jobs = [...syncJobs, ...writebackJobs(config)];
  const scheduler = createScheduler({
    jobs,
    logger,
    runTick: routeTicks(repairingRuns(runSyncTick, database, logger), runWritebackTick),
    onMissedTick: (job) => metrics.missedTick(job.name),
  });
  metrics.bind({ hubStats: () => clients.statsByCredential(), jobStates: () => scheduler.states(), nextRun: (job) => scheduler.nextRun(job) });
  const service = { database, clients, metrics, scheduler, jobs, hints, shuttingDown: false };
  return Object.assign(service, { server: statusServer(ctx, service, lastProgress) });
}

function statusServer(ctx: CommandContext, service: Omit<Service, 'server'>, lastProgress: Map<string, Date>): StatusServer {
  const { database, scheduler, metrics } = service;
  const version = packageVersion();
  return createStatusServer(
    {
      readiness: createReadinessProbe({
        database,
        scheduler,
        expectedMigrations: migrationJournal().entries.length,
        shuttingDown: () => service.shuttingDown,
        lastProgress: (job) => lastProgress.get(job),
        stallLimitMs: ctx.config.readyzStallLimit,
      }),
      metrics: () => metrics.render(),
      webhook:
        ctx.config.webhookSecret && service.hints
          ? createWebhookHandler({ secret: ctx.config.webhookSecret, offer: service.hints.offer, observe: (event) => metrics.observeWebhook(event), logger: ctx.logger })
          : undefined,
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
    ctx.logger,
  );
}

async function closeQuietly(service: Service): Promise<void> {
  await service.clients.close().catch(() => undefined);
  await service.database.close().catch(() => undefined);
}

async function listen(ctx: CommandContext, service: Service): Promise<number> {
  const { port } = ctx.config;
  try {
    return (await service.server.listen(port)).port;
  } catch (error) {
    await closeQuietly(service);
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EADDRINUSE' ? `port ${port} is already in use; set PORT (or --port) to a free one` : `cannot listen on port ${port}: ${(error as Error).message}`,
    );
  }
}

/** SQL_PORT: the embedded database on a Postgres port, sharing the one PGlite with the sync. */
async function startSqlPort(ctx: CommandContext, service: Service): Promise<RunningSqlServer | undefined> {
  const { config, logger } = ctx;
  const { database } = service;
  if (config.sqlPort === undefined) return undefined;
  if (database.kind !== 'pglite') {
    logger.warn('SQL_PORT is ignored: DATABASE_URL is set, so clients connect to that Postgres directly');
    return undefined;
  }
  let sqlServer: RunningSqlServer;
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
    await service.server.close();
    await closeQuietly(service);
    throw error;
  }
  logger.info({ url: sqlServer.url }, `SQL on ${sqlServer.url} (psql, Grafana and other Postgres clients)`);
  return sqlServer;
}

/**
 * Waits for SIGTERM or SIGINT, shuts down, and resolves with the exit code. A second signal
 * exits at once with 130.
 */
async function untilSignalled(ctx: CommandContext, service: Service, signals: NodeJS.EventEmitter, exit: (code: number) => void): Promise<number> {
  const { logger } = ctx;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (service.shuttingDown) {
      logger.warn({ signal }, 'second signal: exiting at once');
      logger.flush?.();
      exit(130);
      return;
    }
    service.shuttingDown = true;
    void shutdown(ctx, service, signal).then(finish, (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      finish(1);
    });
  };
  signals.on('SIGTERM', onSignal);
  signals.on('SIGINT', onSignal);
  const code = await finished;
  signals.off('SIGTERM', onSignal);
  signals.off('SIGINT', onSignal);
  return code;
}

/**
 * No new ticks, the running pass stops after its current page, then the clients, the SQL port,
 * the database pool and the HTTP server close. 0 when every tick stopped in time.
 */
async function shutdown(ctx: CommandContext, service: Service, signal: string): Promise<number> {
  const { config, logger } = ctx;
  const { scheduler } = service;
  logger.info(
    { signal, timeoutMs: config.shutdownTimeout, running: scheduler.states().filter((s) => s.running).map((s) => s.job.name) },
    'shutting down: no new ticks; a running pass stops after its current page',
  );
  const [stopped] = await Promise.all([scheduler.stop(config.shutdownTimeout), service.hints?.stop(config.shutdownTimeout)]);
  if (!stopped.drained) {
    logger.error(
      { stillRunning: stopped.stillRunning, timeoutMs: config.shutdownTimeout },
      'shutdown timeout: jobs still running are abandoned; their runs are marked aborted at the next start',
    );
  }
  await service.clients.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the Docker Hub client failed'));
  await service.sqlServer?.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the SQL port failed'));
  // A stuck query would keep the pool from ending; do not wait for it forever.
  await Promise.race([
    service.database.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the database failed')),
    new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
  ]);
  await service.server.close();
  clearServePort();
  logger.info({ drained: stopped.drained }, 'stopped');
  return stopped.drained ? 0 : 1;
}

function logServing(ctx: CommandContext, service: Service, port: number): void {
  const { scheduler, database } = service;
  ctx.logger.info(
    {
      port,
      database: database.location,
      jobs: service.jobs.map((job) => ({
        name: job.name,
        schedule: job.schedule,
        from: job.scheduleSource,
        endpoints: job.endpoints,
        next: scheduler.nextRun(job.name)?.toISOString() ?? null,
      })),
    },
    `serving on port ${port}: /healthz /readyz /metrics${service.hints ? ' and Docker Hub webhooks at POST /hooks/dockerhub/<WEBHOOK_SECRET>' : ''}`,
  );
}

/**
 * A job whose last scheduled time passed without a run (first start, or down through a tick)
 * runs now, in that tick's run group, instead of waiting a whole period.
 */
function catchUpMissedTicks(ctx: CommandContext, service: Service, syncJobs: JobSpec[]): void {
  const { logger } = ctx;
  void findMissedTicks(service.database, syncJobs, new Date()).then(
    (missed) => {
      for (const { job, scheduledAt } of missed) {
        if (service.shuttingDown) break;
        logger.info({ job, scheduledAt: scheduledAt.toISOString() }, 'catching up a missed tick');
        void service.scheduler.runNow(job, scheduledAt, 'catch-up');
      }
    },
    (error: unknown) => logger.warn({ err: error }, 'could not check for missed ticks; waiting for the schedule'),
  );
}
