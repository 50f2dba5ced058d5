import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { baseEnv, runCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, releaseKeptConnections, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/tcp.js';
import { waitFor } from '../support/wait.js';

/**
 * `serve` as users run it: the real CLI in a child process, second-level schedules from a YAML
 * config, the Docker Hub emulator in this process, a real database.
 */

/** Resolves once a new request reaches the emulator: with added latency, it is now in flight. */
async function requestInFlight(emulator: RunningEmulator): Promise<void> {
  const before = emulator.requests.total;
  await waitFor('a request to the emulator', async () => emulator.requests.total > before);
}

/**
 * Wait until a request made inside a repositories slice has started (the emulator counts a
 * request before its added latency): its run is recorded as running and stays so while the
 * request is held. Requests made before any slice (login, organization probes) do not count.
 */
async function sliceRequestInFlight(emulator: RunningEmulator): Promise<void> {
  const inSlice = () => ['repositories.list', 'repositories.get', 'tags.list'].reduce((n, route) => n + emulator.requests.get(route), 0);
  const before = inSlice();
  await waitFor('a request of a repositories slice', async () => inSlice() > before);
}

/** Prometheus text → value of the first sample of `name` whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) continue;
    const found = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[2]);
  }
  return undefined;
}

function sum(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const match = /^[^{\s]+\{(.*)\}\s+(\S+)$/.exec(line);
    if (!match) continue;
    const found = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) total += Number(match[2]);
  }
  return total;
}

interface Service {
  port: number;
  child: ChildProcess;
  exited: Promise<CliResult>;
  url(path: string): string;
  metrics(): Promise<string>;
}

async function startServe(env: NodeJS.ProcessEnv, configFile: string): Promise<Service> {
  // So the child starts within runCli and its handle is known below.
  await releaseKeptConnections();
  const port = await freePort();
  let child!: ChildProcess;
  const exited = runCli(['serve', '--config', configFile], {
    env: { ...env, PORT: String(port) },
    timeoutMs: 540_000,
    onSpawn: (spawned) => (child = spawned),
  });
  const service: Service = {
    port,
    child,
    exited,
    url: (p) => `http://127.0.0.1:${port}${p}`,
    metrics: async () => (await fetch(service.url('/metrics'))).text(),
  };
  let exitedEarly: CliResult | undefined;
  void exited.then((result) => (exitedEarly = result));
  await waitFor('serve to answer /healthz', async () => {
    if (exitedEarly) throw new Error(`serve exited with ${exitedEarly.code}: ${exitedEarly.stderr.slice(-2000)}`);
    return (await fetch(service.url('/healthz'))).status === 200;
  });
  return service;
}

function writeConfig(dir: string, schedules: Record<string, string>): string {
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, `schedules:\n${Object.entries(schedules).map(([key, value]) => `  ${key}: "${value}"`).join('\n')}\n`);
  return file;
}

function hubEnv(emulator: RunningEmulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DOCKERHUB_API_URL: emulator.url,
    DOCKERHUB_USERNAME: emulator.credentials.username,
    DOCKERHUB_PASSWORD: emulator.credentials.password,
    DOCKERHUB_NAMESPACES: emulator.snapshot().namespaces.join(','),
    // A short first audit-log window keeps the first pass small.
    AUDIT_INITIAL_LOOKBACK: '2d',
    ...extra,
  };
}

async function query<T>(target: TestDatabase, text: ReturnType<typeof sql>): Promise<T[]> {
  return target.query<T>(text);
}

describe('serve', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, rateLimitPerMinute: null });
    target = await createTestDatabase();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-serve-'));
  });
  afterAll(async () => {
    await emulator?.close();
    await target?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a bad schedule with exit code 2, naming the key and the expression', async () => {
    const configFile = writeConfig(dir, { tags: 'every 5 minutes', tagz: '* * * * *' });
    const result = await runCli(['serve', '--config', configFile], { env: baseEnv({ ...target.env, ...hubEnv(emulator), PORT: '0' }) });
    expect(result.code).toBe(2);
    // Checked when the configuration is loaded, each problem naming the file key.
    expect(result.stderr).toMatch(/schedules\.tags in .*config\.yaml: "every 5 minutes" is not a usable cron expression/);
    expect(result.stderr).toMatch(/schedules\.tagz in .*config\.yaml: there is no endpoint or job called "tagz"/);
    expect(result.stderr).not.toContain(emulator.credentials.password);
  });

  it('syncs on schedule, answers /healthz /readyz /metrics, and stops mid-run on SIGTERM leaving a consistent database', async () => {
    const configFile = writeConfig(dir, {
      repositories: '*/4 * * * * *',
      audit_logs: '*/3 * * * * *',
      organization: '*/5 * * * * *',
      audit_log_actions: '*/20 * * * * *',
      watched_tags: '*/10 * * * * *',
    });
    const env = baseEnv({ ...target.env, ...hubEnv(emulator), SHUTDOWN_TIMEOUT: '30s' });
    const startedAt = Date.now();
    const service = await startServe(env, configFile);

    // Rows appear: every job finishes a tick, the first pass writes every repository and tag.
    const snapshot = emulator.snapshot();
    const repositoryCount = Object.values(snapshot.repositories).flat().length;
    const tagCount = Object.values(snapshot.tags).flat().length;
    const metrics = await waitFor('a successful tick of every job', async () => {
      const text = await service.metrics();
      const jobs = ['repositories', 'audit_logs', 'organization', 'access_tokens', 'audit_log_actions', 'watched_tags'];
      return jobs.every((job) => (sample(text, 'dockerhub_sync_job_ticks_total', { job, outcome: 'succeeded' }) ?? 0) >= 1) ? text : undefined;
    }, 300_000);
    expect(sum(metrics, 'dockerhub_sync_rows_written_total', { endpoint: 'repositories', op: 'inserted' })).toBe(repositoryCount);
    expect(sum(metrics, 'dockerhub_sync_rows_written_total', { endpoint: 'tags', op: 'inserted' })).toBeGreaterThanOrEqual(tagCount);
    expect(sample(metrics, 'dockerhub_sync_hub_requests_total', { endpoint: 'repositories', status_class: '2xx' })).toBeGreaterThanOrEqual(3);
    expect(sample(metrics, 'dockerhub_sync_runs_total', { endpoint: 'tags', status: 'succeeded' })).toBeGreaterThanOrEqual(repositoryCount);
    expect(sample(metrics, 'dockerhub_sync_run_duration_seconds_count', { endpoint: 'repositories' })).toBeGreaterThanOrEqual(3);
    expect(sample(metrics, 'dockerhub_sync_last_success_timestamp_seconds', { endpoint: 'org_members' })).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000));
    expect(sample(metrics, 'dockerhub_sync_hub_rate_limit_remaining')).toBeGreaterThanOrEqual(0);
    expect(metrics).toMatch(/^dockerhub_sync_job_next_tick_timestamp_seconds\{job="repositories"\} \d+/m);
    expect(metrics).toContain('dockerhub_sync_hub_rate_limited_total');
    expect(metrics).not.toContain(emulator.credentials.password);

    if (target.backend !== 'pglite') {
      // A real server can be read while serve holds it.
      const [row] = await query<{ n: number }>(target, sql`SELECT count(*)::int AS n FROM dockerhub.repositories WHERE deleted_at IS NULL`);
      expect(Number(row!.n)).toBe(repositoryCount);
    }

    const ready = await fetch(service.url('/readyz'));
    const readiness = (await ready.json()) as { ready: boolean; migrations: { applied: number; expected: number }; jobs: { name: string; status: string }[] };
    expect(ready.status).toBe(200);
    expect(readiness.ready).toBe(true);
    expect(readiness.migrations.applied).toBe(readiness.migrations.expected);
    expect(readiness.jobs.map((job) => job.name).sort()).toEqual(['access_tokens', 'audit_log_actions', 'audit_logs', 'organization', 'pull_usage', 'repositories', 'watched_tags']);
    const page = await (await fetch(service.url('/'))).text();
    expect(page).toContain('<td>repositories, repository_details, tags</td>');
    expect((await fetch(service.url('/nope'))).status).toBe(404);

    // Slow Hub down so a tick is certainly mid-run, then stop while one of its requests is in
    // flight (the emulator counts a request when it arrives, before the added latency).
    emulator.configure({ latencyMs: 3000 });
    await waitFor('a repositories tick under way', async () => {
      const text = await service.metrics();
      return sample(text, 'dockerhub_sync_job_running', { job: 'repositories' }) === 1;
    });
    await requestInFlight(emulator);
    service.child.kill('SIGTERM');
    const result = await service.exited;
    emulator.configure({ latencyMs: 0 });
    expect(result.stderr).toContain('shutting down');
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain(emulator.credentials.password);
    expect(result.stderr).toMatch(/"msg":"job tick finished"/);

    const runs = await query<{ status: string; n: number; unfinished: number }>(
      target,
      sql`SELECT status, count(*)::int AS n, count(*) FILTER (WHERE finished_at IS NULL)::int AS unfinished FROM dockerhub.sync_runs GROUP BY status`,
    );
    const byStatus = Object.fromEntries(runs.map((r) => [r.status, Number(r.n)]));
    expect(byStatus.running).toBeUndefined();
    expect(byStatus.aborted).toBeGreaterThanOrEqual(1);
    expect(runs.every((r) => Number(r.unfinished) === 0)).toBe(true);
    const [tags] = await query<{ n: number; orphans: number }>(
      target,
      sql`SELECT count(*)::int AS n,
            count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM dockerhub.repositories r WHERE r.namespace = t.namespace AND r.name = t.repository))::int AS orphans
          FROM dockerhub.tags t`,
    );
    expect(Number(tags!.n)).toBe(tagCount);
    expect(Number(tags!.orphans)).toBe(0);
    const groups = await query<{ run_group: string | null }>(target, sql`SELECT DISTINCT run_group FROM dockerhub.sync_runs`);
    for (const { run_group } of groups) expect(run_group).toMatch(/^[a-z_]+@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // `status` shows the next run of every endpoint from the same schedules.
    const status = await runCli(['status', '--config', configFile], { env: baseEnv(target.env) });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/endpoint\s+slice\s+last run\s+result\s+rows\s+last success\s+next run\s+cursor/);
    expect(status.stdout).toMatch(/^tags\s+\S+\s+.*\bin \d+s \(repositories\)/m);
    expect(status.stdout).toMatch(/^team_members\s+\S+\s+.*\bin \d+s \(organization\)/m);
    expect(status.stdout).not.toMatch(/^_namespace_kind/m);
  });

  it('a second signal exits at once; the next start marks the interrupted run aborted', async () => {
    const configFile = writeConfig(dir, { repositories: '*/2 * * * * *', organization: '0 0 1 1 *', audit_logs: '0 0 1 1 *', audit_log_actions: '0 0 1 1 *', watched_tags: '0 0 1 1 *' });
    const env = baseEnv({ ...target.env, ...hubEnv(emulator), SHUTDOWN_TIMEOUT: '60s' });
    emulator.configure({ latencyMs: 3000 });
    try {
      const service = await startServe(env, configFile);
      await waitFor('a repositories tick under way', async () => sample(await service.metrics(), 'dockerhub_sync_job_running', { job: 'repositories' }) === 1);
      // What the next start has to clean up: a run recorded as running. On a server, the test
      // then holds that row's lock, so the first signal's shutdown cannot record the run as
      // finished before the second signal arrives, however the two are scheduled.
      // (The embedded database cannot be opened while serve holds it; there the two signals
      // simply go back to back.)
      const holder = target.url ? new pg.Client({ connectionString: target.url }) : undefined;
      if (holder) {
        await waitFor('a run recorded as running', async () => {
          const rows = await query<{ n: number }>(target, sql`SELECT count(*)::int AS n FROM dockerhub.sync_runs WHERE status = 'running'`);
          return Number(rows[0]!.n) >= 1;
        });
        await holder.connect();
        await holder.query('BEGIN');
        await holder.query(`SELECT id FROM dockerhub.sync_runs WHERE status = 'running' FOR UPDATE`);
      }
      try {
        // A run that writes nothing more may be waiting on the lock already; without the lock,
        // a request in flight keeps the run busy for the added latency.
        if (!holder) await sliceRequestInFlight(emulator);
        const shuttingDown = new Promise<void>((resolve) => {
          let text = '';
          service.child.stderr?.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            if (text.includes('shutting down')) resolve();
          });
        });
        service.child.kill('SIGTERM');
        if (holder) await shuttingDown;
        service.child.kill('SIGINT');
        const result = await service.exited;
        expect(result.code).toBe(130);
        expect(result.stderr).toContain('second signal');
      } finally {
        await holder?.query('ROLLBACK');
        await holder?.end();
      }
    } finally {
      emulator.configure({ latencyMs: 0 });
    }
    const left = await query<{ n: number }>(target, sql`SELECT count(*)::int AS n FROM dockerhub.sync_runs WHERE status = 'running'`);
    if (target.url) {
      expect(Number(left[0]!.n)).toBeGreaterThanOrEqual(1);
    } else {
      // The embedded database answers inside the process: the first signal aborts the request in
      // flight and records its run as aborted before the second signal is handled, so nothing is
      // left running (rows interrupted by a kill are repaired as the crash tests show).
      expect(Number(left[0]!.n)).toBe(0);
    }

    const again = await startServe(env, configFile);
    again.child.kill('SIGTERM');
    const result = await again.exited;
    expect(result.code).toBe(0);
    if (target.url) expect(result.stderr).toContain('runs left running by a previous process were marked aborted');
    const after = await query<{ n: number }>(target, sql`SELECT count(*)::int AS n FROM dockerhub.sync_runs WHERE status = 'running'`);
    expect(Number(after[0]!.n)).toBe(0);
  });
});

