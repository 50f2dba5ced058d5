import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { LOGIN_TRIES } from '../../src/hub/auth.js';
import { runCli } from '../support/cli.js';
import type { TestDatabase } from '../support/db.js';
import { syncEnv, type RunningEmulator, withEmulatorAndDatabase } from '../support/emulator.js';

const LOGIN_ROUTES = ['auth.token', 'auth.login', 'auth.2fa'];

function loginPosts(emulator: RunningEmulator): number {
  return LOGIN_ROUTES.reduce((sum, route) => sum + emulator.requests.get(route), 0);
}

describe('account safety against the emulator', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;

  withEmulatorAndDatabase((started) => ({ emulator, target } = started));

  it('a login that answers 500 is tried a few times in a whole pass, and every slice fails fast with the same error', async () => {
    emulator.requests.reset();
    emulator.configure({ loginErrorStatus: 500 });
    try {
      const result = await runCli(['sync', '--no-progress'], { env: syncEnv(emulator, target.env, { DOCKERHUB_MAX_RETRIES: '1', LOG_LEVEL: 'info' }) });
      expect(result.code, result.stderr).toBe(1);
      expect(loginPosts(emulator)).toBe(LOGIN_TRIES);
      const said = result.stdout + result.stderr;
      expect(said.match(/No further Docker Hub login from this process until/g)?.length ?? 0).toBeGreaterThan(0);
      // One log line announces the pause; slices that then fail say it in their own error only.
      expect(result.stderr.match(/hub: login failed; pausing logins/g)).toHaveLength(1);
    } finally {
      emulator.configure({ loginErrorStatus: null });
    }
  });

  it('with a PAT and a password, personal access tokens are listed with the password session and the rest with the PAT', async () => {
    emulator.requests.reset();
    const env = syncEnv(emulator, target.env, { DOCKERHUB_TOKEN: emulator.credentials.pat });
    expect(env.DOCKERHUB_PASSWORD).toBe(emulator.credentials.password);
    const result = await runCli(['sync', '--no-progress', '--only', 'access_tokens,repositories'], { env });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const database = await target.open();
    try {
      const tokens = rowsOf<{ n: number }>(await database.db.execute(sql`SELECT count(*)::int AS n FROM dockerhub.access_tokens`));
      expect(tokens[0]?.n).toBeGreaterThan(0);
    } finally {
      await database.close();
    }
    // The failed login of the previous pass did not leave the user's namespace taken for an organization.
    expect(result.stdout).toMatch(/access_tokens\s+1\s+0/);
    // Two sessions, each opened once: the PAT's and the password's.
    expect(emulator.requests.get('auth.token')).toBe(2);
  });
});
