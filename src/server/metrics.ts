import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HubRequestEvent, HubStats } from '../hub/types.js';
import type { JobState } from '../scheduler/scheduler.js';
import type { TickObserver } from '../scheduler/tick.js';
import type { SliceReport } from '../sync/runner.js';
import type { RunSummary } from '../writeback/runner.js';
import type { EndpointDefinition } from '../sync/context.js';
import { hubRouteLabel, hubRoutes, statusClass } from './hub-routes.js';

/**
 * Prometheus metrics on a Registry of our own (never prom-client's global one, so two services
 * in one process, or tests, never share counters). Hub traffic comes from the client's
 * `onRequest` hook, slice and tick numbers from the tick runner, gauges that mirror state
 * (rate-limit headroom, running jobs, next ticks) are read at scrape time.
 */

export interface MetricsSources {
  /** One client's counters, or each credential's (then the rate-limit gauges carry a `credential` label). */
  hubStats?: () => HubStats | Map<string, HubStats>;
  jobStates?: () => JobState[];
  nextRun?: (job: string) => Date | null;
}

export interface Metrics {
  readonly registry: Registry;
  readonly observer: TickObserver;
  /** `credential`: the username of the credential that sent it (never the secret). */
  observeHubRequest(event: HubRequestEvent, credential?: string): void;
  missedTick(job: string): void;
  /** A write-back run finished: its records by outcome, its calls. */
  observeWriteback(summary: WritebackRunTotals): void;
  /** A webhook delivery was refused, a hint was taken, or a hinted read finished (server/webhook.ts). */
  observeWebhook(event: WebhookEvent): void;
  /** Seed "last success" from the database at start. */
  setLastSuccess(endpoint: string, at: Date): void;
  bind(sources: MetricsSources): void;
  render(): Promise<{ contentType: string; body: string }>;
}

const PREFIX = 'dockerhub_sync_';

/** What metrics learn of webhooks: a delivery refused (and why), a hint's answer, a hinted read's end. */
export type WebhookEvent = { rejected: 'secret' | 'too_large' | 'bad_request' | 'busy' | 'method' } | { hint: 'queued' | 'merged' | 'ignored' } | { read: string };

/** What metrics learn of a write-back run: the counts of the runner's summary. */
export type WritebackRunTotals = Pick<RunSummary, 'job' | 'calls' | 'heldBy' | (typeof WRITEBACK_OUTCOMES)[number]>;

const WRITEBACK_OUTCOMES = ['sent', 'skipped', 'unchanged', 'failed', 'unknown', 'confirmed', 'removed'] as const;

