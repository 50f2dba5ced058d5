import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../../../src/scheduler/jobs.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { endpoints } from '../../../src/endpoints/index.js';

const job: JobSpec = { name: 'repositories', schedule: '0 * * * *', scheduleSource: 'test', endpoints: ['repositories', 'tags'] };

describe('createMetrics', () => {
  it('keeps its own registry: two instances never share or clash', async () => {
    const a = createMetrics({ defaultMetrics: false, endpoints });
    const b = createMetrics({ defaultMetrics: false, endpoints });
    a.observeHubRequest({ method: 'GET', path: '/v2/namespaces/acme/repositories?page=1', endpoint: 'list', status: 200, ms: 12, bytes: 10, attempt: 1 });
    expect((await a.render()).body).toContain('dockerhub_sync_hub_requests_total{endpoint="repositories",status_class="2xx"} 1');
    expect((await b.render()).body).not.toContain('status_class="2xx"');
  });

  it('counts 429s and retries by route, with no per-repository labels', async () => {
    const metrics = createMetrics({ defaultMetrics: false, endpoints });
    const tags = '/v2/namespaces/acme/repositories/api/tags?page_size=100';
    metrics.observeHubRequest({ method: 'GET', path: tags, endpoint: 'x', status: 429, ms: 5, bytes: 0, attempt: 1 });
    metrics.observeHubRequest({ method: 'GET', path: tags, endpoint: 'x', status: undefined, ms: 5, bytes: 0, attempt: 2, errorCode: 'ECONNRESET' });
    metrics.observeHubRequest({ method: 'GET', path: tags, endpoint: 'x', status: 200, ms: 5, bytes: 0, attempt: 3 });
    const { body } = await metrics.render();
    expect(body).toContain('dockerhub_sync_hub_rate_limited_total{endpoint="tags"} 1');
    expect(body).toContain('dockerhub_sync_hub_retries_total{endpoint="tags"} 2');
    expect(body).toContain('dockerhub_sync_hub_requests_total{endpoint="tags",status_class="error"} 1');
    expect(body).not.toContain('acme');
  });

  it('turns slice reports and ticks into runs, rows, durations and last success', async () => {
    const metrics = createMetrics({ defaultMetrics: false, endpoints });
    const base = { requests: 1, pages: 1, inserted: 0, updated: 0, deleted: 0, invalid: 0, waitedMs: 0, durationMs: 1500 };
    metrics.observer.sliceFinished?.({ ...base, endpoint: 'tags', slice: 'acme/api', status: 'succeeded', inserted: 5, updated: 2 });
    metrics.observer.sliceFinished?.({ ...base, endpoint: 'tags', slice: 'acme/web', status: 'failed', invalid: 1 });
    metrics.observer.sliceFinished?.({ ...base, endpoint: 'tags', slice: 'acme/db', status: 'skipped' });
    const tick = { job, scheduledAt: new Date(), runGroup: 'repositories@x', reason: 'schedule' as const };
    metrics.observer.tickFinished?.(tick, 'failed', { slices: 3, ran: 2, skipped: 1, failed: 1, aborted: 0, requests: 2, pages: 2, inserted: 5, updated: 2, deleted: 0, invalid: 1 }, 2000);
    metrics.missedTick('repositories');
    const { body } = await metrics.render();
    expect(body).toContain('dockerhub_sync_runs_total{endpoint="tags",status="succeeded"} 1');
    expect(body).toContain('dockerhub_sync_runs_total{endpoint="tags",status="failed"} 1');
    expect(body).toContain('dockerhub_sync_runs_total{endpoint="tags",status="skipped"} 1');
    expect(body).toContain('dockerhub_sync_rows_written_total{endpoint="tags",op="inserted"} 5');
    expect(body).toContain('dockerhub_sync_rows_written_total{endpoint="tags",op="updated"} 2');
    expect(body).toContain('dockerhub_sync_rows_written_total{endpoint="tags",op="invalid"} 1');
    expect(body).toContain('dockerhub_sync_run_duration_seconds_count{endpoint="tags"} 2');
    expect(body).toMatch(/dockerhub_sync_last_success_timestamp_seconds\{endpoint="tags"\} \d+/);
    expect(body).toContain('dockerhub_sync_job_ticks_total{job="repositories",outcome="failed"} 1');
    expect(body).toContain('dockerhub_sync_job_missed_ticks_total{job="repositories"} 1');
  });

  it('reads rate-limit headroom and job state at scrape time', async () => {
    const metrics = createMetrics({ defaultMetrics: false, endpoints });
    const stats = { requests: 0, retries: 0, rateLimited: 0, bytes: 0, waitedMs: 0, cacheHits: 0, logins: 0, networkErrors: 0, rateLimit: {} as { limit?: number; remaining?: number; reset?: number } };
    const since = new Date();
    metrics.bind({
      hubStats: () => stats,
      jobStates: () => [{ job, running: { since, runGroup: 'g' }, lastCompleted: null, missedTicks: 0 }],
      nextRun: () => new Date('2030-01-01T00:00:00Z'),
    });
    expect((await metrics.render()).body).toMatch(/^dockerhub_sync_hub_rate_limit_remaining nan$/im);
    stats.rateLimit = { limit: 180, remaining: 42, reset: 1_900_000_000 };
    const { body } = await metrics.render();
    expect(body).toMatch(/^dockerhub_sync_hub_rate_limit_remaining 42$/m);
    expect(body).toMatch(/^dockerhub_sync_hub_rate_limit_limit 180$/m);
    expect(body).toContain('dockerhub_sync_job_running{job="repositories"} 1');
    expect(body).toContain('dockerhub_sync_job_next_tick_timestamp_seconds{job="repositories"} 1893456000');
  });
});
