import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, ROOT, runCli } from '../support/cli.js';
import { createTestDatabase, releaseKeptConnections, type TestDatabase } from '../support/db.js';
import { startTestEmulator, syncEnv, type RunningEmulator } from '../support/emulator.js';
import { seeded } from '../support/seed.js';

// `push` through the real CLI against the emulator over HTTP: plan without writes, a SIGKILL in
// the middle of a run followed by a rerun that creates nothing twice, secrets kept out of the
// database and the logs, and `status` showing the jobs.

let emulator: RunningEmulator;
let target: TestDatabase;
let org: string;
let configFile: string;

async function query<T = Record<string, unknown>>(text: string): Promise<T[]> {
  return target.query<T>(text);
}

const TEAMS = ['e2e-a', 'e2e-b', 'e2e-c', 'e2e-d', 'e2e-e', 'e2e-f'];

beforeAll(async () => {
  emulator = await startTestEmulator({ seed: 17 });
  target = await createTestDatabase();
  org = emulator.state.orgNames[0] as string;
  const synced = await runCli(['sync', '--only', 'org_members,teams,team_members,org_invites,access_tokens'], { env: syncEnv(emulator, target.env) });
  expect(synced.code, synced.stderr).toBe(0);
  await query('CREATE SCHEMA staging');
  // Sources are read with the read-only role's privileges.
  await query('GRANT USAGE ON SCHEMA staging TO dockerhub_reader');
  await query('ALTER DEFAULT PRIVILEGES IN SCHEMA staging GRANT SELECT ON TABLES TO dockerhub_reader');
  await query(`CREATE TABLE staging.teams AS SELECT '${org}'::text AS org, name FROM unnest(ARRAY[${TEAMS.map((t) => `'${t}'`).join(',')}]) AS name`);
  await query(`CREATE TABLE staging.pats (token_label text, scopes text)`);
  await query(`INSERT INTO staging.pats VALUES ('e2e-quiet', 'repo:read')`);
  await query(`CREATE TABLE staging.loud_pats (token_label text, scopes text)`);
  await query(`INSERT INTO staging.loud_pats VALUES ('e2e-loud', 'repo:read')`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-push-'));
  configFile = path.join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    `writeback:
  - name: teams
    source: select org, name from staging.teams order by name
    target: teams.create
    schedule: "0 3 * * *"
  - name: pats
    source: staging.pats
    target: access_tokens.create
  - name: loud_pats
    source: staging.loud_pats
    target: access_tokens.create
`,
  );
});
afterAll(async () => {
  await emulator?.close();
  await target?.destroy();
});

const env = (extra: Record<string, string> = {}) => syncEnv(emulator, target.env, extra);

