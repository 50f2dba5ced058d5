import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { loadConfig } from '../../../src/config.js';
import { rowsOf, type Database } from '../../../src/db/client.js';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import type { HubClient } from '../../../src/hub/client.js';
import { runSync } from '../../../src/sync/runner.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { endpoints } from '../../../src/endpoints/index.js';

// Whether a namespace is an organization is asked once and kept in its own table,
// namespace_kinds (earlier versions kept it in sync_state rows, which are still honoured).

let emulator: RunningEmulator;
let target: TestDatabase;
let database: Database;
let client: HubClient;
let sync: () => ReturnType<typeof runSync>;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  emulator = await startEmulator({ seed: 5, scale: 1 });
  target = await createTestDatabase();
  database = await target.open();
  const [first, second] = emulator.state.orgNames;
  const config = loadConfig({
    env: {
      DOCKERHUB_API_URL: emulator.url,
      DOCKERHUB_USERNAME: emulator.credentials.username,
      DOCKERHUB_PASSWORD: emulator.credentials.password,
      DOCKERHUB_NAMESPACES: [emulator.credentials.username, first, second].join(','),
      LOG_LEVEL: 'silent',
    },
  });
  client = hubClientFromConfig(config, logger);
  sync = () => runSync({ database, client, logger, config, registry: endpoints }, { only: ['org_settings'] });
});

afterAll(async () => {
  await client?.close();
  await database?.close();
  await target?.destroy();
  await emulator?.close();
});

const kinds = async () =>
  rowsOf<{ namespace: string; kind: string }>(await database.db.execute(sql`SELECT namespace, kind FROM dockerhub.namespace_kinds ORDER BY namespace`));

describe('namespace kinds', () => {
  it('are asked once, stored in namespace_kinds, and not asked again', async () => {
    const [first, second] = emulator.state.orgNames as [string, string];
    // A kind stored the old way is honoured: the second organization is not asked.
    await database.db.execute(sql`
      INSERT INTO dockerhub.sync_state (endpoint, slice_key, cursor) VALUES ('_namespace_kind', ${second}, '{"kind":"org"}'::jsonb)`);
    emulator.requests.reset();
    const summary = await sync();
    expect(summary.plan.orgs.sort()).toEqual([first, second].sort());
    // One probe for the user, one for the first organization; org_settings then reads both organizations.
    expect(emulator.requests.get('members.list')).toBe(2);
    expect(await kinds()).toEqual(
      [
        { namespace: emulator.credentials.username, kind: 'user' },
        { namespace: first, kind: 'org' },
      ].sort((a, b) => (a.namespace < b.namespace ? -1 : 1)),
    );

    emulator.requests.reset();
    const again = await sync();
    expect(again.plan.orgs.sort()).toEqual([first, second].sort());
    expect(emulator.requests.get('members.list')).toBe(0);
  });
});
