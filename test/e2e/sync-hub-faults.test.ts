import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import type { TestDatabase } from '../support/db.js';
import { syncEnv, type RunningEmulator } from '../support/emulator.js';
import { contentOf, fileFixtures, query } from '../support/sync-content.js';

// The real CLI against an emulator that answers badly: invalid items, 5xx answers, dropped
// connections, tokens that expire mid-pass. Kills, backfills and the rest of the sync's
// resilience: test/e2e/sync-resilience.test.ts.

const { freshDatabase, emulatorFor } = fileFixtures();

/**
 * A clean sync of the default emulator into a new database, once for the file, and the content
 * it left: the first pass of the malformed-items test and the reference of the flaky one (the
 * flaky emulator has the same seed, so the same data).
 */
let clean: Promise<{ emulator: RunningEmulator; target: TestDatabase; content: Awaited<ReturnType<typeof contentOf>> }> | undefined;
function cleanlySynced() {
  clean ??= (async () => {
    const emulator = await emulatorFor();
    const target = await freshDatabase();
    const first = await runCli(['sync'], { env: syncEnv(emulator, target.env) });
    expect(first.code, first.stderr).toBe(0);
    return { emulator, target, content: await contentOf(target) };
  })();
  return clean;
}

describe('sync against a Hub that answers badly', () => {
  it('keeps invalid items in sync_errors, stores the rest, and decides no deletions from such a listing', async () => {
    const { emulator, target } = await cleanlySynced();
    const [{ n: before }] = (await query<{ n: number }>(target, 'SELECT count(*)::int AS n FROM dockerhub.tags WHERE deleted_at IS NULL')) as [{ n: number }];

    emulator.configure({ malformedRate: 0.2 });
    const second = await runCli(['sync', '--full'], { env: syncEnv(emulator, target.env) });
    expect(second.code, second.stderr).toBe(0);
    const errors = await query<{ endpoint: string; payload: unknown; issues: unknown[]; message: string }>(
      target,
      'SELECT endpoint, payload, issues, message FROM dockerhub.sync_errors',
    );
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.payload).not.toBeNull();
      expect(Array.isArray(error.issues) && error.issues.length > 0).toBe(true);
      expect(error.message.length).toBeGreaterThan(0);
    }
    // Invalid items were not taken for deletions.
    const [{ n: after }] = (await query<{ n: number }>(target, 'SELECT count(*)::int AS n FROM dockerhub.tags WHERE deleted_at IS NULL')) as [{ n: number }];
    expect(after).toBe(before);
    const runs = await query<{ invalid: number }>(target, 'SELECT coalesce(sum(rows_invalid), 0)::int AS invalid FROM dockerhub.sync_runs');
    expect(runs[0]!.invalid).toBe(errors.length);
  });

  it('survives 5xx answers, dropped connections and expiring tokens with the same result as a clean run', async () => {
    const { content: reference } = await cleanlySynced();

    // Same seed, so the same data; this one fails 10% of requests, drops 3% of connections and
    // issues tokens that expire after two seconds.
    const flaky = await emulatorFor({ errorRate: 0.1, dropRate: 0.03, tokenTtlSeconds: 2, latencyMs: 2 });
    const target = await freshDatabase();
    const flakyRun = await runCli(['sync'], { env: syncEnv(flaky, target.env, { DOCKERHUB_MAX_RETRIES: '8' }) });
    expect(flakyRun.code, flakyRun.stdout + flakyRun.stderr).toBe(0);
    const statuses = flaky.requests.statuses;
    expect(Object.keys(statuses).some((status) => status.startsWith('5'))).toBe(true);
    // Logged in again after the token expired, without a storm of logins.
    const logins = flaky.requests.get('auth.token');
    expect(logins).toBeGreaterThan(1);
    expect(logins).toBeLessThan(flaky.requests.total / 5);
    expect(await contentOf(target)).toEqual(reference);
  });
});