describe('push through the CLI', () => {
  it('--plan prints the calls and writes nothing (the emulator saw no write)', async () => {
    emulator.requests.reset();
    const result = await runCli(['push', 'teams', '--plan', '--config', configFile], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`teams.create: ${TEAMS.length} call(s)`);
    expect(result.stdout).toContain(`POST ${emulator.url}/v2/orgs/${org}/groups`);
    expect(result.stdout).toContain('{"name":"e2e-a"}');
    expect(emulator.requests.writes).toHaveLength(0);
    expect(await query('SELECT id FROM dockerhub.writeback_intents')).toEqual([]);
    const dry = await runCli(['push', 'teams', '--dry-run', '--config', configFile], { env: env() });
    expect(dry.code).toBe(0);
    expect(emulator.requests.writes).toHaveLength(0);
  });

  it('killed with SIGKILL at a random create, then run again: every team is created exactly once', async () => {
    const { seed, int } = seeded('test/e2e/push.test.ts');
    const killAt = int(1, TEAMS.length);
    const context = `killed at create ${killAt} of ${TEAMS.length} (seed ${seed})`;
    emulator.requests.reset();
    await releaseKeptConnections();
    const cli = cliCommand(['push', 'teams', '--config', configFile]);
    const child = spawn(cli.command, cli.args, {
      cwd: ROOT,
      env: env(),
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    // The team exists in the emulator; its answer waits until the process is gone: the worst
    // moment, a create that happened and was never acknowledged.
    emulator.requests.onWrite = async (entry) => {
      if (entry.route === 'groups.create' && emulator.requests.writes.filter((e) => e.route === 'groups.create').length === killAt) {
        child.kill('SIGKILL');
        await exited;
      }
    };
    try {
      expect(await exited, context).toBe('SIGKILL');
    } finally {
      emulator.requests.onWrite = undefined;
    }
    expect(emulator.requests.writes, context).toHaveLength(killAt);

    const rerun = await runCli(['push', 'teams', '--config', configFile], { env: env() });
    expect(rerun.code, `${context}\n${rerun.stdout}\n${rerun.stderr}`).toBe(0);
    expect(rerun.stdout).toContain(`sent ${TEAMS.length - killAt + 1}`);
    expect(rerun.stdout).toContain('confirmed 1');

    const created = emulator.requests.writes.filter((e) => e.route === 'groups.create').map((e) => (e.body as { name: string }).name);
    expect(created.sort(), context).toEqual([...TEAMS].sort());
    expect(emulator.snapshot({ tags: false }).teams[org]!.filter((t) => t.name.startsWith('e2e-')).map((t) => t.name).sort()).toEqual(TEAMS);
    const states = await query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM dockerhub.writeback_intents WHERE job = 'teams' GROUP BY state ORDER BY state`);
    expect(states, context).toEqual([{ state: 'confirmed', n: 1 }, ...(TEAMS.length > 1 ? [{ state: 'succeeded', n: TEAMS.length - 1 }] : [])]);

    // A third run sends nothing.
    emulator.requests.reset();
    const third = await runCli(['push', 'teams', '--config', configFile], { env: env() });
    expect(third.code).toBe(0);
    expect(third.stdout).toContain(`unchanged ${TEAMS.length}`);
    expect(emulator.requests.writes).toHaveLength(0);
  });

  it('a new token secret never reaches the database, stdout or the logs; --reveal-secrets shows it once', async () => {
    const quiet = await runCli(['push', 'pats', '--config', configFile], { env: env({ LOG_LEVEL: 'debug' }) });
    expect(quiet.code, quiet.stderr).toBe(0);
    const secretOf = (label: string) => emulator.state.tokens.list().find((p) => emulator.state.tokens.shape(p).token_label === label)!.secret;
    const secret = secretOf('e2e-quiet');
    expect(secret).toMatch(/^dckr_pat_/);
    expect(quiet.stdout + quiet.stderr).not.toContain(secret);
    expect(quiet.stdout).toContain('stored only as sha256:');
    // The secret can be shown only on the run that creates it: a rerun finds the token in place.
    expect(quiet.stdout).toContain('a secret can be shown only on the run that creates it (`push pats --reveal-secrets`)');
    expect(quiet.stdout).not.toContain('run with --reveal-secrets to see new secrets once');
    const rerun = await runCli(['push', 'pats', '--reveal-secrets', '--config', configFile], { env: env() });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain('unchanged 1');
    expect(rerun.stdout).not.toContain(secret);

    const loud = await runCli(['push', 'loud_pats', '--reveal-secrets', '--config', configFile], { env: env({ LOG_LEVEL: 'debug' }) });
    expect(loud.code, loud.stderr).toBe(0);
    const loudSecret = secretOf('e2e-loud');
    expect(loud.stdout.split(loudSecret)).toHaveLength(2);
    expect(loud.stderr).not.toContain(loudSecret);

    const stored = JSON.stringify(await query('SELECT * FROM dockerhub.writeback_results')) + JSON.stringify(await query('SELECT * FROM dockerhub.writeback_intents')) + JSON.stringify(await query('SELECT * FROM dockerhub.writeback_records'));
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(loudSecret);
  });

  it('status lists the write-back jobs; a bad config names the key; an unknown job lists the jobs', async () => {
    const status = await runCli(['status', '--json', '--config', configFile], { env: env() });
    expect(status.code, status.stderr).toBe(0);
    const rows = JSON.parse(status.stdout) as { endpoint: string; last_status: string | null; schedule: string | null; next_run_at: string | null }[];
    expect(rows.find((r) => r.endpoint === 'writeback:teams')).toMatchObject({ last_status: 'succeeded', schedule: '0 3 * * *' });
    expect(rows.find((r) => r.endpoint === 'writeback:teams')!.next_run_at).toMatch(/T03:00:00/);

    const bad = path.join(path.dirname(configFile), 'bad.yaml');
    writeFileSync(bad, 'writeback:\n  - name: x\n    source: staging.teams\n    target: org_invites.bulk\n    batch: { size: 5000 }\n');
    const refused = await runCli(['push', 'x', '--config', bad], { env: env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('writeback[0].batch.size');

    const unknown = await runCli(['push', 'nope', '--config', configFile], { env: env() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Jobs: teams, pats, loud_pats');
  });
});
