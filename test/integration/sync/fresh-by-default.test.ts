import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf, type Database } from '../../../src/db/client.js';
import { createLogger } from '../../../src/logger.js';
import { freshAccount, FRESHNESS_TARGETS, tagStored, type Account } from '../../../bench/freshness.js';
import type { TickRecord } from '../../../bench/ticks.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { seeded } from '../../support/seed.js';

// With nothing but a credential and namespaces configured, `serve`'s jobs keep a push fresh: a
// newest-first list each minute (one request per namespace when nothing moved), the tags and
// detail of what moved in the same tick, a complete listing (the only one that deletes) hourly.
// The jobs run through serve's job plan and tick runner on a clock the test moves (the emulator
// and the Hub client read it too), so an hour of schedule passes in seconds.

const FILE = 'test/integration/sync/fresh-by-default.test.ts';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let target: TestDatabase;
let database: Database;
let account: Account;

/** 10:20:30 UTC today: the next minute is no other job's minute, and no daily job falls in the next hour. */
const START = new Date(Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR + 10 * HOUR + 20 * MINUTE + 30_000);

beforeAll(async () => {
  target = await createTestDatabase();
  database = await target.open();
  account = await freshAccount({ seed: 7, scale: 1, database, logger: createLogger({ level: 'silent' }), settings: {}, start: START });
});

afterAll(async () => {
  await account?.close();
  await database?.close();
  await target?.destroy();
});

const nextMinute = () => new Date(Math.floor(account.clock.now() / MINUTE) * MINUTE + MINUTE);
const repositoriesTick = (ticks: TickRecord[]) => ticks.find((tick) => tick.job === 'repositories')!;

async function deletedAt(namespace: string, name: string): Promise<string | null> {
  const result = await database.db.execute(sql`SELECT deleted_at::text AS at FROM dockerhub.repositories WHERE namespace = ${namespace} AND name = ${name}`);
  return rowsOf<{ at: string | null }>(result)[0]?.at ?? null;
}

describe('fresh by default', () => {
  it('runs the repositories job, with details and tags, every minute', () => {
    const job = account.serve.jobs.find((j) => j.name === 'repositories')!;
    expect(job).toMatchObject({ schedule: '* * * * *', endpoints: ['repositories', 'repository_details', 'tags'] });
  });

  it('an idle minute costs one list request per namespace, within the budget counting every job', async () => {
    const ticks = await account.serve.runUntil(nextMinute());
    expect(ticks.map((t) => t.job)).toEqual(['repositories']);
    expect(repositoriesTick(ticks)).toMatchObject({ outcome: 'succeeded', requests: account.namespaces.length, byRoute: { 'repositories.list': account.namespaces.length } });
    expect(ticks.reduce((n, t) => n + t.requests, 0)).toBeLessThanOrEqual(FRESHNESS_TARGETS.idleRequestsPerMinute);
  });

  it('a push is in dockerhub.tags after the next minute tick, which reads that repository only', async () => {
    const { random, int } = seeded(FILE);
    const repositories = Object.values(account.emulator.snapshot({ tags: false }).repositories).flat().filter((r) => r.last_updated);
    const repo = repositories[int(0, repositories.length - 1)]!;
    const before = account.emulator.state.repository(repo.namespace, repo.name);
    const lastUpdated = before.lastUpdatedMs;
    const lastModified = before.lastModifiedMs;
    // Somewhere in the current minute.
    await account.serve.runUntil(new Date(account.clock.now() + Math.floor(random() * 25_000)));
    account.emulator.state.addTag(repo.namespace, repo.name, 'pushed-just-now');
    expect(account.emulator.state.repository(repo.namespace, repo.name).lastUpdatedMs).toBeGreaterThan(lastUpdated);
    expect(await tagStored(database, repo.namespace, repo.name, 'pushed-just-now')).toBe(false);

    const tickAt = nextMinute();
    const tick = repositoriesTick(await account.serve.runUntil(tickAt));
    expect(tick.scheduledAt).toEqual(tickAt);
    expect(await tagStored(database, repo.namespace, repo.name, 'pushed-just-now')).toBe(true);
    const tagPages = Math.max(1, Math.ceil(account.emulator.state.repositories.tagCount(account.emulator.state.repository(repo.namespace, repo.name)) / 100));
    // The detail is read again when its change marker moved: last_modified, else last_updated.
    const after = account.emulator.state.repository(repo.namespace, repo.name);
    const detailMoved = (after.lastModifiedMs ?? after.lastUpdatedMs) !== (lastModified ?? lastUpdated);
    expect(tick.byRoute).toEqual({ 'repositories.list': account.namespaces.length, ...(detailMoved ? { 'repositories.get': 1 } : {}), 'tags.list': tagPages });
  });

  it('a deleted repository stays until the hourly complete listing, which alone decides deletions; the hour costs ≤ 5% of the rate limit', async () => {
    const gone = Object.values(account.emulator.snapshot({ tags: false }).repositories).flat()[0]!;
    account.emulator.state.deleteRepository(gone.namespace, gone.name);
    const from = account.clock.now();
    const ticks = await account.serve.runUntil(new Date(from + 10 * MINUTE));
    expect(await deletedAt(gone.namespace, gone.name)).toBeNull();
    // The first pass listed completely at START; the next complete listing comes within the hour after it.
    ticks.push(...(await account.serve.runUntil(new Date(START.getTime() + HOUR + MINUTE))));
    expect(await deletedAt(gone.namespace, gone.name)).not.toBeNull();
    // Every job of the hour counted: the minute ticks, audit windows, the organization listings,
    // the hourly access tokens (:15) and pull-usage reports (:40; nothing to read with a password).
    const minutes = (account.clock.now() - from) / MINUTE;
    expect([...new Set(ticks.map((t) => t.job))].sort()).toEqual(['access_tokens', 'audit_logs', 'organization', 'pull_usage', 'repositories', 'watched_tags']);
    expect(ticks.filter((t) => t.job === 'repositories').length).toBeGreaterThanOrEqual(Math.floor(minutes));
    expect(ticks.reduce((n, t) => n + t.requests, 0) / minutes).toBeLessThanOrEqual(FRESHNESS_TARGETS.idleRequestsPerMinute);
  });
});
