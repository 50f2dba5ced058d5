import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { loadConfig, type Config } from '../../../src/config.js';
import { isCustomEndpoint } from '../../../src/custom/compile.js';
import { buildRegistry } from '../../../src/custom/registry.js';
import { syncCustomViews } from '../../../src/custom/views.js';
import { rowsOf, type Database } from '../../../src/db/client.js';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import type { HubClient } from '../../../src/hub/client.js';
import { createLogger } from '../../../src/logger.js';
import { runSync } from '../../../src/sync/runner.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const MEMBERS = { name: 'members', path: '/v2/orgs/{org}/members', dataPath: '$.results[*]', key: '$.username', columns: { username: 'text', role: 'text' } };
const STRICT = { name: 'strict_members', path: '/v2/orgs/{org}/members', key: '$.username', columns: { username: 'bigint' } };

describe('custom endpoints on the sync engine', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let database: Database;
  let client: HubClient;
  let config: Config;
  const logger = createLogger({ level: 'silent' });
  const rows = async <T>(text: string) => rowsOf<T>(await database.db.execute(sql.raw(text)));

  const pass = async (only: string[], options: { dryRun?: boolean; endpoints?: unknown[] } = {}) => {
    const cfg = options.endpoints ? configFor(emulator, options.endpoints) : config;
    const summary = await runSync({ database, client, logger, config: cfg, registry: buildRegistry(cfg) }, { only, dryRun: options.dryRun });
    const failed = summary.slices.filter((slice) => slice.status === 'failed');
    if (failed.length > 0) throw new Error(`sync failed: ${failed.map((f) => `${f.endpoint} ${f.slice}: ${f.error}`).join('; ')}`);
    return summary;
  };

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 5, scale: 1 });
    target = await createTestDatabase();
    database = await target.open();
    config = configFor(emulator, [MEMBERS, STRICT]);
    client = hubClientFromConfig(config, logger);
  });
  afterAll(async () => {
    await client?.close();
    await database?.close();
    await target?.destroy();
    await emulator?.close();
  });

  it('a dry run writes nothing', async () => {
    const summary = await pass(['members'], { dryRun: true });
    expect(summary.slices.reduce((n, s) => n + s.inserted, 0)).toBeGreaterThan(0);
    expect(await rows<{ n: number }>(`SELECT count(*)::int AS n FROM dockerhub.custom_records`)).toEqual([{ n: 0 }]);
  });

  it('stores one record per member and organization, and marks a member gone after a complete listing', async () => {
    await pass(['members']);
    const snapshot = emulator.snapshot({ tags: false });
    const orgs = emulator.credentials.oat.map((o) => o.org);
    const stored = await rows<{ slice_key: string; record_key: string }>(`SELECT slice_key, record_key FROM dockerhub.custom_records WHERE endpoint = 'members' AND deleted_at IS NULL`);
    const expected = orgs.flatMap((org) => snapshot.members[org]!.map((m) => `${org}/${m.username}`)).sort();
    expect(stored.map((r) => `${r.slice_key}/${r.record_key}`).sort()).toEqual(expected);

    const org = orgs[0]!;
    const gone = snapshot.members[org]!.find((m) => m.role !== 'Owner')!.username;
    expect(emulator.state.removeMember(org, gone)).toBe(true);
    await pass(['members']);
    const deleted = await rows<{ record_key: string }>(`SELECT record_key FROM dockerhub.custom_records WHERE endpoint = 'members' AND deleted_at IS NOT NULL`);
    expect(deleted).toEqual([{ record_key: gone }]);
    const change = await rows<{ op: string; entity_key: Record<string, string> }>(`SELECT op, entity_key FROM dockerhub.changes WHERE entity = 'custom_records' AND op = 'delete'`);
    expect(change).toEqual([{ op: 'delete', entity_key: { endpoint: 'members', slice_key: org, record_key: gone } }]);
  });

  it('keeps records whose values their declared column cannot hold in sync_errors, and deletes nothing on such a listing', async () => {
    await pass(['strict_members']);
    const stored = await rows<{ n: number }>(`SELECT count(*)::int AS n FROM dockerhub.custom_records WHERE endpoint = 'strict_members'`);
    expect(stored).toEqual([{ n: 0 }]);
    const errors = await rows<{ message: string }>(`SELECT message FROM dockerhub.sync_errors WHERE endpoint = 'strict_members' LIMIT 1`);
    expect(errors[0]!.message).toMatch(/column username \(bigint\): ".*" is not a whole number/);
  });

  it('creates a typed view per endpoint that the reader role can read, replaces it when the config changes, and drops only its own', async () => {
    const compiled = buildRegistry(config).filter(isCustomEndpoint);
    const first = await syncCustomViews(database, compiled, { readerRole: 'dockerhub_reader' });
    expect(first.created.sort()).toEqual(['custom_members', 'custom_strict_members']);
    const grants = await rows<{ ok: boolean }>(`SELECT has_table_privilege('dockerhub_reader', 'dockerhub.custom_members', 'SELECT') AS ok`);
    expect(grants).toEqual([{ ok: true }]);
    const live = await rows<{ username: string; role: string }>(`SELECT username, role FROM dockerhub.custom_members WHERE deleted_at IS NULL ORDER BY 1 LIMIT 1`);
    expect(typeof live[0]!.username).toBe('string');

    expect((await syncCustomViews(database, compiled)).created).toEqual([]);

    await database.db.execute(sql.raw(`CREATE VIEW dockerhub.custom_mine AS SELECT 1 AS one`));
    const changed = buildRegistry(configFor(emulator, [{ ...MEMBERS, columns: { username: 'text', added: 'timestamptz' } }])).filter(isCustomEndpoint);
    const second = await syncCustomViews(database, changed, { readerRole: 'dockerhub_reader' });
    expect(second.created).toEqual(['custom_members']);
    expect(second.dropped).toEqual(['custom_strict_members']);
    const views = await rows<{ name: string }>(`SELECT table_name AS name FROM information_schema.views WHERE table_schema = 'dockerhub' AND table_name LIKE 'custom%' ORDER BY 1`);
    expect(views.map((v) => v.name)).toEqual(['custom_members', 'custom_mine']);
    const columns = await rows<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'dockerhub' AND table_name = 'custom_members' ORDER BY ordinal_position`);
    expect(columns.map((c) => c.column_name)).toEqual(['record_key', 'slice_key', 'username', 'added', 'data', 'metadata', 'first_seen_at', 'last_seen_at', 'deleted_at']);
  });
});

function configFor(emulator: RunningEmulator, endpoints: unknown[]): Config {
  const { credentials } = emulator;
  return loadConfig({
    env: {
      DOCKERHUB_API_URL: emulator.url,
      DOCKERHUB_USERNAME: credentials.username,
      DOCKERHUB_PASSWORD: credentials.password,
      DOCKERHUB_NAMESPACES: [credentials.username, ...credentials.oat.map((o) => o.org)].join(','),
      LOG_LEVEL: 'silent',
    },
    overrides: { endpoints },
  });
}
