import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { baseEnv, runCli } from '../support/cli.js';
import type { TestDatabase } from '../support/db.js';
import { auditLookbackDays, type RunningEmulator, withEmulatorAndDatabase } from '../support/emulator.js';
import { query } from '../support/sync-content.js';

/**
 * Two organizations, each with only its own organization access token, and a user namespace
 * with a personal access token: one process, one pass, each slice with its namespace's token.
 */

function setup(emulator: RunningEmulator, target: TestDatabase) {
  const { credentials } = emulator;
  const [first, second] = credentials.oat;
  if (!first || !second) throw new Error('the emulator needs two organizations');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'credentials-e2e-'));
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    [
      'hub:',
      '  credentials:',
      `    - { username: ${first.org}, kind: oat, secretEnv: FIRST_OAT }`,
      `    - { username: ${second.org}, kind: oat, secretEnv: SECOND_OAT }`,
      `    - { username: ${credentials.username}, kind: pat, secretEnv: USER_PAT, namespaces: [${credentials.username}] }`,
      '',
    ].join('\n'),
  );
  const env = baseEnv({
    ...target.env,
    LOG_LEVEL: 'warn',
    DOCKERHUB_API_URL: emulator.url,
    FIRST_OAT: first.token,
    SECOND_OAT: second.token,
    USER_PAT: credentials.pat,
    AUDIT_INITIAL_LOOKBACK: `${auditLookbackDays(emulator)}d`,
    AUDIT_WINDOW: '30d',
  });
  return { first: first.org, second: second.org, user: credentials.username, configFile, env };
}

describe('a credential per namespace', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;

  withEmulatorAndDatabase((started) => ({ emulator, target } = started));

  it('two organizations with their own OATs and a user with a PAT sync completely in one pass', async () => {
    const { first, second, user, configFile, env } = setup(emulator, target);
    emulator.requests.reset();
    const result = await runCli(['sync', '--config', configFile], { env });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('0 slice(s) failed');
    // No token was ever used where it does not belong.
    expect(emulator.requests.statuses['401'] ?? 0).toBe(0);
    expect(emulator.requests.statuses['403'] ?? 0).toBe(0);

    const snapshot = emulator.snapshot({ tags: false });
    const repos = await query<{ namespace: string; n: number }>(target, 'SELECT namespace, count(*)::int AS n FROM dockerhub.repositories GROUP BY namespace');
    const count = Object.fromEntries(repos.map((r) => [r.namespace, Number(r.n)]));
    for (const namespace of [first, second, user]) expect(count[namespace], namespace).toBe(snapshot.repositories[namespace]!.length);
    for (const org of [first, second]) {
      const [members] = await query<{ n: number }>(target, `SELECT count(*)::int AS n FROM dockerhub.org_members WHERE org = '${org}'`);
      expect(Number(members!.n), org).toBe(snapshot.members[org]!.length);
      const [events] = await query<{ n: number }>(target, `SELECT count(*)::int AS n FROM dockerhub.audit_logs WHERE account = '${org}'`);
      expect(Number(events!.n), org).toBe(snapshot.auditLogs[org]!.length);
      const [settings] = await query<{ n: number }>(target, `SELECT count(*)::int AS n FROM dockerhub.org_settings WHERE org = '${org}'`);
      expect(Number(settings!.n), org).toBe(1);
    }
    // Every secret stayed out of the output and the database.
    const dump = JSON.stringify(await query(target, 'SELECT to_jsonb(r) FROM dockerhub.sync_runs r')) + result.stdout + result.stderr;
    for (const secret of [env.FIRST_OAT!, env.SECOND_OAT!, env.USER_PAT!]) expect(dump).not.toContain(secret);

    // `status` names the credential of every slice.
    const status = await runCli(['status', '--json', '--config', configFile], { env });
    expect(status.code, status.stderr).toBe(0);
    const rows = JSON.parse(status.stdout) as { endpoint: string; slice_key: string; credential: string | null }[];
    const credentialOf = (endpoint: string, slice: string) => rows.find((r) => r.endpoint === endpoint && r.slice_key === slice)?.credential;
    expect(credentialOf('repositories', first)).toBe(first);
    expect(credentialOf('repositories', second)).toBe(second);
    expect(credentialOf('repositories', user)).toBe(user);
    expect(credentialOf('org_members', second)).toBe(second);
  });

  it('a revoked organization access token fails only its organization, naming the credential', async () => {
    const { first, second, user, configFile, env } = setup(emulator, target);
    const token = emulator.state.orgs.oats(first).find((t) => t.secret === env.FIRST_OAT)!;
    token.isActive = false;
    try {
      const result = await runCli(['sync', '--full', '--config', configFile], { env });
      expect(result.code).toBe(1);
      const database = await target.open();
      let runs: { slice_key: string; status: string; error: string | null }[];
      try {
        const passStart = rowsOf<{ t: string }>(await database.db.execute(sql`SELECT max(started_at) - interval '5 minutes' AS t FROM dockerhub.sync_runs`))[0]!.t;
        runs = rowsOf(await database.db.execute(sql`SELECT slice_key, status, error FROM dockerhub.sync_runs WHERE started_at >= ${passStart}`));
      } finally {
        await database.close();
      }
      const scope = (key: string) => key.split(/[/:]/)[0];
      const failed = runs.filter((r) => r.status === 'failed');
      expect(failed.length).toBeGreaterThan(0);
      for (const run of failed) {
        expect(scope(run.slice_key), run.slice_key).toBe(first);
        expect(run.error).toContain(`credential "${first}"`);
        expect(run.error).not.toContain(env.FIRST_OAT);
      }
      const others = runs.filter((r) => scope(r.slice_key) === second || scope(r.slice_key) === user);
      expect(others.length).toBeGreaterThan(0);
      expect(others.every((r) => r.status === 'succeeded')).toBe(true);
      expect(result.stdout).toContain(`credential "${first}"`);
    } finally {
      token.isActive = true;
    }
  });

  it('test-endpoint tries an organization with the credential that serves it', async () => {
    const { second, configFile, env } = setup(emulator, target);
    const result = await runCli(['test-endpoint', 'org_members', '--namespace', second, '--config', configFile], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`GET \\S+/v2/orgs/${second}/members\\S* → 200`));
  });

  it('a namespace served by two credentials stops the start with exit 2, naming it', async () => {
    const { first, env } = setup(emulator, target);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'credentials-e2e-'));
    const configFile = path.join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      `hub:\n  credentials:\n    - { username: ${first}, kind: oat, secretEnv: FIRST_OAT }\n    - { username: someone, kind: pat, secretEnv: USER_PAT, namespaces: [someone, ${first}] }\n`,
    );
    const result = await runCli(['sync', '--config', configFile], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`namespace "${first}" is served by 2 credentials (${first}, someone)`);
  });
});
