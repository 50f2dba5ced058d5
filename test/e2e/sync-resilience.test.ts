import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cliCommand, ROOT, runCli } from '../support/cli.js';
import type { TestDatabase } from '../support/db.js';
import { syncEnv, type RunningEmulator } from '../support/emulator.js';
import { seeded, soakRounds } from '../support/seed.js';
import { contentOf, fileFixtures, query } from '../support/sync-content.js';

// The Hub answering badly (invalid items, 5xx, dropped connections, expiring tokens):
// test/e2e/sync-hub-faults.test.ts, a file of its own so the two run side by side.

const { freshDatabase, emulatorFor } = fileFixtures();

/**
 * An uninterrupted sync of the default emulator into a new database, once for the file: the
 * reference of the kill test, and the first pass of the newest-first test (which changes the
 * emulator afterwards, so it runs after the kill test, as the file's order has it).
 */
let uninterrupted: Promise<{ emulator: RunningEmulator; reference: TestDatabase; total: number; expected: Awaited<ReturnType<typeof contentOf>> }> | undefined;
function cleanSync() {
  uninterrupted ??= (async () => {
    const emulator = await emulatorFor({ latencyMs: 3 });
    const reference = await freshDatabase();
    emulator.requests.reset();
    const clean = await runCli(['sync'], { env: syncEnv(emulator, reference.env) });
    expect(clean.code, clean.stderr).toBe(0);
    return { emulator, reference, total: emulator.requests.total, expected: await contentOf(reference) };
  })();
  return uninterrupted;
}

