import { sql } from 'drizzle-orm';
import { loadConfig } from '../../src/config.js';
import { hubClientFromConfig } from '../../src/commands/hub.js';
import type { Database } from '../../src/db/client.js';
import { rowsOf } from '../../src/db/client.js';
import { startEmulator, type EmulatorSnapshot, type RunningEmulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { runSync, type SyncSummary } from '../../src/sync/runner.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { endpoints } from '../../src/endpoints/index.js';

export const DAY_MS = 86_400_000;

/** What the fixture changed in the emulator between the two passes, so tests know what to expect. */
export interface Mutations {
  madePublic: { namespace: string; name: string };
  madePrivate: { namespace: string; name: string };
  pulled: { namespace: string; name: string; count: number }[];
  freshTag: { namespace: string; repository: string; tag: string };
  deletedRepository: { namespace: string; name: string };
  deletedTag: { namespace: string; repository: string; tag: string };
  removedMember: { org: string; username: string };
  auditEventsAdded: number;
  /** Organization access tokens: one created expiring in 10 days, one created and used now, one deactivated. */
  tokens: { org: string; expiring: string; used: string; deactivated: string };
}

export interface SyncedEmulator {
  emulator: RunningEmulator;
  target: TestDatabase;
  database: Database;
  /** The emulator as the first pass saw it (pass 1 ran with a clock two days in the past). */
  before: EmulatorSnapshot;
  /** The emulator as the second pass saw it: what the database holds now. */
  after: EmulatorSnapshot;
  mutations: Mutations;
  /** The clock of pass 1, and the wall-clock window of pass 2. */
  pass1At: Date;
  pass2: { start: Date; end: Date };
  close(): Promise<void>;
}

function oldestAuditEvent(snapshot: EmulatorSnapshot): number {
  let oldest = Date.now();
  for (const events of Object.values(snapshot.auditLogs)) {
    for (const event of events) oldest = Math.min(oldest, Date.parse(String(event.timestamp)));
  }
  return oldest;
}

/**
 * The Docker Hub emulator synced twice into a fresh test database: a first pass "two days ago"
 * (injected clock), then changes a real account sees (a repository made public, one made
 * private, pulls, a fresh push, a deleted repository and tag, a removed member, new audit
 * events), then a second, full pass now. Views then have history to show: pull growth across
 * days, visibility changes, deletions.
 */
export async function syncedEmulator(options: { seed?: number } = {}): Promise<SyncedEmulator> {
  const emulator = await startEmulator({ seed: options.seed ?? 7, scale: 1 });
  let target: TestDatabase | undefined;
  let database: Database | undefined;
  try {
    target = await createTestDatabase();
    database = await target.open();
    const before = emulator.snapshot();
    const { credentials } = emulator;
    const pass1At = new Date(Date.now() - 2 * DAY_MS);
    const lookbackDays = Math.ceil((Date.now() - oldestAuditEvent(before)) / DAY_MS) + 4;
    const config = loadConfig({
      env: {
        DOCKERHUB_API_URL: emulator.url,
        DOCKERHUB_USERNAME: credentials.username,
        DOCKERHUB_PASSWORD: credentials.password,
        DOCKERHUB_NAMESPACES: before.namespaces.join(','),
        AUDIT_INITIAL_LOOKBACK: `${lookbackDays}d`,
        AUDIT_WINDOW: '30d',
        LOG_LEVEL: 'silent',
      },
    });
    const logger = createLogger({ level: 'silent' });
    const client = hubClientFromConfig(config, logger);
    const db = database;
    const pass = async (clock: { now(): Date } | undefined, full: boolean): Promise<SyncSummary> => {
      const summary = await runSync({ database: db, client, logger, config, ...(clock ? { clock } : {}), registry: endpoints }, { full });
      const failed = summary.slices.filter((slice) => slice.status === 'failed');
      if (failed.length > 0) throw new Error(`sync failed: ${failed.map((f) => `${f.endpoint} ${f.slice}: ${f.error}`).join('; ')}`);
      return summary;
    };
    try {
      await pass({ now: () => pass1At }, false);

      const mutations = await mutate(emulator, before);
      const after = emulator.snapshot();
      const start = new Date();
      await pass(undefined, true);
      const end = new Date();
      return {
        emulator,
        target,
        database,
        before,
        after,
        mutations,
        pass1At,
        pass2: { start, end },
        close: async () => {
          await db.close();
          await target?.destroy();
          await emulator.close();
        },
      };
    } finally {
      await client.close();
    }
  } catch (error) {
    await database?.close().catch(() => undefined);
    await target?.destroy().catch(() => undefined);
    await emulator.close();
    throw error;
  }
}

async function mutate(emulator: RunningEmulator, before: EmulatorSnapshot): Promise<Mutations> {
  const { state } = emulator;
  const org = before.orgs[0]!;
  const repos = Object.values(before.repositories).flat();
  const withTags = (r: { namespace: string; name: string }) => (before.tags[`${r.namespace}/${r.name}`] ?? []).length > 1;
  const privateRepo = repos.find((r) => r.is_private && withTags(r));
  const publicRepos = repos.filter((r) => !r.is_private && withTags(r));
  if (!privateRepo || publicRepos.length < 4) throw new Error('emulator seed has too few repositories for the view fixture');
  const [madePrivate, pulledA, pulledB, doomed] = publicRepos as [typeof repos[number], typeof repos[number], typeof repos[number], typeof repos[number]];
  const tagged = publicRepos[4] ?? privateRepo;

  state.setPrivacy(privateRepo.namespace, privateRepo.name, false, before.user);
  state.setPrivacy(madePrivate.namespace, madePrivate.name, true, before.user);
  const pulled = [
    { namespace: pulledA.namespace, name: pulledA.name, count: 1234 },
    { namespace: pulledB.namespace, name: pulledB.name, count: 7 },
    { namespace: privateRepo.namespace, name: privateRepo.name, count: 50 },
  ];
  for (const p of pulled) state.bumpPulls(p.namespace, p.name, p.count);
  const freshTag = { namespace: tagged.namespace, repository: tagged.name, tag: 'fresh-build' };
  state.addTag(freshTag.namespace, freshTag.repository, freshTag.tag);
  state.deleteRepository(doomed.namespace, doomed.name);
  const victimTag = before.tags[`${pulledB.namespace}/${pulledB.name}`]!.at(-1)!.name;
  state.deleteTag(pulledB.namespace, pulledB.name, victimTag);
  const member = (before.members[org] ?? []).find((m) => m.role === 'Member' && m.username);
  if (!member) throw new Error(`no plain member in ${org}`);
  state.removeMember(org, member.username);
  const auditEventsAdded = 12;
  state.appendAuditEvents(org, auditEventsAdded);
  const expiring = state.createOat(org, { label: 'release-bot', expires_at: new Date(Date.now() + 10 * DAY_MS).toISOString() }, before.user);
  const used = state.createOat(org, { label: 'ci' }, before.user);
  // A login with the new token is what makes Docker Hub record its last use.
  const login = await fetch(`${emulator.url}/v2/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ identifier: org, secret: used.secret }),
  });
  if (login.status !== 200) throw new Error(`login with a new organization access token failed: ${login.status}`);
  const deactivated = (before.orgAccessTokens[org] ?? [])[0];
  if (!deactivated) throw new Error(`no organization access token in ${org}`);
  state.updateOat(org, deactivated.id, { is_active: false }, before.user);
  return {
    madePublic: { namespace: privateRepo.namespace, name: privateRepo.name },
    madePrivate: { namespace: madePrivate.namespace, name: madePrivate.name },
    pulled,
    freshTag,
    deletedRepository: { namespace: doomed.namespace, name: doomed.name },
    deletedTag: { namespace: pulledB.namespace, repository: pulledB.name, tag: victimTag },
    removedMember: { org, username: member.username },
    auditEventsAdded,
    tokens: { org, expiring: expiring.id, used: used.id, deactivated: deactivated.id },
  };
}

/** Rows of `SELECT to_jsonb(x) FROM (<query>) x`: timestamps come back as ISO text, bigints as numbers. */
export async function jsonRows<T = Record<string, unknown>>(database: Database, query: string): Promise<T[]> {
  const result = await database.db.execute(sql.raw(`SELECT to_jsonb(x) AS r FROM (${query}) x`));
  return rowsOf<{ r: T | string }>(result).map(({ r }) => (typeof r === 'string' ? (JSON.parse(r) as T) : r));
}
