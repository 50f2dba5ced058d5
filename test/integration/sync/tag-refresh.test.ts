import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { loadConfig } from '../../../src/config.js';
import type { Database } from '../../../src/db/client.js';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import type { HubClient } from '../../../src/hub/client.js';
import { createLogger } from '../../../src/logger.js';
import { runSync } from '../../../src/sync/runner.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const HOUR_MS = 3_600_000;

/**
 * Tags are re-read because a repository was pulled or pushed, not because time went by: a pull
 * moves the repository's pull_count on the list, and that alone selects its tags.
 */
describe('which repositories have their tags read', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let database: Database;
  let client: HubClient;
  let nowMs = Date.now();
  const clock = { now: () => new Date(nowMs) };
  const logger = createLogger({ level: 'silent' });

  const pass = async () => {
    emulator.requests.reset();
    const summary = await runSync(
      { database, client, logger, config: configFor(emulator), clock },
      { only: ['repositories', 'repository_details', 'tags'] },
    );
    const failed = summary.slices.filter((slice) => slice.status === 'failed');
    if (failed.length > 0) throw new Error(`sync failed: ${failed.map((f) => `${f.endpoint} ${f.slice}: ${f.error}`).join('; ')}`);
    return emulator.requests.counts;
  };

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 11, scale: 1 });
    target = await createTestDatabase();
    database = await target.open();
    client = hubClientFromConfig(configFor(emulator), logger);
    await pass();
  });
  afterAll(async () => {
    await client?.close();
    await database?.close();
    await target?.destroy();
    await emulator?.close();
  });

  it('a pass a day later with nothing pulled or pushed reads no tags', async () => {
    nowMs += 25 * HOUR_MS;
    const counts = await pass();
    expect(counts['tags.list'] ?? 0).toBe(0);
    expect(counts['repositories.get'] ?? 0).toBe(0);
  });

  it('a pull on one tag re-reads the tags of that repository only', async () => {
    const snapshot = emulator.snapshot();
    const [key, tags] = Object.entries(snapshot.tags).find(([, list]) => list.length >= 2 && list.length <= 100)!;
    const [namespace, repository] = key.split('/') as [string, string];
    emulator.state.bumpPulls(namespace, repository, 3, tags[1]!.name);
    nowMs += HOUR_MS;
    const counts = await pass();
    expect(counts['tags.list']).toBe(1);
    expect(counts['repositories.get'] ?? 0).toBe(0);
    // Read once, then settled: the next pass reads no tags.
    nowMs += HOUR_MS;
    expect((await pass())['tags.list'] ?? 0).toBe(0);
  });

  it('the safety-net refresh still re-reads every repository once TAG_REFRESH_INTERVAL has passed', async () => {
    nowMs += 8 * 24 * HOUR_MS;
    const counts = await pass();
    const repositories = Object.values(emulator.snapshot({ tags: false }).repositories).flat().length;
    expect(counts['tags.list']).toBeGreaterThanOrEqual(repositories);
  });
});

function configFor(emulator: RunningEmulator) {
  const { credentials } = emulator;
  return loadConfig({
    env: {
      DOCKERHUB_API_URL: emulator.url,
      DOCKERHUB_USERNAME: credentials.username,
      DOCKERHUB_PASSWORD: credentials.password,
      DOCKERHUB_NAMESPACES: [credentials.username, ...credentials.oat.map((o) => o.org)].join(','),
      LOG_LEVEL: 'silent',
    },
  });
}
