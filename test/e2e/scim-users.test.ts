import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { scimUsers } from '../../src/emulator/routes/scim.js';
import { runCli } from '../support/cli.js';
import type { TestDatabase } from '../support/db.js';
import { syncEnv, type RunningEmulator, withEmulatorAndDatabase } from '../support/emulator.js';

// The CLI reads SCIM users with DOCKERHUB_SCIM_TOKEN (and DOCKERHUB_SCIM_ORG, as the pass covers
// several organizations), and never prints the token.

describe('sync of scim_users through the CLI', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;

  withEmulatorAndDatabase((started) => ({ emulator, target } = started));

  it('lands every SCIM user of the token\'s organization, with LOG_LEVEL=debug output free of the token', async () => {
    const { org, token } = emulator.credentials.scim[0]!;
    const result = await runCli(['sync', '--only', 'scim_users'], {
      env: syncEnv(emulator, target.env, { DOCKERHUB_SCIM_TOKEN: token, DOCKERHUB_SCIM_ORG: org, LOG_LEVEL: 'debug' }),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('0 slice(s) failed');
    expect(`${result.stdout}\n${result.stderr}`).not.toContain(token);
    const database = await target.open();
    try {
      const rows = rowsOf<{ id: string; display_name: string }>(
        await database.db.execute(sql`SELECT id, display_name FROM dockerhub.scim_users WHERE org = ${org} AND deleted_at IS NULL ORDER BY id`),
      );
      const expected = scimUsers(emulator.state, org).map((user) => ({ id: String(user.id), display_name: String(user.displayName) }));
      expect(rows).toEqual(expected.sort((a, b) => (a.id < b.id ? -1 : 1)));
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await database.close();
    }
  });

  it('test-endpoint scim_users sends the SCIM token, prints users, and names the setting when it is missing', async () => {
    const { org, token } = emulator.credentials.scim[0]!;
    const env = syncEnv(emulator, target.env, { DOCKERHUB_SCIM_TOKEN: token, DOCKERHUB_SCIM_ORG: org, DOCKERHUB_ORGS: org });
    const result = await runCli(['test-endpoint', 'scim_users'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('/v2/scim/2.0/Users');
    expect(result.stdout).toContain(String(scimUsers(emulator.state, org)[0]!.userName));
    expect(`${result.stdout}\n${result.stderr}`).not.toContain(token);

    const { DOCKERHUB_SCIM_TOKEN: _unset, ...without } = env;
    const missing = await runCli(['test-endpoint', 'scim_users'], { env: without });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('DOCKERHUB_SCIM_TOKEN');
  });
});
