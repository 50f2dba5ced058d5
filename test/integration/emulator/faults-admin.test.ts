import { afterEach, describe, expect, it } from 'vitest';
import { validateItems, tagSchema } from '../../../src/hub/schemas.js';
import { EXTRA_FIELD_NAME, type EmulatorOptions, type RunningEmulator, startEmulator } from '../../../src/emulator/index.js';
import { type HubTestClient, hubClient } from './support.js';

const running: RunningEmulator[] = [];

async function start(options: EmulatorOptions = {}): Promise<{ emu: RunningEmulator; hub: HubTestClient; org: string }> {
  const emu = await startEmulator({ port: 0, ...options });
  running.push(emu);
  return { emu, hub: hubClient(emu), org: emu.state.orgNames[0] as string };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((emu) => emu.close()));
});

function biggestPublicRepo(emu: RunningEmulator, namespace: string) {
  const repo = emu.state.repositories.sorted(namespace, 'name').filter((r) => !r.seed.isPrivate).sort((a, b) => b.seed.tagCount - a.seed.tagCount)[0];
  if (!repo) throw new Error('no public repository');
  return repo.seed.name;
}

describe('rate limiting', () => {
  it('answers 429 with Retry-After (seconds) and X-Retry-After (unix time) once the minute budget is spent', async () => {
    const startedAt = Date.now();
    const { hub, org } = await start({ rateLimitPerMinute: 3 });
    const path = `/v2/namespaces/${org}/repositories`;
    const ok = [await hub.get(path), await hub.get(path), await hub.get(path)];
    expect(ok.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(ok.map((r) => r.headers['x-ratelimit-remaining'])).toEqual(['2', '1', '0']);
    const limited = await hub.get(path);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ detail: 'Rate limit exceeded', error: false });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Number(limited.headers['x-retry-after'])).toBe(Number(limited.headers['x-ratelimit-reset']));
    expect(Number(limited.headers['x-retry-after'])).toBeGreaterThan(startedAt / 1000);
    // Admin routes are never limited.
    expect((await hub.get('/_emulator/requests')).status).toBe(200);
  });

  it('opens a new window after 60 seconds', async () => {
    let now = Date.UTC(2026, 0, 1);
    const { hub, org } = await start({ rateLimitPerMinute: 1, clock: { now: () => now } });
    expect((await hub.get(`/v2/namespaces/${org}/repositories`)).status).toBe(200);
    expect((await hub.get(`/v2/namespaces/${org}/repositories`)).status).toBe(429);
    now += 60_000;
    expect((await hub.get(`/v2/namespaces/${org}/repositories`)).status).toBe(200);
  });
});

