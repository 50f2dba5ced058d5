import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { loadConfig } from '../../../src/config.js';
import { resolveJob, type WritebackJobConfig } from '../../../src/writeback/job.js';
import { renderPlan } from '../../../src/writeback/report.js';
import { runJob } from '../../../src/writeback/runner.js';
import { logger, writebackWorld, type WritebackWorld } from './support.js';

let w: WritebackWorld;
let org: string;
let member: string;

beforeAll(async () => {
  w = await writebackWorld(31);
  org = w.org;
  member = w.emulator.credentials.member.username;
  await w.sync();
  await w.stagingSchema();
});
afterAll(async () => {
  await w?.close();
});

const count = async (table: string) => (await w.sql<{ n: number }>(`SELECT count(*)::int AS n FROM dockerhub.${table}`))[0]!.n;

describe('write-back outcomes', () => {
  it('a bad record (missing column, invalid role, a 4xx) is recorded with the reason and the job goes on', async () => {
    await w.sql(`CREATE TABLE staging.people (org text, invitee text, team text, role text)`);
    await w.sql(`INSERT INTO staging.people VALUES
      ('${org}', 'good@example.com', 'owners', 'member'),
      (NULL, 'orgless@example.com', 'owners', 'member'),
      ('${org}', 'boss@example.com', 'owners', 'emperor')`);
    const invites = await w.push({ name: 'people', source: 'staging.people', target: 'org_invites.bulk', key: ['invitee'] });
    expect(invites).toMatchObject({ sent: 1, failed: 2, calls: 1 });
    expect(invites.failures.map((f) => f.error).sort()).toEqual(['missing column org (org_invites.bulk needs org, invitee)', 'role "emperor" is not one of owner, editor, member']);

    // Docker Hub refuses one record (not a member of the organization): its own words are kept, the next record is sent.
    await w.sql(`CREATE TABLE staging.adds (org text, team text, member text)`);
    await w.sql(`INSERT INTO staging.adds VALUES ('${org}', 'owners', 'nobody-here'), ('${org}', 'owners', '${member}')`);
    const adds = await w.push({ name: 'adds', source: 'staging.adds', target: 'team_members.add' });
    expect(adds).toMatchObject({ calls: 2, sent: 1, failed: 1 });
    const [failed] = await w.sql<{ status: number; error: string; outcome: string }>(`SELECT status, error, outcome FROM dockerhub.writeback_results WHERE job = 'adds' AND outcome = 'failed'`);
    expect(failed).toMatchObject({ status: 404, outcome: 'failed' });
    expect(failed!.error).toContain('nobody-here is not a member');
    // The failed record is tried again next time; the sent one is unchanged.
    w.emulator.requests.reset();
    expect(await w.push({ name: 'adds', source: 'staging.adds', target: 'team_members.add' })).toMatchObject({ calls: 1, unchanged: 1, failed: 1 });
  });

  it('--plan prints the calls grouped by action and writes nothing, to Docker Hub or the database', async () => {
    await w.sql(`CREATE TABLE staging.plan_teams (org text, name text)`);
    await w.sql(`INSERT INTO staging.plan_teams VALUES ('${org}', 'plan-a'), ('${org}', 'plan-b')`);
    const before = { intents: await count('writeback_intents'), results: await count('writeback_results'), records: await count('writeback_records') };
    w.emulator.requests.reset();
    const plan = await w.push({ name: 'plan_teams', source: 'staging.plan_teams', target: 'teams.create' }, { plan: true });
    expect(w.emulator.requests.total).toBe(0);
    expect({ intents: await count('writeback_intents'), results: await count('writeback_results'), records: await count('writeback_records') }).toEqual(before);
    const text = renderPlan(plan);
    expect(text).toContain('teams.create: 2 call(s), 2 record(s)');
    expect(text).toContain(`POST ${w.emulator.url}/v2/orgs/${org}/groups`);
    expect(text).toContain('{"name":"plan-b"}');
    // The undocumented description call says so in the plan.
    await w.sql(`CREATE TABLE staging.plan_desc AS SELECT namespace, name, 'x' AS description FROM dockerhub.repositories WHERE namespace = '${org}' LIMIT 1`);
    expect(renderPlan(await w.push({ name: 'plan_desc', source: 'staging.plan_desc', target: 'repositories.description' }, { plan: true }))).toContain('note: Docker Hub does not document this call');
  });

  it('a custom target sends the record minus `exclude`, with {column} path macros percent-encoded', async () => {
    await w.sql(`CREATE TABLE staging.custom_adds (team text, member text)`);
    await w.sql(`INSERT INTO staging.custom_adds VALUES ('owners', '${member}')`);
    w.emulator.requests.reset();
    const summary = await w.push({
      name: 'custom_adds',
      source: 'select team, member from staging.custom_adds',
      target: { method: 'POST', path: `/v2/orgs/${org}/groups/{team}/members`, idempotent: true },
      exclude: ['team'],
      key: ['team', 'member'],
    });
    expect(summary).toMatchObject({ sent: 1, failed: 0 });
    expect(w.emulator.requests.writes.map(({ method, path, body }) => ({ method, path, body }))).toEqual([{ method: 'POST', path: `/v2/orgs/${org}/groups/owners/members`, body: { member } }]);
  });

  it('a custom target with a batch sends one list per group', async () => {
    await w.sql(`CREATE TABLE staging.batched (team text, member text, n int)`);
    await w.sql(`INSERT INTO staging.batched VALUES ('t1', 'a', 1), ('t2', 'b', 2), ('t1', 'c', 3), ('t1', 'd', 4)`);
    // A path no route answers: what matters here is what was asked (the 404s fail the records, the job goes on).
    w.emulator.requests.reset();
    const summary = await w.push({
      name: 'batched', source: 'select * from staging.batched order by n', target: { method: 'POST', path: '/v2/nowhere/{team}' },
      key: ['member'], body: { who: '{member}', n: '{n}' }, batch: { size: 2, groupBy: ['team'] },
    }, { plan: true });
    expect(summary.plan!.calls.map((c) => ({ path: c.path, body: c.body }))).toEqual([
      { path: '/v2/nowhere/t1', body: [{ who: 'a', n: 1 }, { who: 'c', n: 3 }] },
      { path: '/v2/nowhere/t1', body: [{ who: 'd', n: 4 }] },
      { path: '/v2/nowhere/t2', body: [{ who: 'b', n: 2 }] },
    ]);
  });

  it('a create answered 5xx is not retried (it may have arrived): unknown, then --retry-unknown sends it once Docker Hub is back', async () => {
    await w.sql(`CREATE TABLE staging.flaky_teams (org text, name text)`);
    await w.sql(`INSERT INTO staging.flaky_teams VALUES ('${org}', 'flaky-team')`);
    const job = { name: 'flaky_teams', source: 'staging.flaky_teams', target: 'teams.create' };
    w.emulator.requests.reset();
    w.emulator.configure({ errorRate: 1 });
    try {
      expect(await w.push(job)).toMatchObject({ calls: 1, unknown: 1, sent: 0, failed: 0 });
    } finally {
      w.emulator.configure({ errorRate: 0 });
    }
    expect(w.emulator.requests.get('groups.create')).toBe(1);
    expect(await w.push(job)).toMatchObject({ calls: 0, unknown: 1 });
    expect(w.emulator.requests.get('groups.create')).toBe(1);
    expect(await w.push(job, { retryUnknown: true })).toMatchObject({ calls: 1, sent: 1, unknown: 0 });
    expect(w.emulator.requests.get('groups.create')).toBe(2);
    expect(w.emulator.snapshot({ tags: false }).teams[org]!.filter((t) => t.name === 'flaky-team')).toHaveLength(1);
  });

  it('mirror cancels the invite of a person removed from the source, by the id the invite call returned; an empty source removes nothing', async () => {
    await w.sql(`CREATE TABLE staging.mirror_people (org text, invitee text)`);
    await w.sql(`INSERT INTO staging.mirror_people VALUES ('${org}', 'stay@example.com'), ('${org}', 'leave@example.com')`);
    const job = { name: 'mirror_people', source: 'staging.mirror_people', target: 'org_invites.bulk', mode: 'mirror' };
    expect(await w.push(job)).toMatchObject({ calls: 1, sent: 2 });
    const invites = w.emulator.snapshot({ tags: false }).invites[org]!;
    const leaving = invites.find((i) => i.invitee === 'leave@example.com')!;

    await w.sql(`DELETE FROM staging.mirror_people WHERE invitee = 'leave@example.com'`);
    w.emulator.requests.reset();
    const plan = await w.push(job, { plan: true });
    expect(renderPlan(plan)).toContain('org_invites.cancel (mirror: undo records that left the source): 1 call(s)');
    expect(await w.push(job)).toMatchObject({ calls: 1, removed: 1, unchanged: 1 });
    expect(w.emulator.requests.writes.map((e) => `${e.method} ${e.path}`)).toEqual([`DELETE /v2/invites/${leaving.id}`]);
    expect(w.emulator.snapshot({ tags: false }).invites[org]!.map((i) => i.invitee)).toContain('stay@example.com');
    expect(w.emulator.snapshot({ tags: false }).invites[org]!.map((i) => i.invitee)).not.toContain('leave@example.com');

    await w.sql(`DELETE FROM staging.mirror_people`);
    w.emulator.requests.reset();
    const empty = await w.push(job);
    expect(empty).toMatchObject({ calls: 0, removed: 0 });
    expect(empty.warnings.join()).toContain('mirror removes nothing on an empty source');
    expect(w.emulator.requests.writes).toHaveLength(0);
  });

  it('the source runs read-only: a source that would write fails and changes nothing', async () => {
    await w.sql('CREATE SEQUENCE staging.counter');
    await expect(w.push({ name: 'sneaky', source: "select nextval('staging.counter') AS n, 'x' AS org, 'y' AS name", target: 'teams.create' })).rejects.toThrow(/read-only transaction|permission denied for sequence/);
    expect(await w.sql(`SELECT last_value::int AS last_value, is_called FROM staging.counter`)).toEqual([{ last_value: 1, is_called: false }]);
  });

  it('responses go to the webhook, retried after a failure, with no token secret in them', async () => {
    const bodies: unknown[] = [];
    let attempts = 0;
    const server = createServer((req: IncomingMessage, res) => {
      let data = '';
      req.on('data', (chunk) => (data += chunk));
      req.on('end', () => {
        attempts++;
        if (attempts === 1) {
          res.writeHead(503).end();
          return;
        }
        bodies.push(JSON.parse(data));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      await w.sql(`CREATE TABLE staging.hook_pats (token_label text, scopes text)`);
      await w.sql(`INSERT INTO staging.hook_pats VALUES ('hooked', 'repo:read')`);
      const secrets: string[] = [];
      const summary = await w.push({ name: 'hook_pats', source: 'staging.hook_pats', target: 'access_tokens.create', webhook: url }, { onSecret: (s) => secrets.push(s.secret) });
      expect(summary).toMatchObject({ sent: 1 });
      expect(attempts).toBe(2);
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toMatchObject({ job: 'hook_pats', action: 'access_tokens.create', method: 'POST', status: 201, outcome: 'sent' });
      expect(JSON.stringify(bodies[0])).not.toContain(secrets[0]!);
      expect(JSON.stringify(bodies[0])).toContain('[secret sha256:');
    } finally {
      server.close();
    }
  });

  it('a create whose answer never came is checked, recorded as confirmed, and not sent again', async () => {
    // The emulator makes the team, then holds the answer past the client's timeout.
    const config = loadConfig({ env: { DOCKERHUB_API_URL: w.emulator.url, DOCKERHUB_USERNAME: w.emulator.credentials.username, DOCKERHUB_PASSWORD: w.emulator.credentials.password, DOCKERHUB_TIMEOUT: '1s' } });
    const impatient = hubClientFromConfig(config, logger);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    w.emulator.requests.onWrite = (entry) => (entry.route === 'groups.create' ? held : undefined);
    try {
      await w.sql(`CREATE TABLE staging.slow_teams (org text, name text)`);
      await w.sql(`INSERT INTO staging.slow_teams VALUES ('${org}', 'slow-team')`);
      const job = resolveJob(loadConfig({ env: {}, overrides: { writeback: [{ name: 'slow_teams', source: 'staging.slow_teams', target: 'teams.create' }] } }).writeback[0] as WritebackJobConfig);
      w.emulator.requests.reset();
      const summary = await runJob({ database: w.database, clientFor: () => impatient, baseUrl: new URL(w.emulator.url), logger }, job);
      expect(summary).toMatchObject({ calls: 1, sent: 1, confirmed: 1, failed: 0, unknown: 0 });
      expect(await w.sql(`SELECT state FROM dockerhub.writeback_intents WHERE job = 'slow_teams'`)).toEqual([{ state: 'confirmed' }]);
      release();
      w.emulator.requests.onWrite = undefined;
      const again = await runJob({ database: w.database, clientFor: () => impatient, baseUrl: new URL(w.emulator.url), logger }, job);
      expect(again).toMatchObject({ calls: 0, unchanged: 1 });
      expect(w.emulator.requests.writes.filter((e) => e.route === 'groups.create')).toHaveLength(1);
    } finally {
      release();
      w.emulator.requests.onWrite = undefined;
      await impatient.close();
    }
  });

  it('after a crash before the call went out: a create is not found, stays unknown, and --retry-unknown sends it once; an idempotent call is planned again', async () => {
    await w.sql(`CREATE TABLE staging.crash_teams (org text, name text)`);
    await w.sql(`INSERT INTO staging.crash_teams VALUES ('${org}', 'never-sent')`);
    await w.sql(`CREATE TABLE staging.crash_adds (org text, team text, member text)`);
    await w.sql(`INSERT INTO staging.crash_adds VALUES ('${org}', 'owners', '${member}')`);
    const teams = { name: 'crash_teams', source: 'staging.crash_teams', target: 'teams.create' };
    const adds = { name: 'crash_adds', source: 'staging.crash_adds', target: 'team_members.add' };
    // What a process killed right after committing its intents leaves behind.
    const plannedTeams = (await w.push(teams, { plan: true })).plan!.calls[0]!;
    const plannedAdds = (await w.push(adds, { plan: true })).plan!.calls[0]!;
    for (const [job, call] of [['crash_teams', plannedTeams], ['crash_adds', plannedAdds]] as const) {
      await w.sql(`INSERT INTO dockerhub.writeback_intents (job, run_id, action, record_keys, records, payload_hash, method, url, body, idempotent, state)
        VALUES ('${job}', 'killed', '${call.action}', '${JSON.stringify(call.keys)}', '${JSON.stringify(call.records.map((record, i) => ({ key: call.keys[i], hash: call.hashes[i], record })))}',
                'x', '${call.method}', '${call.url}', '${JSON.stringify(call.body)}', ${call.idempotent}, 'pending')`);
    }
    w.emulator.requests.reset();
    expect(await w.push(teams)).toMatchObject({ calls: 0, unknown: 1, sent: 0 });
    expect(w.emulator.requests.writes).toHaveLength(0);
    expect(await w.sql(`SELECT state FROM dockerhub.writeback_intents WHERE job = 'crash_teams' ORDER BY id`)).toEqual([{ state: 'unknown' }]);
    expect(await w.push(adds)).toMatchObject({ calls: 1, sent: 1, unknown: 0 });
    expect(await w.sql(`SELECT state FROM dockerhub.writeback_intents WHERE job = 'crash_adds' ORDER BY id`)).toEqual([{ state: 'abandoned' }, { state: 'succeeded' }]);

    expect(await w.push(teams, { retryUnknown: true })).toMatchObject({ calls: 1, sent: 1, unknown: 0 });
    expect(w.emulator.requests.writes.filter((e) => e.route === 'groups.create').map((e) => (e.body as { name: string }).name)).toEqual(['never-sent']);
  });

  it('a call that cannot be checked stays unknown until --retry-unknown', async () => {
    const config = loadConfig({ env: { DOCKERHUB_API_URL: w.emulator.url, DOCKERHUB_USERNAME: w.emulator.credentials.username, DOCKERHUB_PASSWORD: w.emulator.credentials.password, DOCKERHUB_TIMEOUT: '1s' } });
    const impatient = hubClientFromConfig(config, logger);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    w.emulator.requests.onWrite = (entry) => (entry.route === 'invites.bulk' ? held : undefined);
    try {
      await w.sql(`CREATE TABLE staging.raw_invites (invitee text)`);
      await w.sql(`INSERT INTO staging.raw_invites VALUES ('raw@example.com')`);
      const entry = { name: 'raw_invites', source: 'staging.raw_invites', target: { method: 'POST', path: '/v2/invites/bulk' }, body: { org, invitees: ['{invitee}'] }, key: ['invitee'] };
      const job = resolveJob(loadConfig({ env: {}, overrides: { writeback: [entry] } }).writeback[0] as WritebackJobConfig);
      const deps = { database: w.database, clientFor: () => impatient, baseUrl: new URL(w.emulator.url), logger };
      w.emulator.requests.reset();
      expect(await runJob(deps, job)).toMatchObject({ calls: 1, unknown: 1, sent: 0 });
      release();
      w.emulator.requests.onWrite = undefined;
      // Not sent again by a plain run.
      expect(await runJob(deps, job)).toMatchObject({ calls: 0, unknown: 1 });
      expect(w.emulator.requests.writes).toHaveLength(1);
      // --retry-unknown sends it (a custom target has no check); Docker Hub says it is already invited.
      expect(await runJob(deps, job, { retryUnknown: true })).toMatchObject({ calls: 1, sent: 1, unknown: 0 });
      expect(w.emulator.requests.writes).toHaveLength(2);
      expect(await w.sql(`SELECT state FROM dockerhub.writeback_intents WHERE job = 'raw_invites' ORDER BY id`)).toEqual([{ state: 'retried' }, { state: 'succeeded' }]);
    } finally {
      release();
      w.emulator.requests.onWrite = undefined;
      await impatient.close();
    }
  });
});
