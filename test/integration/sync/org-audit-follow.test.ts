import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { organizationReadLines } from '../../../src/commands/status-orgs.js';
import { loadConfig, type Config } from '../../../src/config.js';
import { rowsOf, type Database } from '../../../src/db/client.js';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import { endpoints } from '../../../src/endpoints/index.js';
import { ORG_LISTINGS } from '../../../src/endpoints/org-audit.js';
import type { HubClient } from '../../../src/hub/client.js';
import { createLogger } from '../../../src/logger.js';
import { planJobs, type JobSpec } from '../../../src/scheduler/jobs.js';
import { runGroupOf } from '../../../src/scheduler/scheduler.js';
import { createTickRunner } from '../../../src/scheduler/tick.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { syncEnv } from '../../support/emulator.js';

const MINUTE = 60_000;
const SEED = 23;

/** Emulator routes of the organization listings (everything but the audit log and logins). */
const LISTING_ROUTES = /^(members|groups|invites|settings|orgaccesstokens|scim)\./;

/**
 * `serve`'s audit_logs and organization jobs, tick after tick, on one clock the emulator shares:
 * organization listings are read when the audit log names a change they show, and completely
 * (deleting) only on the safety net, or hourly where the audit log cannot be read.
 */
describe('organization listings follow the audit log', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let database: Database;
  let client: HubClient;
  let config: Config;
  let nowMs = Date.UTC(2031, 0, 6, 10, 0, 0);
  const clock = { now: () => new Date(nowMs) };
  const logger = createLogger({ level: 'silent' });
  let jobs: Map<string, JobSpec>;
  let orgs: string[];

  /** The audit tick, then the organization tick; the emulator's request counts of both. */
  const tick = async (): Promise<Record<string, number>> => {
    emulator.requests.reset();
    const runTick = createTickRunner({ database, client, logger, config, clock, registry: endpoints });
    for (const name of ['audit_logs', 'organization']) {
      const job = jobs.get(name)!;
      const outcome = await runTick({ job, scheduledAt: clock.now(), runGroup: runGroupOf(name, clock.now()), reason: 'schedule' }, new AbortController().signal);
      if (outcome !== 'succeeded') throw new Error(`${name} tick: ${outcome}`);
    }
    return emulator.requests.counts;
  };
  const listingRequests = (counts: Record<string, number>) => Object.entries(counts).filter(([route]) => LISTING_ROUTES.test(route));
  const advance = (ms: number) => (nowMs += ms);
  const one = async <T>(query: ReturnType<typeof sql>) => rowsOf<T>(await database.db.execute(query))[0];

  beforeAll(async () => {
    console.log(`org-audit-follow seed ${SEED}`);
    emulator = await startEmulator({ seed: SEED, scale: 1, clock: { now: () => nowMs }, epochMs: nowMs });
    target = await createTestDatabase();
    database = await target.open();
    config = loadConfig({ env: syncEnv(emulator, {}, { LOG_LEVEL: 'silent', AUDIT_INITIAL_LOOKBACK: '2d' }) });
    client = hubClientFromConfig(config, logger);
    jobs = new Map(planJobs(endpoints, {}).jobs.map((job) => [job.name, job]));
    // The first ticks: every listing is new and read completely.
    const first = await tick();
    expect(listingRequests(first).length).toBeGreaterThan(0);
    const complete = listingRequests(first).reduce((sum, [, n]) => sum + n, 0);
    console.log(`complete read of the organization listings (what every hourly tick cost before): ${complete} requests ${JSON.stringify(first)}`);
    orgs = rowsOf<{ org: string }>(await database.db.execute(sql`SELECT DISTINCT org FROM dockerhub.org_members ORDER BY 1`)).map((r) => r.org);
    expect(orgs.length).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await client?.close();
    await database?.close();
    await target?.destroy();
    await emulator?.close();
  });

  it('an idle organization costs its audit window and nothing else', async () => {
    for (let i = 0; i < 3; i++) {
      advance(5 * MINUTE);
      const counts = await tick();
      expect(listingRequests(counts)).toEqual([]);
      // One request per organization's audit window: all that an idle tick costs.
      expect(Object.keys(counts).filter((route) => !route.startsWith('auth'))).toEqual(['auditlogs.list']);
      console.log(`idle tick: ${JSON.stringify(counts)} for ${orgs.length} organizations`);
    }
  });

  it('a member role change makes the members listing, and only it, read at the next tick', async () => {
    const org = orgs[0]!;
    const member = emulator.snapshot({ tags: false }).members[org]!.find((m) => String(m.role).toLowerCase() === 'member' && m.username)!;
    emulator.state.setMemberRole(org, String(member.username), 'editor', org);
    advance(5 * MINUTE);
    const counts = await tick();
    expect(listingRequests(counts).map(([route]) => route)).toEqual(['members.list']);
    expect(counts['members.list']).toBe(1);
    const row = await one<{ role: string }>(sql`SELECT role FROM dockerhub.org_members WHERE org = ${org} AND username = ${String(member.username)}`);
    expect(row?.role.toLowerCase()).toBe('editor');
    // Seen once: the tick after reads nothing again.
    advance(5 * MINUTE);
    expect(listingRequests(await tick())).toEqual([]);
  });

  it('a deleted team stays until the safety-net read, which alone deletes it', async () => {
    const org = orgs[0]!;
    const team = emulator.snapshot({ tags: false }).teams[org]![0]!;
    emulator.state.deleteTeam(org, String(team.name), org);
    advance(5 * MINUTE);
    const counts = await tick();
    expect(listingRequests(counts).map(([route]) => route)).toEqual(['groups.list']);
    const after = await one<{ deleted_at: string | null }>(sql`SELECT deleted_at FROM dockerhub.teams WHERE org = ${org} AND name = ${String(team.name)}`);
    expect(after?.deleted_at).toBeNull();
    // The safety net: a day after the first complete read, every listing is read completely.
    advance(config.sync.organizationSafetyNetInterval);
    const safetyNet = await tick();
    expect(safetyNet['groups.list']).toBe(orgs.length);
    const gone = await one<{ deleted_at: string | null }>(sql`SELECT deleted_at FROM dockerhub.teams WHERE org = ${org} AND name = ${String(team.name)}`);
    expect(gone?.deleted_at).not.toBeNull();
    advance(5 * MINUTE);
    expect(listingRequests(await tick())).toEqual([]);
  });

  it('an organization whose audit log answers 403 keeps the hourly read, and status says why', async () => {
    const org = orgs[orgs.length - 1]!;
    emulator.state.audit.setAvailable(org, false);
    advance(5 * MINUTE);
    await tick().catch(() => undefined); // the audit slice of that organization fails
    const lines = await organizationReadLines(database, config, clock.now());
    expect(lines.find((line) => line.startsWith(`${org}:`))).toMatch(/cannot be read \(.*403.*\); its listings are read completely every hour/);
    // Within the hour: nothing; once an hour has passed since its last complete read: all its listings.
    let reads = 0;
    for (let i = 0; i < 14; i++) {
      advance(5 * MINUTE);
      emulator.requests.reset();
      const runTick = createTickRunner({ database, client, logger, config, clock, registry: endpoints });
      await runTick({ job: jobs.get('audit_logs')!, scheduledAt: clock.now(), runGroup: runGroupOf('audit_logs', clock.now()), reason: 'schedule' }, new AbortController().signal);
      await runTick({ job: jobs.get('organization')!, scheduledAt: clock.now(), runGroup: runGroupOf('organization', clock.now()), reason: 'schedule' }, new AbortController().signal);
      reads += emulator.requests.counts['members.list'] ?? 0;
    }
    expect(reads).toBe(1);
    const other = orgs.filter((o) => o !== org);
    for (const name of other) expect(lines.find((line) => line.startsWith(`${name}:`))).toMatch(/follows the audit log/);
    expect(ORG_LISTINGS).toContain('org_members');
  });
});