describe('sync resilience', () => {
  it('a sync killed with SIGKILL at a random page, then run again, ends like an uninterrupted one', async () => {
    const { emulator, total, expected } = await cleanSync();

    // One kill point by default; TEST_SOAK=N tries N of them, each on a fresh database.
    for (let round = 1; round <= soakRounds(); round++) {
      const interrupted = await freshDatabase();
      // Kill somewhere between the first pages and the last ones, chosen from a seed (printed on
      // failure, replayed with TEST_SEED), at the moment that request reaches the emulator: the kill
      // point is a request count, not a race between a timer and the child.
      const { seed, int } = seeded('test/e2e/sync-resilience.test.ts');
      const killAt = int(5, total - 6);
      const context = `killed at request ${killAt} of ${total} (seed ${seed}, round ${round})`;
      emulator.requests.reset();
      const cli = cliCommand(['sync']);
      const child = spawn(cli.command, cli.args, {
        cwd: ROOT,
        env: syncEnv(emulator, interrupted.env),
        stdio: 'ignore',
      });
      const record = emulator.requests.record.bind(emulator.requests);
      emulator.requests.record = (route: string) => {
        record(route);
        if (emulator.requests.total === killAt) child.kill('SIGKILL');
      };
      const exit = await new Promise<NodeJS.Signals | number | null>((resolve) => {
        child.on('exit', (code, signal) => resolve(signal ?? code));
      }).finally(() => {
        emulator.requests.record = record;
      });
      expect(exit, context).toBe('SIGKILL');

      const again = await runCli(['sync'], { env: syncEnv(emulator, interrupted.env) });
      expect(again.code, `${context}\n${again.stderr}`).toBe(0);
      // A run cut off mid-way is left as it was; the next pass does not depend on it.
      expect(await contentOf(interrupted), context).toEqual(expected);
      const duplicates = await query<{ n: number }>(interrupted, 'SELECT count(*)::int - count(DISTINCT (account, timestamp, action, actor, name, data::text))::int AS n FROM dockerhub.audit_logs');
      expect(duplicates[0]!.n, context).toBe(0);
    }
  });

  it('--backfill loads older audit events once, and a repeated backfill finds nothing left to do', async () => {
    // Data anchored to now so part of the audit log falls inside a short initial look-back.
    const emulator = await emulatorFor({ epochMs: Date.now() });
    const target = await freshDatabase();
    const snapshot = emulator.snapshot({ tags: false });
    const allEvents = Object.values(snapshot.auditLogs).flat();
    const oldest = allEvents.reduce((min, e) => Math.min(min, Date.parse(String(e.timestamp))), Date.now());
    // The sync's "now" falls between these two readings, however slow the machine is.
    const startedAt = Date.now();
    const first = await runCli(['sync', '--only', 'audit_logs'], { env: syncEnv(emulator, target.env, { AUDIT_INITIAL_LOOKBACK: '30d' }) });
    const finishedAt = Date.now();
    expect(first.code, first.stderr).toBe(0);
    const [{ n: recent }] = (await query<{ n: number }>(target, 'SELECT count(*)::int AS n FROM dockerhub.audit_logs')) as [{ n: number }];
    const since = (ms: number) => allEvents.filter((e) => Date.parse(String(e.timestamp)) >= ms - 30 * 86_400_000).length;
    expect(recent).toBeGreaterThan(0);
    expect(recent).toBeLessThan(allEvents.length);
    expect(recent, `stored ${recent} of ${allEvents.length}`).toBeGreaterThanOrEqual(since(finishedAt));
    expect(recent, `stored ${recent} of ${allEvents.length}`).toBeLessThanOrEqual(since(startedAt));

    const from = new Date(oldest - 86_400_000).toISOString().slice(0, 10);
    const backfill = await runCli(['sync', '--backfill', '--from', from], { env: syncEnv(emulator, target.env) });
    expect(backfill.code, backfill.stderr).toBe(0);
    const counts = await query<{ n: number; distinct: number }>(target, 'SELECT count(*)::int AS n, count(DISTINCT event_hash)::int AS distinct FROM dockerhub.audit_logs');
    expect(counts[0]).toEqual({ n: allEvents.length, distinct: allEvents.length });
    const inserts = await query<{ n: number }>(target, `SELECT count(*)::int AS n FROM dockerhub.changes WHERE entity = 'audit_logs' AND op = 'insert'`);
    expect(inserts[0]!.n).toBe(allEvents.length);

    // The same backfill again resumes at its end: no audit request, nothing written.
    emulator.requests.reset();
    const repeat = await runCli(['sync', '--backfill', '--from', from], { env: syncEnv(emulator, target.env) });
    expect(repeat.code, repeat.stderr).toBe(0);
    expect(emulator.requests.get('auditlogs.list')).toBeLessThanOrEqual(snapshot.orgs.length);
    const after = await query<{ n: number }>(target, 'SELECT count(*)::int AS n FROM dockerhub.audit_logs');
    expect(after[0]!.n).toBe(allEvents.length);
  });

  it('records a slice that fails (no permission) with a clear reason and runs the others', async () => {
    const emulator = await emulatorFor();
    const target = await freshDatabase();
    const { member } = emulator.credentials;
    const result = await runCli(['sync'], {
      env: syncEnv(emulator, target.env, {
        DOCKERHUB_USERNAME: member.username,
        DOCKERHUB_PASSWORD: member.password,
        DOCKERHUB_NAMESPACES: member.org,
        DOCKERHUB_ORGS: member.org,
      }),
    });
    expect(result.code).toBe(1);
    const runs = await query<{ endpoint: string; status: string; error: string | null }>(
      target,
      'SELECT endpoint, status, error FROM dockerhub.sync_runs ORDER BY id',
    );
    const failed = runs.filter((r) => r.status === 'failed');
    const succeeded = runs.filter((r) => r.status === 'succeeded');
    expect(failed.length).toBeGreaterThan(0);
    expect(succeeded.map((r) => r.endpoint)).toContain('repositories');
    for (const run of failed) expect(run.error).toMatch(/403|permission|forbidden|owner/i);
    expect(result.stdout).toContain('Failures:');
    expect(result.stdout + result.stderr).not.toContain(member.password);
  });

  it('--dry-run fetches and validates everything, reports what it would write, and writes nothing', async () => {
    const emulator = await emulatorFor();
    const target = await freshDatabase();
    const result = await runCli(['sync', '--dry-run'], { env: syncEnv(emulator, target.env) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Dry run: nothing was written.');
    // The chained endpoints ran on what the list found in this pass.
    expect(emulator.requests.get('tags.list')).toBeGreaterThan(0);
    const insertedTags = /^tags\s+\d+\s+0\s+\d+\s+\d+\s+(\d+)/m.exec(result.stdout);
    expect(Number(insertedTags?.[1])).toBeGreaterThan(0);
    const counts = await query<{ n: number }>(
      target,
      `SELECT (SELECT count(*) FROM dockerhub.repositories) + (SELECT count(*) FROM dockerhub.tags) + (SELECT count(*) FROM dockerhub.changes)
        + (SELECT count(*) FROM dockerhub.sync_runs) + (SELECT count(*) FROM dockerhub.sync_state) + (SELECT count(*) FROM dockerhub.audit_logs) AS n`,
    );
    expect(Number(counts[0]!.n)).toBe(0);
  });

  it('between complete listings, reads the list newest first and stops at the first unchanged repository', async () => {
    // Its first pass is the file's uninterrupted sync: a first pass lists completely whatever the interval.
    const { emulator, reference: target } = await cleanSync();
    const env = (extra: Record<string, string> = {}) => syncEnv(emulator, target.env, { REPOSITORY_LIST_INTERVAL: '1h', ...extra });

    const snapshot = emulator.snapshot({ tags: false });
    const org = snapshot.orgs[0]!;
    const [pushed, gone, pulled] = snapshot.repositories[org]!.slice(0, 3).map((r) => r.name) as [string, string, string];
    emulator.state.addTag(org, pushed, 'fresh');
    emulator.state.deleteRepository(org, gone);
    const pulls = emulator.state.bumpPulls(org, pulled, 77);

    emulator.requests.reset();
    const recent = await runCli(['sync'], { env: env() });
    expect(recent.code, recent.stderr).toBe(0);
    // One list request per namespace, the pushed repository's tags, nothing else of repositories.
    expect(emulator.requests.get('repositories.list')).toBe(snapshot.namespaces.length);
    expect(emulator.requests.get('tags.list')).toBe(1);
    const state = async () =>
      query<{ name: string; deleted: boolean; pull_count: number }>(
        target,
        `SELECT name, deleted_at IS NOT NULL AS deleted, pull_count FROM dockerhub.repositories WHERE namespace = '${org}' AND name IN ('${gone}', '${pulled}') ORDER BY name = '${gone}' DESC`,
      );
    const fresh = await query<{ n: number }>(target, `SELECT count(*)::int AS n FROM dockerhub.tags WHERE namespace = '${org}' AND repository = '${pushed}' AND name = 'fresh'`);
    expect(fresh[0]!.n).toBe(1);
    // Deletions and pull-only changes wait for the complete listing.
    const before = await state();
    expect(before[0]!.deleted).toBe(false);
    expect(Number(before[1]!.pull_count)).not.toBe(pulls);

    const complete = await runCli(['sync'], { env: env({ REPOSITORY_LIST_INTERVAL: '0s' }) });
    expect(complete.code, complete.stderr).toBe(0);
    const after = await state();
    expect(after[0]!.deleted).toBe(true);
    expect(Number(after[1]!.pull_count)).toBe(pulls);
  });
});
