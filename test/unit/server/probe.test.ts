import { describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import type { JobSpec } from '../../../src/scheduler/jobs.js';
import type { JobState, Scheduler } from '../../../src/scheduler/scheduler.js';
import { createReadinessProbe } from '../../../src/server/probe.js';

/** A database that answers at once: one migration applied. */
const database = {
  db: { execute: async () => ({ rows: [{ present: true, n: 1 }] }) },
} as unknown as Database;

describe('readiness probe: a running tick that stops making progress', () => {
  it('turns unready once no page finished for longer than the stall limit, and ready again on the next page', async () => {
    let now = new Date('2025-01-15T12:00:00Z');
    const job = { name: 'repositories', schedule: '0 * * * *', endpoints: ['repositories'] } as unknown as JobSpec;
    const state: JobState = { job, running: { since: now, runGroup: 'g' }, lastCompleted: null, missedTicks: 0 };
    const scheduler = { startedAt: now, states: () => [state] } as unknown as Scheduler;
    const progress = new Map<string, Date>();
    const probe = createReadinessProbe({
      database,
      scheduler,
      expectedMigrations: 1,
      shuttingDown: () => false,
      now: () => now,
      lastProgress: (name) => progress.get(name),
      stallLimitMs: 10 * 60_000,
    });
    const advance = (ms: number) => (now = new Date(now.getTime() + ms));

    advance(9 * 60_000);
    expect((await probe()).ready).toBe(true);
    advance(2 * 60_000);
    const stalled = await probe();
    expect(stalled.ready).toBe(false);
    expect(stalled.jobs[0]?.status).toBe('stalled');
    expect(stalled.problems[0]).toMatch(/READYZ_STALL_LIMIT/);

    progress.set('repositories', now);
    expect((await probe()).ready).toBe(true);
    advance(10 * 60_000 + 1);
    expect((await probe()).ready).toBe(false);
  });
});