// Needs a server: two processes on one database; embedded PGlite admits one process at a time.
describe.skipIf(inject('dbBackend') === 'pglite')('two serve processes on one database', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, rateLimitPerMinute: null, seed: 7 });
    target = await createTestDatabase();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-serve2-'));
  });
  afterAll(async () => {
    await emulator?.close();
    await target?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('run each slice once per tick between them, and ask Hub for it once', async () => {
    const every = '*/3 * * * * *';
    // The repositories tick gets room to finish its first pass before the next one: a tick that
    // overruns on one replica overlaps the next tick on the other (see "Replicas" in docs/operations.md).
    const configFile = writeConfig(dir, { repositories: '*/8 * * * * *', audit_logs: every, organization: every, audit_log_actions: every, watched_tags: every });
    const snapshot = emulator.snapshot();
    // Explicit organizations: nothing is probed per process.
    const env = baseEnv({ ...target.env, ...hubEnv(emulator, { DOCKERHUB_ORGS: snapshot.orgs.join(',') }) });
    const [a, b] = await Promise.all([startServe(env, configFile), startServe(env, configFile)]);

    await waitFor('three complete repositories ticks', async () => {
      const rows = await query<{ n: number }>(
        target,
        sql`SELECT count(*)::int AS n FROM (
              SELECT run_group FROM dockerhub.sync_runs WHERE endpoint = 'repositories' AND status = 'succeeded'
              GROUP BY run_group HAVING count(*) = ${snapshot.namespaces.length}) g`,
      );
      return Number(rows[0]!.n) >= 3;
    }, 400_000);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    const [ra, rb] = await Promise.all([a.exited, b.exited]);
    expect(ra.code).toBe(0);
    expect(rb.code).toBe(0);

    const duplicates = await query<{ endpoint: string; slice_key: string; run_group: string; n: number }>(
      target,
      sql`SELECT endpoint, slice_key, run_group, count(*)::int AS n FROM dockerhub.sync_runs
          GROUP BY endpoint, slice_key, run_group HAVING count(*) > 1`,
    );
    expect(duplicates).toEqual([]);

    // Every request Hub saw is a page of exactly one recorded run (an aborted run's last
    // request is made but not counted as a page).
    const pages = await query<{ endpoint: string; pages: number; aborted: number; runs: number }>(
      target,
      sql`SELECT endpoint, sum(pages)::int AS pages, count(*) FILTER (WHERE status = 'aborted')::int AS aborted, count(*)::int AS runs
          FROM dockerhub.sync_runs GROUP BY endpoint`,
    );
    const byEndpoint = Object.fromEntries(pages.map((row) => [row.endpoint, row]));
    const counts = emulator.requests.counts;
    for (const [route, endpoint] of [
      ['repositories.list', 'repositories'],
      ['repositories.get', 'repository_details'],
      ['tags.list', 'tags'],
      ['auditlogs.actions', 'audit_log_actions'],
      ['groups.members.list', 'team_members'],
      ['invites.list', 'org_invites'],
    ] as const) {
      const row = byEndpoint[endpoint]!;
      expect(row, endpoint).toBeDefined();
      const seen = counts[route] ?? 0;
      expect(seen, `${route} vs ${endpoint} pages`).toBeGreaterThanOrEqual(Number(row.pages));
      expect(seen, `${route} vs ${endpoint} pages`).toBeLessThanOrEqual(Number(row.pages) + Number(row.aborted));
    }
    // The first pass read every repository's details once, not once per process.
    expect(counts['repositories.get']).toBe(Object.values(snapshot.repositories).flat().length);

    // Each tick's repositories list ran once per namespace in total.
    const perGroup = await query<{ run_group: string; n: number }>(
      target,
      sql`SELECT run_group, count(*)::int AS n FROM dockerhub.sync_runs WHERE endpoint = 'repositories' GROUP BY run_group`,
    );
    for (const row of perGroup) expect(Number(row.n)).toBeLessThanOrEqual(snapshot.namespaces.length);
    expect(ra.stderr + rb.stderr).not.toContain(emulator.credentials.password);
  });
});
