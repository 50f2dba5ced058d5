import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { baseEnv, runCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, releaseKeptConnections, type TestDatabase } from '../support/db.js';
import { fakeOpaqueToken, seededRandom } from '../support/seed.js';
import { freePort } from '../support/tcp.js';
import { waitFor } from '../support/wait.js';

/**
 * `serve` with WEBHOOK_SECRET, as users run it: the real CLI in a child process, the emulator in
 * this process. Every job runs once at start (a yearly schedule catches up) and then not again,
 * so whatever reaches the emulator afterwards is the webhook's doing. The payload is built as
 * Docker Hub sends it (docs/hub-quirks.md); the emulator sends no webhooks.
 */

/** Made up for the test from a fixed seed (16-256 letters and digits, as WEBHOOK_SECRET takes). */
const SECRET = fakeOpaqueToken(seededRandom(27), 40);
const JOBS = ['repositories', 'audit_logs', 'organization', 'audit_log_actions', 'watched_tags'];

function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.keys(labels).length > 0 ? `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}` : name;
  const line = text.split('\n').find((l) => l.startsWith(`${wanted} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

// The embedded database belongs to serve while it runs: the test could not read it (the
// integration test runs the same path on the embedded database).
describe.skipIf(inject('dbBackend') === 'pglite')('serve with a Docker Hub webhook', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let dir: string;
  let child: ChildProcess | undefined;
  let exited: Promise<CliResult> | undefined;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, rateLimitPerMinute: null });
    target = await createTestDatabase();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-webhook-'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await exited?.catch(() => undefined);
    await emulator?.close();
    await target?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a posted push is in SQL within 10 s, read with only that repository’s requests; a wrong secret is 404 and counted', async () => {
    const configFile = path.join(dir, 'config.yaml');
    writeFileSync(configFile, `schedules:\n${JOBS.map((job) => `  ${job}: "0 0 1 1 *"`).join('\n')}\n`);
    const snapshot = emulator.snapshot();
    const env = baseEnv({
      ...target.env,
      DOCKERHUB_API_URL: emulator.url,
      DOCKERHUB_USERNAME: emulator.credentials.username,
      DOCKERHUB_PASSWORD: emulator.credentials.password,
      DOCKERHUB_NAMESPACES: snapshot.namespaces.join(','),
      AUDIT_INITIAL_LOOKBACK: '2d',
      WEBHOOK_SECRET: SECRET,
    });
    await releaseKeptConnections();
    const port = await freePort();
    const url = (p: string) => `http://127.0.0.1:${port}${p}`;
    exited = runCli(['serve', '--config', configFile], { env: { ...env, PORT: String(port) }, timeoutMs: 540_000, onSpawn: (spawned) => (child = spawned) });
    let early: CliResult | undefined;
    void exited.then((result) => (early = result));
    const metrics = async () => (await fetch(url('/metrics'))).text();
    await waitFor('the first pass of every job', async () => {
      if (early) throw new Error(`serve exited with ${early.code}: ${early.stderr.slice(-2000)}`);
      const text = await metrics();
      return JOBS.every((job) => sample(text, 'dockerhub_sync_job_ticks_total', { job, outcome: 'succeeded' }) >= 1 && sample(text, 'dockerhub_sync_job_running', { job }) === 0);
    }, 300_000);

    // A wrong secret: the answer of an unknown path, counted.
    const wrong = await fetch(url(`/hooks/dockerhub/${SECRET.slice(0, -1)}${SECRET.endsWith('0') ? '1' : '0'}`), { method: 'POST', body: '{}' });
    expect(wrong.status).toBe(404);
    expect(sample(await metrics(), 'dockerhub_sync_webhook_rejected_total', { reason: 'secret' })).toBe(1);

    const [key] = Object.entries(snapshot.tags).find(([, tags]) => tags.length >= 1 && tags.length < 90)!;
    const [namespace, name] = key.split('/') as [string, string];
    emulator.requests.reset();
    emulator.state.addTag(namespace, name, 'from-webhook');
    const body = {
      callback_url: `https://registry.hub.docker.com/u/${namespace}/${name}/hook/x/`,
      push_data: { pushed_at: Math.floor(Date.now() / 1000), pusher: 'ci-bot', tag: 'from-webhook' },
      repository: { name, namespace, owner: namespace, repo_name: `${namespace}/${name}`, repo_url: `https://registry.hub.docker.com/u/${namespace}/${name}/`, is_private: false, status: 'Active' },
    };
    const answer = await fetch(url(`/hooks/dockerhub/${SECRET}`), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(answer.status).toBe(202);
    // The issue's target: in SQL within 10 s of the delivery.
    await waitFor('the pushed tag in dockerhub.tags', async () => {
      const rows = await target.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM dockerhub.tags WHERE namespace = ${namespace} AND repository = ${name} AND name = 'from-webhook' AND deleted_at IS NULL`);
      return Number(rows[0]!.n) === 1;
    }, 10_000, 100);
    await waitFor('the hinted read counted', async () => sample(await metrics(), 'dockerhub_sync_webhook_reads_total', { outcome: 'succeeded' }) === 1);
    const requests = emulator.requests.recent.filter((r) => !r.route.startsWith('auth.'));
    expect(requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      `GET /v2/namespaces/${namespace}/repositories/${name}`,
      `GET /v2/namespaces/${namespace}/repositories/${name}/tags`,
    ]);

    child!.kill('SIGTERM');
    const result = await exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('webhook hint');
    expect(result.stderr).not.toContain(SECRET);
    expect(result.stderr).not.toContain(emulator.credentials.password);
  });
});
