import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/cli.js';
import { createEmptyDatabase, type TestDatabase } from '../support/db.js';

describe('the real CLI on an empty database', () => {
  let target: TestDatabase;
  beforeAll(async () => {
    target = await createEmptyDatabase();
  });
  afterAll(async () => target?.destroy());

  it('migrate applies everything once, then reports up to date', async () => {
    const first = await runCli(['migrate'], { env: baseEnv(target.env) });
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Applied \d+ migration/);
    const second = await runCli(['migrate'], { env: baseEnv(target.env) });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/up to date/);
  });

  it('status prints a never-synced table listing every endpoint', async () => {
    const result = await runCli(['status'], { env: baseEnv(target.env) });
    expect(result.code).toBe(0);
    for (const endpoint of ['repositories', 'tags', 'audit_logs', 'org_members', 'teams', 'team_members', 'org_settings', 'access_tokens', 'org_access_tokens', 'org_invites']) {
      expect(result.stdout).toMatch(new RegExp(`^${endpoint}\\s+-\\s+never synced`, 'm'));
    }
    expect(result.stdout).toContain('Nothing has been synced');
  });

  it('exits 2 and lists every problem for a bad environment, without the secret', async () => {
    const result = await runCli(['status'], {
      env: baseEnv({ ...target.env, LOG_LEVEL: 'verbose', DOCKERHUB_NAMESPACES: 'UPPER', DOCKERHUB_TOKEN: 'dckr_pat_e2esecret' }),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('LOG_LEVEL');
    expect(result.stderr).toContain('DOCKERHUB_NAMESPACES');
    expect(result.stderr).toContain('DOCKERHUB_USERNAME');
    expect(result.stderr + result.stdout).not.toContain('dckr_pat_e2esecret');
  });
});