describe('fault injection', () => {
  it('errorRate 1 answers 500 (JSON) or 502/503 (HTML from the gateway)', async () => {
    const { hub, org } = await start({ errorRate: 1, seed: 4 });
    const statuses = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const reply = await hub.get(`/v2/namespaces/${org}/repositories`);
      statuses.add(reply.status);
      if (reply.status === 500) expect(reply.headers['content-type']).toContain('json');
      else expect(reply.headers['content-type']).toContain('text/html');
    }
    expect([...statuses].every((s) => [500, 502, 503].includes(s))).toBe(true);
    expect(statuses.size).toBeGreaterThan(1);
    expect((await hub.get('/_emulator/health')).status).toBe(200);
  });

  it('dropRate 1 destroys the connection without an answer', async () => {
    const { emu, hub, org } = await start({ dropRate: 1 });
    await expect(fetch(`${emu.url}/v2/namespaces/${org}/repositories`)).rejects.toThrow();
    expect((await hub.get('/_emulator/health')).status).toBe(200);
    expect(emu.requests.get('repositories.list')).toBe(1);
  });

  it('malformedRate 1 breaks every list item against the zod schema; extraField adds a field everywhere', async () => {
    const { emu, hub, org } = await start({ malformedRate: 1, extraField: true });
    const name = biggestPublicRepo(emu, org);
    const page = await hub.get(`/v2/namespaces/${org}/repositories/${name}/tags?page_size=100`);
    expect(page.status).toBe(200);
    const { valid, invalid } = validateItems(tagSchema, page.body.results);
    expect(valid).toHaveLength(0);
    expect(invalid).toHaveLength(page.body.results.length);
    expect(page.body.results.every((t: Record<string, unknown>) => EXTRA_FIELD_NAME in t)).toBe(true);
    const detail = await hub.get(`/v2/namespaces/${org}/repositories/${name}`);
    expect(detail.body).toHaveProperty(EXTRA_FIELD_NAME);
    // The state itself is untouched: the snapshot stays clean.
    expect(JSON.stringify(emu.snapshot({ tags: true }))).not.toContain(EXTRA_FIELD_NAME);
  });

  it('some items only at a lower malformedRate, the same ones for the same seed and request order', async () => {
    const run = async () => {
      const { emu, hub, org } = await start({ malformedRate: 0.3, seed: 8 });
      const name = biggestPublicRepo(emu, org);
      const page = await hub.get(`/v2/namespaces/${org}/repositories/${name}/tags?page_size=100`);
      return validateItems(tagSchema, page.body.results).invalid.map((i) => i.index);
    };
    const first = await run();
    expect(first.length).toBeGreaterThan(0);
    expect(await run()).toEqual(first);
  });

  it('latencyMs delays API answers but not admin ones', async () => {
    const { hub, org } = await start({ latencyMs: 150 });
    const started = performance.now();
    await hub.get(`/v2/namespaces/${org}/repositories`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('configure() turns faults on and off at runtime', async () => {
    const { emu, hub, org } = await start();
    emu.configure({ errorRate: 1 });
    expect((await hub.get(`/v2/namespaces/${org}/repositories`)).status).toBeGreaterThanOrEqual(500);
    emu.configure({ errorRate: 0, rateLimitPerMinute: 1 });
    expect((await hub.get(`/v2/namespaces/${org}/repositories`)).status).toBe(200);
    expect((await hub.get(`/v2/namespaces/${org}/repositories`)).status).toBe(429);
    const config = await hub.call('POST', '/_emulator/config', { body: { rateLimitPerMinute: null, malformedRate: 0.5 } });
    expect(config.body).toMatchObject({ rateLimitPerMinute: null, malformedRate: 0.5 });
    expect((await hub.get(`/v2/namespaces/${org}/repositories`)).status).toBe(200);
  });
});

describe('request counts', () => {
  it('counts API requests by route name, not admin ones, and resets', async () => {
    const { emu, hub, org } = await start();
    const owner = await hub.owner();
    await hub.get(`/v2/namespaces/${org}/repositories`, owner);
    await hub.get(`/v2/namespaces/${org}/repositories?page=2`, owner);
    await hub.get(`/v2/auditlogs/${org}`, owner);
    await hub.get('/v2/nowhere');
    const counts = await hub.get('/_emulator/requests');
    expect(counts.body.routes).toEqual({ 'auth.token': 1, 'auditlogs.list': 1, not_found: 1, 'repositories.list': 2 });
    expect(counts.body.total).toBe(5);
    expect(emu.requests.counts).toEqual(counts.body.routes);
    expect((await hub.call('POST', '/_emulator/requests/reset')).status).toBe(204);
    expect(emu.requests.total).toBe(0);
  });
});

describe('admin HTTP surface', () => {
  it('adds and deletes repositories and tags; last_updated moves with tags, not with pulls', async () => {
    // The emulator's clock moves when the test says so: each step is a second later, on any machine.
    let now = Date.UTC(2026, 0, 1);
    const tick = () => (now += 1000);
    const { hub, org } = await start({ clock: { now: () => now } });
    const owner = await hub.owner();
    const detail = async (name: string) => (await hub.get(`/v2/namespaces/${org}/repositories/${name}`, owner)).body;

    expect((await hub.call('POST', `/_emulator/repositories/${org}`, { body: { name: 'admin-made', tags: 2 } })).status).toBe(201);
    expect((await hub.get(`/v2/namespaces/${org}/repositories/admin-made/tags`, owner)).body.count).toBe(2);

    const before = await detail('admin-made');
    tick();
    const pulls = await hub.call('POST', `/_emulator/repositories/${org}/admin-made/pulls`, { body: { count: 5 } });
    expect(pulls.body).toEqual({ pull_count: before.pull_count + 5 });
    const afterPulls = await detail('admin-made');
    expect(afterPulls.last_updated).toBe(before.last_updated);
    expect(afterPulls.pull_count).toBe(before.pull_count + 5);

    tick();
    const pushed = await hub.call('POST', `/_emulator/repositories/${org}/admin-made/tags`, { body: { name: 'v9', platforms: ['linux/amd64', 'linux/arm/v7'] } });
    expect(pushed.status).toBe(201);
    expect(pushed.body.images.map((i: { architecture: string; variant: string | null }) => [i.architecture, i.variant])).toEqual([['amd64', null], ['arm', 'v7']]);
    const afterPush = await detail('admin-made');
    expect(Date.parse(afterPush.last_updated)).toBeGreaterThan(Date.parse(before.last_updated));

    tick();
    expect((await hub.call('DELETE', `/_emulator/repositories/${org}/admin-made/tags/v9`)).status).toBe(204);
    expect(Date.parse((await detail('admin-made')).last_updated)).toBeGreaterThan(Date.parse(afterPush.last_updated));
    expect((await hub.call('DELETE', `/_emulator/repositories/${org}/admin-made/tags/v9`)).status).toBe(404);

    expect((await hub.call('DELETE', `/_emulator/repositories/${org}/admin-made`)).status).toBe(204);
    expect((await hub.get(`/v2/namespaces/${org}/repositories/admin-made`, owner)).status).toBe(404);
  });

  it('appends audit events, removes members, serves the snapshot and the credentials', async () => {
    const { emu, hub, org } = await start();
    const owner = await hub.owner();
    const appended = await hub.call('POST', `/_emulator/auditlogs/${org}`, { body: { count: 3 } });
    expect(appended.status).toBe(201);
    expect(appended.body.events).toHaveLength(3);
    const newest = (await hub.get(`/v2/auditlogs/${org}?page_size=3`, owner)).body.logs;
    expect(newest).toEqual([...appended.body.events].reverse());
    const custom = await hub.call('POST', `/_emulator/auditlogs/${org}`, { body: { events: [{ action: 'repo.delete', name: `${org}/gone` }] } });
    expect(custom.body.events[0]).toMatchObject({ account: org, action: 'repo.delete', name: `${org}/gone` });

    const member = emu.credentials.member.username;
    expect((await hub.call('DELETE', `/_emulator/orgs/${org}/members/${member}`)).status).toBe(204);
    expect((await hub.call('DELETE', `/_emulator/orgs/${org}/members/${member}`)).status).toBe(404);

    const snapshot = await hub.get('/_emulator/snapshot?tags=false');
    expect(snapshot.body).toEqual(JSON.parse(JSON.stringify(emu.snapshot({ tags: false }))));
    expect(snapshot.body.members[org].map((m: { username: string }) => m.username)).not.toContain(member);
    expect((await hub.get('/_emulator/credentials')).body).toEqual(emu.credentials);
  });
});

describe('broken pages and the page size cap', () => {
  it('caps page_size, and breaks one page of every paged list: empty (links kept), 404, or half', async () => {
    const { hub, org } = await start({ pageSizeCap: 3 });
    const owner = await hub.owner();
    const list = (page: number) => hub.get(`/v2/namespaces/${org}/repositories?page=${page}&page_size=100`, owner);
    const whole = await list(1);
    expect(whole.body.results).toHaveLength(3);
    expect(whole.body.next).toContain('page_size=3');
    const page2 = (await list(2)).body;

    expect((await hub.call('POST', '/_emulator/config', { body: { pageFault: { page: 2, mode: 'empty' } } })).status).toBe(200);
    const empty = (await list(2)).body;
    expect(empty).toMatchObject({ count: page2.count, next: page2.next, results: [] });
    expect((await list(1)).body.results).toHaveLength(3);

    await hub.call('POST', '/_emulator/config', { body: { pageFault: { page: 2, mode: 'missing' } } });
    expect((await list(2)).status).toBe(404);

    await hub.call('POST', '/_emulator/config', { body: { pageFault: { page: 2, mode: 'short' } } });
    expect((await list(2)).body.results).toEqual(page2.results.slice(0, 1));

    const bad = await hub.call('POST', '/_emulator/config', { body: { pageFault: { page: 0, mode: 'gone' } } });
    expect(bad.status).toBe(400);
    await hub.call('POST', '/_emulator/config', { body: { pageFault: null, pageSizeCap: null } });
    expect((await list(2)).status).toBe(404);
    expect((await list(1)).body.results.length).toBeGreaterThan(3);
  });

  it('the CLI flags say the same', async () => {
    const { emulatorOptionsFromFlags } = await import('../../../src/commands/emulator.js');
    expect(emulatorOptionsFromFlags({ 'page-fault': '2:empty', 'page-size-cap': '5' })).toMatchObject({ pageFault: { page: 2, mode: 'empty' }, pageSizeCap: 5 });
    expect(() => emulatorOptionsFromFlags({ 'page-fault': '2:gone' })).toThrow(/--page-fault "2:gone" must be <page>:<empty\|missing\|short>/);
    expect(() => emulatorOptionsFromFlags({ 'page-size-cap': '0' })).toThrow(/--page-size-cap/);
  });
});
