import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/server/metrics.js';
import type { HubStats } from '../../../src/hub/types.js';
import { endpoints } from '../../../src/endpoints/index.js';

const stats = (remaining: number): HubStats => ({
  requests: 0, retries: 0, rateLimited: 0, bytes: 0, waitedMs: 0, cacheHits: 0, logins: 0, networkErrors: 0,
  rateLimit: { limit: 180, remaining, reset: 1_900_000_000 },
});

describe('metrics with several credentials', () => {
  it('label Hub traffic, runs and rate-limit headroom with the credential (the username, never the secret)', async () => {
    const metrics = createMetrics({ defaultMetrics: false, endpoints });
    metrics.observeHubRequest({ method: 'GET', path: '/v2/orgs/acme/members', endpoint: 'x', status: 200, ms: 5, bytes: 0, attempt: 1 }, 'acme');
    metrics.observeHubRequest({ method: 'GET', path: '/v2/orgs/globex/members', endpoint: 'x', status: 429, ms: 5, bytes: 0, attempt: 1 }, 'globex');
    const base = { requests: 1, pages: 1, inserted: 0, updated: 0, deleted: 0, invalid: 0, waitedMs: 0, durationMs: 10 };
    metrics.observer.sliceFinished?.({ ...base, endpoint: 'org_members', slice: 'globex', status: 'failed', credential: 'globex' });
    metrics.bind({ hubStats: () => new Map([['acme', stats(170)], ['globex', stats(0)]]) });
    const { body } = await metrics.render();
    expect(body).toContain('dockerhub_sync_hub_requests_total{endpoint="org_members",status_class="2xx",credential="acme"} 1');
    expect(body).toContain('dockerhub_sync_hub_rate_limited_total{endpoint="org_members",credential="globex"} 1');
    expect(body).toContain('dockerhub_sync_runs_total{endpoint="org_members",status="failed",credential="globex"} 1');
    expect(body).toContain('dockerhub_sync_hub_rate_limit_remaining{credential="acme"} 170');
    expect(body).toContain('dockerhub_sync_hub_rate_limit_remaining{credential="globex"} 0');
  });
});
