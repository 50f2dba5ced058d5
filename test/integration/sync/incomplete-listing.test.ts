import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { loadConfig } from '../../../src/config.js';
import { rowsOf, type Database } from '../../../src/db/client.js';
import { startEmulator, type PageFault, type RunningEmulator } from '../../../src/emulator/index.js';
import type { HubClient } from '../../../src/hub/client.js';
import { runSync, type SyncSummary } from '../../../src/sync/runner.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { endpoints } from '../../../src/endpoints/index.js';

// A listing that ends early (an empty page that still links on, a 404 in the middle, fewer items
// than the reported count) must never delete what it did not show. The emulator serves five
// items per page so one namespace spans several pages.

let emulator: RunningEmulator;
let target: TestDatabase;
let database: Database;
let client: HubClient;
let namespace: string;
let logs = '';

const logger = pino({ level: 'warn' }, { write: (line: string) => void (logs += line) });

beforeAll(async () => {
  emulator = await startEmulator({ seed: 7, scale: 1, pageSizeCap: 5 });
  const snapshot = emulator.snapshot({ tags: false });
  // The namespace with the most repositories: several pages of five.
  namespace = [...snapshot.namespaces].sort((a, b) => (snapshot.repositories[b]?.length ?? 0) - (snapshot.repositories[a]?.length ?? 0))[0]!;
  expect(snapshot.repositories[namespace]!.length).toBeGreaterThan(10);
  target = await createTestDatabase();
  database = await target.open();
  const config = loadConfig({
    env: {
      DOCKERHUB_API_URL: emulator.url,
      DOCKERHUB_USERNAME: emulator.credentials.username,
      DOCKERHUB_PASSWORD: emulator.credentials.password,
      DOCKERHUB_NAMESPACES: namespace,
      DOCKERHUB_ORGS: '',
      LOG_LEVEL: 'silent',
    },
  });
  client = hubClientFromConfig(config, logger);
  sync = (options) => runSync({ database, client, logger, config, registry: endpoints }, { only: ['repositories', 'tags'], ...options });
});

afterAll(async () => {
  await client?.close();
  await database?.close();
  await target?.destroy();
  await emulator?.close();
});

let sync: (options?: { full?: boolean }) => Promise<SyncSummary>;

async function count(query: string): Promise<number> {
  return Number(rowsOf<{ n: string | number }>(await database.db.execute(sql.raw(query)))[0]?.n ?? 0);
}

const liveRepositories = () => count(`SELECT count(*) AS n FROM dockerhub.repositories WHERE deleted_at IS NULL`);
const liveTags = () => count(`SELECT count(*) AS n FROM dockerhub.tags WHERE deleted_at IS NULL`);
const liveImages = () => count(`SELECT count(*) AS n FROM dockerhub.tag_images WHERE deleted_at IS NULL`);

function failures(summary: SyncSummary): string[] {
  return summary.slices.filter((s) => s.status === 'failed').map((s) => `${s.endpoint} ${s.slice}: ${s.error}`);
}

describe('deletions only from a listing proven complete', () => {
  let expected: { repositories: number; tags: number; images: number };

  beforeEach(async () => {
    emulator.configure({ pageFault: null });
    const first = await sync({ full: true });
    expect(failures(first)).toEqual([]);
    expected = { repositories: await liveRepositories(), tags: await liveTags(), images: await liveImages() };
    expect(expected.repositories).toBe(emulator.snapshot({ tags: false }).repositories[namespace]!.length);
    logs = '';
  });

  it.each<[string, PageFault, RegExp]>([
    ['an empty page 2 that still links to page 3', { page: 2, mode: 'empty' }, /page 2 was empty/],
    ['a 404 on page 2 although page 1 linked to it', { page: 2, mode: 'missing' }, /page 2 answered 404/],
    ['a last page with fewer items than the reported count', { page: 3, mode: 'short' }, /with 17 items, fewer than the count of 20/],
  ])('%s deletes nothing and says why', async (_name, fault, reason) => {
    emulator.configure({ pageFault: fault });
    await sync({ full: true });
    expect(await liveRepositories()).toBe(expected.repositories);
    expect(await liveTags()).toBe(expected.tags);
    expect(await liveImages()).toBe(expected.images);
    expect(logs).toMatch(reason);
    expect(logs).toContain(`"slice":"${namespace}"`);
    expect(logs).toContain('deletions skipped');
  });

  it('a repository that comes back brings its tags back in the next pass', async () => {
    // The state an earlier short listing left behind: repositories and their tags marked deleted.
    await database.db.execute(sql`
      UPDATE dockerhub.repositories SET deleted_at = now() WHERE name IN (
        SELECT name FROM dockerhub.repositories ORDER BY name OFFSET 5)`);
    await database.db.execute(sql`
      UPDATE dockerhub.tags t SET deleted_at = now() FROM dockerhub.repositories r
      WHERE r.namespace = t.namespace AND r.name = t.repository AND r.deleted_at IS NOT NULL`);
    expect(await liveTags()).toBeLessThan(expected.tags);
    const pass = await sync();
    expect(failures(pass)).toEqual([]);
    expect(await liveRepositories()).toBe(expected.repositories);
    expect(await liveTags()).toBe(expected.tags);
  });
});

describe('organization snapshots follow the same rule', () => {
  it('an empty page 2 of the team list deletes no team', async () => {
    const org = emulator.credentials.oat[0]!.org;
    const config = loadConfig({
      env: {
        DOCKERHUB_API_URL: emulator.url,
        DOCKERHUB_USERNAME: emulator.credentials.username,
        DOCKERHUB_PASSWORD: emulator.credentials.password,
        DOCKERHUB_NAMESPACES: org,
        DOCKERHUB_ORGS: org,
        LOG_LEVEL: 'silent',
      },
    });
    const teams = () => count(`SELECT count(*) AS n FROM dockerhub.teams WHERE deleted_at IS NULL`);
    emulator.configure({ pageFault: null, pageSizeCap: 2 });
    try {
      const first = await runSync({ database, client, logger, config, registry: endpoints }, { only: ['teams'] });
      expect(failures(first)).toEqual([]);
      const listed = await teams();
      expect(listed).toBe(emulator.snapshot({ tags: false }).teams[org]!.length);
      expect(listed).toBeGreaterThan(2);
      logs = '';
      emulator.configure({ pageFault: { page: 2, mode: 'empty' } });
      await runSync({ database, client, logger, config, registry: endpoints }, { only: ['teams'] });
      expect(await teams()).toBe(listed);
      expect(logs).toContain(`teams ${org}: deletions skipped`);
    } finally {
      emulator.configure({ pageFault: null, pageSizeCap: 5 });
    }
  });
});
