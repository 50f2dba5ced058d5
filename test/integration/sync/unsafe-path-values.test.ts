import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { loadConfig, type Config } from '../../../src/config.js';
import { buildRegistry } from '../../../src/custom/registry.js';
import { rowsOf, type Database } from '../../../src/db/client.js';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import type { HubClient } from '../../../src/hub/client.js';
import { createLogger } from '../../../src/logger.js';
import { runSync } from '../../../src/sync/runner.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

// A value placed in a read's path (a namespace, a parent row's name) is one segment: "..", "."
// or "" must not turn /v2/namespaces/{namespace}/repositories into /v2/repositories. The slice
// fails with a sync_errors row naming the value, nothing is sent for it, the other slices run.

const TAGS_OF = { name: 'tags_of', path: '/v2/namespaces/{repositories.namespace}/repositories/{repositories.name}/tags', dataPath: '$.results[*]', key: 'name', columns: { name: 'text' } };

describe('unsafe values in the path of a read', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let database: Database;
  let client: HubClient;
  let config: Config;
  let namespace: string;
  const logger = createLogger({ level: 'silent' });
  const rows = async <T>(text: string) => rowsOf<T>(await database.db.execute(sql.raw(text)));

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 9, scale: 1 });
    target = await createTestDatabase();
    database = await target.open();
    const { credentials } = emulator;
    namespace = credentials.username;
    config = loadConfig({
      env: {
        DOCKERHUB_API_URL: emulator.url,
        DOCKERHUB_USERNAME: credentials.username,
        DOCKERHUB_PASSWORD: credentials.password,
        DOCKERHUB_NAMESPACES: namespace,
        LOG_LEVEL: 'silent',
      },
      overrides: { endpoints: [TAGS_OF] },
    });
    client = hubClientFromConfig(config, logger);
  });
  afterAll(async () => {
    await client?.close();
    await database?.close();
    await target?.destroy();
    await emulator?.close();
  });

  it('a namespace ".." (or ".") fails its own slices into sync_errors; the real namespace is read; nothing is asked for it', async () => {
    emulator.requests.reset();
    const summary = await runSync({ database, client, logger, config, registry: buildRegistry(config) }, { only: ['repositories'], namespaces: ['..', namespace, '.'] });
    const bySlice = Object.fromEntries(summary.slices.map((s) => [s.slice, s.status]));
    expect(bySlice).toEqual({ '..': 'failed', [namespace]: 'succeeded', '.': 'failed' });
    const failed = summary.slices.find((s) => s.slice === '..')!;
    expect(failed.error).toMatch(/\{namespace\} is "\.\."/);
    const errors = await rows<{ endpoint: string; slice_key: string; kind: string; message: string }>(
      `SELECT endpoint, slice_key, kind, message FROM dockerhub.sync_errors WHERE kind = 'refused_request' ORDER BY slice_key`,
    );
    expect(errors.map((e) => [e.endpoint, e.slice_key])).toEqual([
      ['repositories', '.'],
      ['repositories', '..'],
    ]);
    expect(errors[1]!.message).toMatch(/is not a usable path segment/);
    // Only the real namespace's listing (and the organization check for it) reached the emulator.
    expect(emulator.requests.statuses['404'] ?? 0).toBe(1);
    expect(emulator.requests.get('repositories.list')).toBeGreaterThan(0);
    expect(await rows(`SELECT namespace FROM dockerhub.repositories WHERE namespace <> ${`'${namespace}'`}`)).toEqual([]);
  });

  it('a parent row named ".." fails only its own chained slice (built-in tags and a custom endpoint); the others are read', async () => {
    await runSync({ database, client, logger, config, registry: buildRegistry(config) }, { only: ['repositories'] });
    const live = await rows<{ n: number }>(`SELECT count(*)::int AS n FROM dockerhub.repositories WHERE namespace = '${namespace}' AND deleted_at IS NULL`);
    expect(live[0]!.n).toBeGreaterThan(0);
    await database.db.execute(sql`INSERT INTO dockerhub.repositories (namespace, name, raw, row_hash) VALUES (${namespace}, '..', '{}'::jsonb, 'x')`);
    emulator.requests.reset();
    const summary = await runSync({ database, client, logger, config, registry: buildRegistry(config) }, { only: ['tags', 'tags_of'], full: true });
    const failed = summary.slices.filter((s) => s.status === 'failed');
    expect(failed.map((s) => [s.endpoint, s.slice]).sort()).toEqual([
      ['tags', `${namespace}/..`],
      ['tags_of', `${namespace}/..`],
    ]);
    for (const slice of failed) expect(slice.error).toMatch(/\{repositor(y|ies\.name)\} is "\.\."/);
    expect(summary.slices.filter((s) => s.status === 'succeeded')).toHaveLength(2 * live[0]!.n);
    // "/v2/namespaces/ns/repositories/../tags" would have been read as the repository "tags".
    // Only tag listings of real repositories (and the organization check of the namespace) were asked.
    expect(emulator.requests.get('repositories.get')).toBe(0);
    expect(Object.keys(emulator.requests.counts).filter((route) => route !== 'members.list')).toEqual(['tags.list']);
    expect(emulator.requests.get('tags.list')).toBe(2 * live[0]!.n);
    const errors = await rows<{ endpoint: string }>(`SELECT endpoint FROM dockerhub.sync_errors WHERE kind = 'refused_request' AND slice_key = '${namespace}/..' ORDER BY endpoint`);
    expect(errors).toEqual([{ endpoint: 'tags' }, { endpoint: 'tags_of' }]);
  });
});
