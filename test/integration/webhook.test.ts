import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { rowsOf } from '../../src/db/client.js';
import { sliceLeaseKey, withLease } from '../../src/db/leases.js';
import { endpoints } from '../../src/endpoints/index.js';
import { hubClientFromConfig } from '../../src/commands/hub.js';
import type { HubClient } from '../../src/hub/client.js';
import { createLogger } from '../../src/logger.js';
import { createHintQueue, type HintQueue, type HintReadOutcome, type RepositoryHint } from '../../src/scheduler/hints.js';
import { createStatusServer, type StatusServer } from '../../src/server/http.js';
import { createMetrics, type Metrics } from '../../src/server/metrics.js';
import { createWebhookHandler, WEBHOOK_MAX_BODY_BYTES } from '../../src/server/webhook.js';
import { chainedPasses } from '../support/chained-passes.js';
import { syncEnv } from '../support/emulator.js';
import { fakeOpaqueToken, seededRandom } from '../support/seed.js';
import { waitFor } from '../support/wait.js';

/**
 * Docker Hub webhooks on the real HTTP server, with the real hint queue reading the emulator into
 * a real database after a first pass. The payload is built as Hub sends it (docs/hub-quirks.md);
 * the emulator does not send webhooks.
 */

/** Made up for the test from a fixed seed (16-256 letters and digits, as WEBHOOK_SECRET takes). */
const SECRET = fakeOpaqueToken(seededRandom(25), 40);

/** Hub's payload for a push of `tag` to namespace/name (the shape of Docker's manual). */
function payload(namespace: string, name: string, tag = 'latest'): Record<string, unknown> {
  return {
    callback_url: `https://registry.hub.docker.com/u/${namespace}/${name}/hook/x/`,
    push_data: { pushed_at: Math.floor(Date.now() / 1000), pusher: 'ci-bot', tag },
    repository: {
      name,
      namespace,
      owner: namespace,
      repo_name: `${namespace}/${name}`,
      repo_url: `https://registry.hub.docker.com/u/${namespace}/${name}/`,
      is_private: true,
      status: 'Active',
      star_count: 0,
      comment_count: 0,
      date_created: 1417494799,
      description: '',
      full_description: 'not stored: only a hint',
      dockerfile: '',
      is_official: false,
      is_trusted: false,
    },
  };
}

/** Prometheus text → the value of `name` with `labels`, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
  const line = text.split('\n').find((l) => l.startsWith(`${wanted} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Decides when a waiting read starts: open, every wait returns at once. */
function gate() {
  let open = true;
  let waiting: (() => void)[] = [];
  return {
    wait: () => (open ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve))),
    close: () => (open = false),
    /** How many reads wait to start. */
    waiting: () => waiting.length,
    /** Lets the reads waiting now start; the gate stays closed for the next ones. */
    step() {
      for (const resolve of waiting) resolve();
      waiting = [];
    },
    release() {
      open = true;
      for (const resolve of waiting) resolve();
      waiting = [];
    },
  };
}

