import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { loadConfig } from '../../../src/config.js';
import { rowsOf, type Database } from '../../../src/db/client.js';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import { scimUsers } from '../../../src/emulator/routes/scim.js';
import { HubAuthError } from '../../../src/hub/errors.js';
import type { HubClient } from '../../../src/hub/client.js';
import { runSync, type SyncSummary } from '../../../src/sync/runner.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { endpoints } from '../../../src/endpoints/index.js';

// scim_users is a built-in written only as a definition (src/endpoints/scim-users.ts), its table
// and its schema: the engine runs it like every other snapshot. SCIM answers to the
// organization's own SCIM token, never to the login, and pages by startIndex/count.

let emulator: RunningEmulator;
let target: TestDatabase;
let database: Database;
let org: string;
let scimToken: string;
let logs = '';
const clients: HubClient[] = [];

const logger = pino({ level: 'debug' }, { write: (line: string) => void (logs += line) });

function syncWith(env: Record<string, string>): Promise<SyncSummary> {
  const config = loadConfig({
    env: {
      DOCKERHUB_API_URL: emulator.url,
      DOCKERHUB_USERNAME: emulator.credentials.username,
      DOCKERHUB_PASSWORD: emulator.credentials.password,
      DOCKERHUB_NAMESPACES: org,
      DOCKERHUB_ORGS: org,
      LOG_LEVEL: 'silent',
      ...env,
    },
  });
  const client = hubClientFromConfig(config, logger);
  clients.push(client);
  return runSync({ database, client, logger, config, registry: endpoints }, { only: ['scim_users'] });
}

async function stored(): Promise<{ id: string; user_name: string | null; display_name: string | null; active: boolean | null; created: string | null; deleted: boolean }[]> {
  return rowsOf(
    await database.db.execute(sql`
      SELECT id, user_name, display_name, active, to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created, deleted_at IS NOT NULL AS deleted
      FROM dockerhub.scim_users WHERE org = ${org} ORDER BY id`),
  );
}

beforeAll(async () => {
  emulator = await startEmulator({ seed: 11, scale: 1 });
  org = [...emulator.state.orgNames].sort((a, b) => emulator.state.orgs.members(b).length - emulator.state.orgs.members(a).length)[0]!;
  expect(emulator.state.orgs.members(org).length).toBeGreaterThanOrEqual(4);
  scimToken = emulator.credentials.scim.find((entry) => entry.org === org)!.token;
  target = await createTestDatabase();
  database = await target.open();
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await database?.close();
  await target?.destroy();
  await emulator?.close();
});

describe('scim_users', () => {
  it('is skipped with a clear log line, and without a request, when no SCIM token is configured', async () => {
    emulator.requests.reset();
    logs = '';
    const summary = await syncWith({});
    expect(summary.slices).toEqual([]);
    expect(emulator.requests.get('scim.users.list')).toBe(0);
    expect(logs).toContain('scim_users skipped: DOCKERHUB_SCIM_TOKEN is not set');
    expect(await stored()).toEqual([]);
  });

  it('stores every SCIM user of the organization, keyed by org and id, with the token never logged or stored', async () => {
    logs = '';
    const summary = await syncWith({ DOCKERHUB_SCIM_TOKEN: scimToken });
    expect(summary.slices.map((s) => [s.endpoint, s.slice, s.status, s.error])).toEqual([['scim_users', org, 'succeeded', undefined]]);
    const expected = scimUsers(emulator.state, org);
    const rows = await stored();
    expect(rows).toEqual(
      expected
        .map((user) => ({
          id: user.id,
          user_name: user.userName,
          display_name: user.displayName,
          active: true,
          created: String((user.meta as { created: string }).created).replace(/\.\d+Z$/, 'Z'),
          deleted: false,
        }))
        .sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1)),
    );
    expect(summary.slices[0]!.inserted).toBe(expected.length);
    const leaked = rowsOf<{ n: string | number }>(
      await database.db.execute(sql`
        SELECT (SELECT count(*) FROM dockerhub.scim_users WHERE raw::text LIKE ${`%${scimToken}%`})
             + (SELECT count(*) FROM dockerhub.sync_runs WHERE coalesce(error, '') LIKE ${`%${scimToken}%`})
             + (SELECT count(*) FROM dockerhub.sync_state WHERE cursor::text LIKE ${`%${scimToken}%`}) AS n`),
    );
    expect(Number(leaked[0]!.n)).toBe(0);
    expect(logs).not.toContain(scimToken);
  });

  it('writes nothing on an unchanged second pass, and marks a user gone from a complete listing deleted', async () => {
    const again = await syncWith({ DOCKERHUB_SCIM_TOKEN: scimToken });
    expect(again.slices[0]).toMatchObject({ status: 'succeeded', inserted: 0, updated: 0, deleted: 0 });

    const member = emulator.state.orgs.members(org).find((m) => m.username !== emulator.credentials.username)!;
    const goneId = scimUsers(emulator.state, org).find((user) => user.displayName === member.username)!.id;
    emulator.state.deleteMember(org, member.username, emulator.credentials.username);
    const after = await syncWith({ DOCKERHUB_SCIM_TOKEN: scimToken });
    expect(after.slices[0]).toMatchObject({ status: 'succeeded', inserted: 0, deleted: 1 });
    const deleted = (await stored()).filter((row) => row.deleted).map((row) => row.id);
    expect(deleted).toEqual([goneId]);
  });

  it('fails the slice on a SCIM token Hub refuses, without repeating the token', async () => {
    logs = '';
    const wrong = 'fake-scim-token-not-valid';
    const summary = await syncWith({ DOCKERHUB_SCIM_TOKEN: wrong });
    expect(summary.slices[0]).toMatchObject({ endpoint: 'scim_users', status: 'failed' });
    expect(summary.slices[0]!.error).toMatch(/401/);
    expect(summary.slices[0]!.error).not.toContain(wrong);
    expect(logs).not.toContain(wrong);
    // Nothing was deleted on the strength of a failed read.
    expect((await stored()).filter((row) => !row.deleted).length).toBe(scimUsers(emulator.state, org).length);
  });

  it('pages by startIndex and count until totalResults, and refuses the login token', async () => {
    const config = loadConfig({ env: { DOCKERHUB_API_URL: emulator.url, DOCKERHUB_USERNAME: emulator.credentials.username, DOCKERHUB_PASSWORD: emulator.credentials.password, LOG_LEVEL: 'silent' } });
    const client = hubClientFromConfig(config, logger);
    clients.push(client);
    emulator.requests.reset();
    const pages = client.paginate({ path: '/v2/scim/2.0/Users', shape: 'scim', pageSize: 2, auth: 'none', headers: { authorization: `Bearer ${scimToken}` } });
    const seen: string[] = [];
    let result = await pages.next();
    while (!result.done) {
      seen.push(...result.value.items.map((item) => String((item as { id: string }).id)));
      result = await pages.next();
    }
    const all = scimUsers(emulator.state, org).map((user) => String(user.id));
    expect(seen).toEqual(all);
    expect(result.value).toMatchObject({ complete: true, items: all.length, count: all.length });
    expect(emulator.requests.get('scim.users.list')).toBe(Math.ceil(all.length / 2));
    // The ordinary login is not a SCIM credential.
    await expect(client.request({ path: '/v2/scim/2.0/Users', auth: 'required' })).rejects.toBeInstanceOf(HubAuthError);
  });
});