export function createMetrics(options: { defaultMetrics?: boolean; endpoints: readonly EndpointDefinition[] }): Metrics {
  // Hub requests are labelled by the endpoint whose path they match: built-ins and custom ones.
  const routes = hubRoutes(options.endpoints);
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: PREFIX });
  let sources: MetricsSources = {};
  const registers = [registry];
  const read = () => sources;
  // Registration order is the order of the scrape: hub, slices, jobs, write-back.
  const hub = hubMetrics(registers, read);
  const slices = sliceMetrics(registers);
  const jobs = jobMetrics(registers, read);
  const writeback = writebackMetrics(registers);
  const webhook = webhookMetrics(registers);

  return {
    registry,
    observer: {
      sliceFinished: (report) => slices.finished(report),
      tickFinished(tick, outcome, _totals, durationMs) {
        jobs.ticks.inc({ job: tick.job.name, outcome });
        jobs.tickDuration.observe({ job: tick.job.name }, durationMs / 1000);
      },
    },
    observeHubRequest(event, credential) {
      hub.observe(hubRouteLabel(event.path, routes), event, credential);
    },
    missedTick(job) {
      jobs.missed.inc({ job });
    },
    observeWriteback(summary) {
      writeback.observe(summary);
    },
    observeWebhook(event) {
      webhook.observe(event);
    },
    setLastSuccess(endpoint, at) {
      slices.lastSuccess.set({ endpoint }, at.getTime() / 1000);
    },
    bind(next) {
      sources = { ...sources, ...next };
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

type Registers = Registry[];
type ReadSources = () => MetricsSources;

/** Docker Hub traffic per attempt, and the rate-limit headroom read from the latest answer at scrape time. */
function hubMetrics(registers: Registers, sources: ReadSources) {
  const hubRequests = new Counter({
    name: `${PREFIX}hub_requests_total`,
    help: 'HTTP attempts sent to Docker Hub, by route and status class (retries included).',
    labelNames: ['endpoint', 'status_class', 'credential'] as const,
    registers,
  });
  const hubRequestDuration = new Histogram({
    name: `${PREFIX}hub_request_duration_seconds`,
    help: 'Docker Hub response time per attempt.',
    labelNames: ['endpoint', 'credential'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const hubRateLimited = new Counter({
    name: `${PREFIX}hub_rate_limited_total`,
    help: 'Docker Hub answers with 429 Too Many Requests.',
    labelNames: ['endpoint', 'credential'] as const,
    registers,
  });
  const hubRetries = new Counter({
    name: `${PREFIX}hub_retries_total`,
    help: 'Attempts that repeated a request (after a 429, a 5xx or a network error).',
    labelNames: ['endpoint', 'credential'] as const,
    registers,
  });
  for (const gauge of RATE_LIMIT_GAUGES) {
    new Gauge({
      name: `${PREFIX}${gauge.name}`,
      help: gauge.help,
      labelNames: ['credential'] as const,
      registers,
      collect() {
        rateLimitGauge(this, sources().hubStats?.(), gauge.field);
      },
    });
  }
  return {
    observe(endpoint: string, event: HubRequestEvent, credential: string | undefined): void {
      const by = credential ? { credential } : {};
      hubRequests.inc({ endpoint, status_class: statusClass(event.status), ...by });
      hubRequestDuration.observe({ endpoint, ...by }, event.ms / 1000);
      if (event.status === 429) hubRateLimited.inc({ endpoint, ...by });
      if (event.attempt > 1) hubRetries.inc({ endpoint, ...by });
    },
  };
}

const RATE_LIMIT_GAUGES = [
  {
    name: 'hub_rate_limit_remaining',
    help: 'X-RateLimit-Remaining from the latest Docker Hub response (NaN before the first).',
    field: 'remaining',
  },
  { name: 'hub_rate_limit_limit', help: 'X-RateLimit-Limit from the latest Docker Hub response.', field: 'limit' },
  {
    name: 'hub_rate_limit_reset_timestamp_seconds',
    help: 'When the current Docker Hub rate-limit window resets (unix seconds).',
    field: 'reset',
  },
] as const;

// NaN (unknown) until Docker Hub first answers: 0 would read as an exhausted budget.
function rateLimitGauge(
  gauge: Gauge<'credential'>,
  stats: HubStats | Map<string, HubStats> | undefined,
  field: 'remaining' | 'limit' | 'reset',
): void {
  if (stats instanceof Map) {
    gauge.reset();
    for (const [credential, one] of stats) gauge.set({ credential }, one.rateLimit[field] ?? Number.NaN);
  } else {
    gauge.set(stats?.rateLimit[field] ?? Number.NaN);
  }
}

/** Slice runs: their results, rows written, durations and the last success per endpoint. */
function sliceMetrics(registers: Registers) {
  const runs = new Counter({
    name: `${PREFIX}runs_total`,
    help: 'Slice runs by endpoint and result (skipped: another replica ran it, or holds its lock).',
    labelNames: ['endpoint', 'status', 'credential'] as const,
    registers,
  });
  const rows = new Counter({
    name: `${PREFIX}rows_written_total`,
    help: 'Rows written by endpoint and operation (invalid: items kept in sync_errors).',
    labelNames: ['endpoint', 'op'] as const,
    registers,
  });
  const runDuration = new Histogram({
    name: `${PREFIX}run_duration_seconds`,
    help: 'Duration of one slice run (one sync_runs row), by endpoint.',
    labelNames: ['endpoint'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400],
    registers,
  });
  const lastSuccess = new Gauge({
    name: `${PREFIX}last_success_timestamp_seconds`,
    help: 'When a run of the endpoint last succeeded (unix seconds; seeded from sync_runs at start).',
    labelNames: ['endpoint'] as const,
    registers,
  });
  const finished = (report: SliceReport) => {
    const endpoint = report.endpoint;
    runs.inc({ endpoint, status: report.status, ...(report.credential ? { credential: report.credential } : {}) });
    if (report.status === 'skipped') return;
    for (const op of ['inserted', 'updated', 'deleted', 'invalid'] as const) {
      if (report[op] > 0) rows.inc({ endpoint, op }, report[op]);
    }
    runDuration.observe({ endpoint }, report.durationMs / 1000);
    if (report.status === 'succeeded') lastSuccess.set({ endpoint }, Date.now() / 1000);
  };
  return { finished, lastSuccess };
}

/** Scheduled ticks per job, and the scheduler's state (running, last and next tick) read at scrape time. */
function jobMetrics(registers: Registers, sources: ReadSources) {
  const ticks = new Counter({
    name: `${PREFIX}job_ticks_total`,
    help: 'Scheduled ticks by job and outcome (succeeded, failed, aborted, error).',
    labelNames: ['job', 'outcome'] as const,
    registers,
  });
  const tickDuration = new Histogram({
    name: `${PREFIX}job_tick_duration_seconds`,
    help: 'Duration of one tick of a job (all its endpoints and slices).',
    labelNames: ['job'] as const,
    buckets: [0.5, 1, 5, 15, 60, 300, 900, 3600, 14400],
    registers,
  });
  const missed = new Counter({
    name: `${PREFIX}job_missed_ticks_total`,
    help: 'Ticks skipped because the previous tick of the job was still running.',
    labelNames: ['job'] as const,
    registers,
  });
  // Each gauge is one number per job from the scheduler's state; a job without one is left out.
  const stateGauge = (name: string, help: string, value: (state: JobState) => number | undefined) =>
    new Gauge({
      name: `${PREFIX}${name}`,
      help,
      labelNames: ['job'] as const,
      registers,
      collect() {
        this.reset();
        for (const state of sources().jobStates?.() ?? []) {
          const v = value(state);
          if (v !== undefined) this.set({ job: state.job.name }, v);
        }
      },
    });
  stateGauge('job_running', '1 while a tick of the job runs.', (state) => (state.running ? 1 : 0));
  stateGauge('job_last_tick_timestamp_seconds', 'When this process last finished a tick of the job (unix seconds).', (state) =>
    state.lastCompleted ? state.lastCompleted.at.getTime() / 1000 : undefined,
  );
  stateGauge('job_next_tick_timestamp_seconds', 'When the job ticks next (unix seconds).', (state) => {
    const next = sources().nextRun?.(state.job.name);
    return next ? next.getTime() / 1000 : undefined;
  });
  return { ticks, tickDuration, missed };
}

/** Write-back runs: records by outcome, calls made, and when each job last finished. */
function writebackMetrics(registers: Registers) {
  const writebackRecords = new Counter({
    name: `${PREFIX}writeback_records_total`,
    help: 'Write-back records by outcome (sent, skipped: already in place, unchanged, failed, unknown, confirmed after a cut-off call, removed by mirror).',
    labelNames: ['job', 'outcome'] as const,
    registers,
  });
  const writebackCalls = new Counter({
    name: `${PREFIX}writeback_calls_total`,
    help: 'Docker Hub calls made by write-back jobs.',
    labelNames: ['job'] as const,
    registers,
  });
  const writebackLastRun = new Gauge({
    name: `${PREFIX}writeback_last_run_timestamp_seconds`,
    help: 'When each write-back job last finished a run.',
    labelNames: ['job'] as const,
    registers,
  });
  return {
    observe(summary: WritebackRunTotals): void {
      if (summary.heldBy) return;
      const job = summary.job;
      for (const outcome of WRITEBACK_OUTCOMES) if (summary[outcome] > 0) writebackRecords.inc({ job, outcome }, summary[outcome]);
      if (summary.calls > 0) writebackCalls.inc({ job }, summary.calls);
      writebackLastRun.set({ job }, Date.now() / 1000);
    },
  };
}

/** Webhook deliveries refused, hints taken, hinted reads (server/webhook.ts, scheduler/hints.ts). */
function webhookMetrics(registers: Registers) {
  const rejected = new Counter({
    name: `${PREFIX}webhook_rejected_total`,
    help: 'Webhook deliveries refused, by reason (secret: a wrong secret, answered 404; too_large, bad_request, busy, method).',
    labelNames: ['reason'] as const,
    registers,
  });
  const hints = new Counter({
    name: `${PREFIX}webhook_hints_total`,
    help: 'Webhook hints taken, by outcome (queued: a read will run; merged: into a waiting read; ignored: not a configured namespace).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const reads = new Counter({
    name: `${PREFIX}webhook_reads_total`,
    help: "Reads of a repository's detail and tags made for webhook hints, by outcome (held: another process had a slice; tried again).",
    labelNames: ['outcome'] as const,
    registers,
  });
  return {
    observe(event: WebhookEvent): void {
      if ('rejected' in event) rejected.inc({ reason: event.rejected });
      else if ('hint' in event) hints.inc({ outcome: event.hint });
      else reads.inc({ outcome: event.read });
    },
  };
}