describe('Docker Hub webhooks', () => {
  const passes = chainedPasses(['repositories', 'repository_details', 'tags'], { seed: 13 });
  const logger = createLogger({ level: 'silent' });
  const reads: { hint: RepositoryHint; outcome: HintReadOutcome }[] = [];
  const starts = gate();
  let client: HubClient;
  let metrics: Metrics;
  let hints: HintQueue;
  let server: StatusServer;
  let base: string;
  let plain: StatusServer;
  let plainBase: string;

  const post = (body: unknown, secret = SECRET, at = base) => {
    // The passes' clock stands still between passes; a hint comes later than what they did.
    passes.advance(1_000);
    return fetch(`${at}/hooks/dockerhub/${secret}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  };
  const scrape = async () => (await metrics.render()).body;
  /** A repository of a configured namespace with a few tags (one page). */
  const someRepository = (skip = 0) => {
    const config = loadConfig({ env: syncEnv(passes.emulator, {}) });
    const snapshot = passes.emulator.snapshot();
    const [key] = Object.entries(snapshot.tags).filter(([k, list]) => config.namespaces.includes(k.split('/')[0]!) && list.length >= 1 && list.length < 90)[skip]!;
    const [namespace, name] = key.split('/') as [string, string];
    return { namespace, name };
  };
  const tagStored = async (namespace: string, repository: string, tag: string) =>
    rowsOf(await passes.database.db.execute(sql`SELECT 1 FROM dockerhub.tags WHERE namespace = ${namespace} AND repository = ${repository} AND name = ${tag} AND deleted_at IS NULL`)).length > 0;

  beforeAll(async () => {
    const config = loadConfig({ env: syncEnv(passes.emulator, {}, { LOG_LEVEL: 'silent', WEBHOOK_SECRET: SECRET }) });
    client = hubClientFromConfig(config, logger);
    metrics = createMetrics({ endpoints, defaultMetrics: false });
    hints = createHintQueue({
      deps: { database: passes.database, client, logger, config, registry: endpoints, clock: passes.clock },
      wait: starts.wait,
      retryMs: 20,
      onRead: (hint, outcome) => {
        reads.push({ hint, outcome });
        metrics.observeWebhook({ read: outcome });
      },
    });
    const handlers = {
      readiness: async () => ({ ready: true }) as never,
      metrics: () => metrics.render(),
      statusPage: async () => '<html></html>',
    };
    server = createStatusServer({ ...handlers, webhook: createWebhookHandler({ secret: SECRET, offer: hints.offer, observe: (e) => metrics.observeWebhook(e), logger }) }, logger);
    base = `http://127.0.0.1:${((await server.listen(0, '127.0.0.1')) as AddressInfo).port}`;
    plain = createStatusServer(handlers, logger);
    plainBase = `http://127.0.0.1:${(await plain.listen(0, '127.0.0.1')).port}`;
  });
  afterAll(async () => {
    await hints?.stop(5_000);
    await server?.close();
    await plain?.close();
    await client?.close();
  });

  it('a push posted as a hint is in SQL at once, read with exactly that repository’s requests, and the next pass still reads it', async () => {
    const { namespace, name } = someRepository();
    const [cursorBefore] = rowsOf<{ cursor: unknown }>(await passes.database.db.execute(sql`SELECT cursor FROM dockerhub.sync_state WHERE endpoint = 'tags' AND slice_key = ${`${namespace}/${name}`}`));
    passes.emulator.state.addTag(namespace, name, 'hinted-1');
    passes.emulator.requests.reset();
    const answer = await post(payload(namespace, name, 'hinted-1'));
    expect(answer.status).toBe(202);
    expect(await answer.json()).toEqual({ accepted: `${namespace}/${name}`, read: 'queued' });
    await waitFor('the pushed tag in dockerhub.tags', () => tagStored(namespace, name, 'hinted-1'), 10_000, 50);
    await waitFor('the hinted read to finish', async () => hints.pending() === 0);

    // The repository's detail and its tag page, nothing else: no listing, no other repository.
    const api = passes.emulator.requests.recent.filter((r) => !r.route.startsWith('auth.'));
    expect(api.map((r) => `${r.route} ${r.path}`).sort()).toEqual([
      `repositories.get /v2/namespaces/${namespace}/repositories/${name}`,
      `tags.list /v2/namespaces/${namespace}/repositories/${name}/tags`,
    ]);
    expect(reads.at(-1)).toEqual({ hint: { namespace, repository: name }, outcome: 'succeeded' });
    expect(sample(await scrape(), 'dockerhub_sync_webhook_hints_total', { outcome: 'queued' })).toBeGreaterThanOrEqual(1);
    // Nothing of the payload is stored: the detail is the API's.
    const [row] = rowsOf<{ full_description: string | null }>(await passes.database.db.execute(sql`SELECT full_description FROM dockerhub.repositories WHERE namespace = ${namespace} AND name = ${name}`));
    expect(row!.full_description).not.toBe('not stored: only a hint');
    // The hint left the slice's state alone, so the next scheduled pass reads the push as it would have.
    const [cursorAfter] = rowsOf<{ cursor: unknown }>(await passes.database.db.execute(sql`SELECT cursor FROM dockerhub.sync_state WHERE endpoint = 'tags' AND slice_key = ${`${namespace}/${name}`}`));
    expect(cursorAfter).toEqual(cursorBefore);
    const [run] = rowsOf<{ mode: string; run_group: string | null }>(await passes.database.db.execute(sql`SELECT mode, run_group FROM dockerhub.sync_runs WHERE endpoint = 'tags' AND slice_key = ${`${namespace}/${name}`} ORDER BY id DESC LIMIT 1`));
    expect(run).toEqual({ mode: 'hint', run_group: null });
    passes.advance(60_000);
    const { counts } = await passes.pass();
    expect(counts['tags.list']).toBe(1);
  });

  it('a hinted read does not put off the safety-net read of the slice', async () => {
    const { namespace, name } = someRepository(3);
    // Past TAG_REFRESH_INTERVAL (7 days): every repository's tags are due for the safety net.
    passes.advance(8 * 86_400_000);
    const before = reads.length;
    expect((await post(payload(namespace, name))).status).toBe(202);
    await waitFor('the hinted read', async () => hints.pending() === 0 && reads.length > before);
    const { summary } = await passes.pass();
    const slice = summary.slices.find((s) => s.endpoint === 'tags' && s.slice === `${namespace}/${name}`);
    expect(slice?.status).toBe('succeeded');
  });

  it('a burst of pushes to one repository makes one read', async () => {
    const { namespace, name } = someRepository(1);
    const before = reads.length;
    starts.close();
    passes.emulator.requests.reset();
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => post(payload(namespace, name, `burst-${i}`))));
    for (let i = 0; i < 6; i++) passes.emulator.state.addTag(namespace, name, `burst-${i}`);
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202, 202]);
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as { read: string }[];
    expect(bodies.filter((b) => b.read === 'queued')).toHaveLength(1);
    expect(passes.emulator.requests.total).toBe(0);
    starts.release();
    await waitFor('the burst’s read', async () => hints.pending() === 0 && reads.length > before);
    expect(reads.length).toBe(before + 1);
    expect(passes.emulator.requests.get('repositories.get')).toBe(1);
    expect(passes.emulator.requests.get('tags.list')).toBe(1);
    for (let i = 0; i < 6; i++) expect(await tagStored(namespace, name, `burst-${i}`)).toBe(true);
    expect(sample(await scrape(), 'dockerhub_sync_webhook_hints_total', { outcome: 'merged' })).toBeGreaterThanOrEqual(5);
  });

  it('a slice another process holds is read once it is free', async () => {
    const { namespace, name } = someRepository(2);
    passes.emulator.state.addTag(namespace, name, 'after-lease');
    let free!: () => void;
    const held = new Promise<void>((resolve) => (free = resolve));
    let taken!: () => void;
    const isTaken = new Promise<void>((resolve) => (taken = resolve));
    // Another process's tick, as the lease table sees it (a pass of this process counts the same).
    const holder = withLease(passes.database, sliceLeaseKey('tags', `${namespace}/${name}`), async () => {
      taken();
      await held;
    });
    await isTaken;
    const before = reads.length;
    // Each read waits at the gate, so the retries cannot all be spent before the lease is free,
    // however slow the machine.
    starts.close();
    try {
      expect((await post(payload(namespace, name))).status).toBe(202);
      await waitFor('the first read waiting to start', async () => starts.waiting() === 1);
      starts.step();
      await waitFor('a read that found the slice held', async () => reads.slice(before).some((r) => r.outcome === 'held'));
      await waitFor('the retry waiting to start', async () => starts.waiting() === 1);
      expect(await tagStored(namespace, name, 'after-lease')).toBe(false);
      free();
      await holder;
    } finally {
      starts.release();
    }
    await waitFor('the tag once the lease is free', () => tagStored(namespace, name, 'after-lease'));
    expect(reads.at(-1)!.outcome).toBe('succeeded');
  });

  it('a first push to a repository the database does not hold yet brings it in', async () => {
    const { namespace } = someRepository();
    passes.emulator.state.addRepository(namespace, { name: 'brand-new' });
    passes.emulator.state.addTag(namespace, 'brand-new', 'v1');
    expect((await post(payload(namespace, 'brand-new', 'v1'))).status).toBe(202);
    await waitFor('the new repository’s tag', () => tagStored(namespace, 'brand-new', 'v1'));
    const [row] = rowsOf<{ n: number }>(await passes.database.db.execute(sql`SELECT count(*)::int AS n FROM dockerhub.repositories WHERE namespace = ${namespace} AND name = 'brand-new' AND deleted_at IS NULL`));
    expect(Number(row!.n)).toBe(1);
  });

  it('a hint for a namespace that is not configured is answered, counted and sends nothing to Hub', async () => {
    passes.emulator.requests.reset();
    const answer = await post(payload('somebody-else', 'svc'));
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { ignored: string }).ignored).toMatch(/somebody-else\/svc is not in a configured namespace/);
    expect(hints.pending()).toBe(0);
    expect(passes.emulator.requests.total).toBe(0);
    expect(sample(await scrape(), 'dockerhub_sync_webhook_hints_total', { outcome: 'ignored' })).toBe(1);
  });

  it('a wrong secret answers 404 like an unknown path, and is counted', async () => {
    const unknown = await fetch(`${base}/nope`, { method: 'POST' });
    const wrong = await post(payload('x', 'y'), `${SECRET.slice(0, -1)}${SECRET.endsWith('X') ? 'Y' : 'X'}`);
    expect(wrong.status).toBe(404);
    expect(await wrong.text()).toBe(await unknown.text());
    expect((await post(payload('x', 'y'), '')).status).toBe(404);
    expect((await post(payload('x', 'y'), `${SECRET}/more`)).status).toBe(404);
    expect(sample(await scrape(), 'dockerhub_sync_webhook_rejected_total', { reason: 'secret' })).toBe(3);
  });

  it('refuses a body over the cap with 413, and what is not Hub’s payload with 400 saying what is wrong', async () => {
    const big = JSON.stringify({ ...payload('x', 'y'), dockerfile: 'x'.repeat(WEBHOOK_MAX_BODY_BYTES) });
    const tooLarge = await post(big);
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.text()).toMatch(/larger than 262144 bytes/);
    const notJson = await post('{"repository":');
    expect(notJson.status).toBe(400);
    expect(await notJson.text()).toMatch(/the body is not JSON/);
    const wrongShape = await post({ push_data: { tag: 'x' } });
    expect(wrongShape.status).toBe(400);
    expect(await wrongShape.text()).toMatch(/repository: .*expected Docker Hub's webhook payload/);
    const badName = await post({ repository: { namespace: '..', name: 'svc' } });
    expect(badName.status).toBe(400);
    expect((await fetch(`${base}/hooks/dockerhub/${SECRET}`)).status).toBe(405);
    const text = await scrape();
    expect(sample(text, 'dockerhub_sync_webhook_rejected_total', { reason: 'too_large' })).toBe(1);
    expect(sample(text, 'dockerhub_sync_webhook_rejected_total', { reason: 'bad_request' })).toBe(3);
  });

  it('without a webhook secret the route does not exist', async () => {
    const answer = await post(payload('x', 'y'), SECRET, plainBase);
    expect(answer.status).toBe(404);
    expect(await answer.text()).toMatch(/^not found/);
    expect((await fetch(`${plainBase}/healthz`, { method: 'POST' })).status).toBe(405);
  });
});
