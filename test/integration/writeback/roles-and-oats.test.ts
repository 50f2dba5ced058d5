import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { loadConfig } from '../../../src/config.js';
import type { HubClient } from '../../../src/hub/client.js';
import { HubPermissionError } from '../../../src/hub/errors.js';
import { renderPlan } from '../../../src/writeback/report.js';
import { logger, writebackWorld, type WritebackWorld } from './support.js';

// Spec c95ded2 against the emulator over HTTP: custom roles and team roles synced into SQL and
// written back, an organization access token created without `created_by` in the answer, and the
// 403 Docker Hub gives an OAT on a legacy repository path, told as its cause and what to do.

let w: WritebackWorld;
let org: string;
let oatClient: HubClient;

beforeAll(async () => {
  w = await writebackWorld(28);
  org = w.org;
  const oat = w.emulator.credentials.oat.find((o) => o.org === org)!;
  const config = loadConfig({ env: { DOCKERHUB_API_URL: w.emulator.url, DOCKERHUB_USERNAME: org, DOCKERHUB_TOKEN: oat.token, DOCKERHUB_NAMESPACES: org, LOG_LEVEL: 'silent' } });
  oatClient = hubClientFromConfig(config, logger, { retryBaseDelayMs: 20 });
  w.emulator.state.addCustomRole(org, { name: 'release-manager', label: 'Release manager', base: 'editor' });
  w.emulator.state.addCustomRole(org, { name: 'auditor' });
  await w.sync();
  await w.stagingSchema();
});
afterAll(async () => {
  await oatClient?.close();
  await w?.close();
});

async function table(name: string, rows: Record<string, unknown>[]) {
  const columns = Object.keys(rows[0]!);
  const lit = (v: unknown) => (v === null ? 'NULL' : `'${String(v).replaceAll("'", "''")}'`);
  await w.sql(`DROP TABLE IF EXISTS staging.${name}`);
  await w.sql(`CREATE TABLE staging.${name} AS SELECT * FROM (VALUES ${rows.map((r) => `(${columns.map((c) => lit(r[c])).join(', ')})`).join(', ')}) AS v(${columns.join(', ')})`);
}

describe('roles', () => {
  it("org_members.role sends a custom role's name as written and a core role in lower case; the sync stores both", async () => {
    const member = w.emulator.credentials.member.username;
    await table('custom_roles', [{ org, member, role: 'release-manager' }]);
    w.emulator.requests.reset();
    expect(await w.push({ name: 'custom_roles', source: 'staging.custom_roles', target: 'org_members.role' })).toMatchObject({ sent: 1, failed: 0 });
    expect(w.emulator.requests.writes.map((e) => e.body)).toEqual([{ role: 'release-manager' }]);
    await w.sync();
    expect(await w.sql(`SELECT role FROM dockerhub.org_members WHERE org = '${org}' AND username = '${member}'`)).toEqual([{ role: 'release-manager' }]);
    // Synced: the same record again is in place.
    await w.sql(`DELETE FROM dockerhub.writeback_records WHERE job = 'custom_roles'`);
    expect(await w.push({ name: 'custom_roles', source: 'staging.custom_roles', target: 'org_members.role' })).toMatchObject({ calls: 0, skipped: 1 });

    // A role read from org_members (`Editor`) goes back as Hub takes it.
    await table('core_roles', [{ org, member, role: 'Editor' }]);
    w.emulator.requests.reset();
    expect(await w.push({ name: 'core_roles', source: 'staging.core_roles', target: 'org_members.role' })).toMatchObject({ sent: 1 });
    expect(w.emulator.requests.writes.map((e) => e.body)).toEqual([{ role: 'editor' }]);
    await w.sync();
    expect(await w.sql(`SELECT role FROM dockerhub.org_members WHERE org = '${org}' AND username = '${member}'`)).toEqual([{ role: 'Editor' }]);
  });

  it("a role the organization lacks is Docker Hub's 400 for that record; an empty or padded one is refused before sending", async () => {
    const member = w.emulator.credentials.member.username;
    await table('unknown_roles', [{ org, member, role: 'no-such-role' }]);
    const unknown = await w.push({ name: 'unknown_roles', source: 'staging.unknown_roles', target: 'org_members.role' });
    expect(unknown).toMatchObject({ sent: 0, failed: 1 });
    expect(unknown.failures[0]!.error).toMatch(/400/);
    await table('bad_roles', [{ org, member, role: '' }, { org, member: 'someone-else', role: ' owner' }]);
    w.emulator.requests.reset();
    const bad = await w.push({ name: 'bad_roles', source: 'staging.bad_roles', target: 'org_members.role' });
    expect(bad).toMatchObject({ calls: 0, failed: 2 });
    expect(w.emulator.requests.writes).toEqual([]);
    expect(bad.failures.map((f) => f.error).sort()).toEqual([
      'role " owner" has spaces at its ends or control characters',
      "role is empty: give a core role (owner, editor, member) or a custom role's name",
    ]);
  });

  it("teams.update sends role; the sync stores it in teams.role with a changes row old → new", async () => {
    expect(await w.sql(`SELECT DISTINCT role FROM dockerhub.teams WHERE org = '${org}' AND name <> 'owners'`)).toEqual([{ role: 'member' }]);
    const [team] = await w.sql<{ id: number; name: string }>(`SELECT id, name FROM dockerhub.teams WHERE org = '${org}' AND name <> 'owners' ORDER BY name LIMIT 1`);
    await table('team_roles', [{ org, team: team!.name, role: 'auditor' }]);
    w.emulator.requests.reset();
    expect(await w.push({ name: 'team_roles', source: 'staging.team_roles', target: 'teams.update' })).toMatchObject({ sent: 1, failed: 0 });
    expect(w.emulator.requests.writes.map((e) => [e.method, e.body])).toEqual([['PATCH', { role: 'auditor' }]]);
    await w.sync();
    expect(await w.sql(`SELECT role FROM dockerhub.teams WHERE org = '${org}' AND id = ${team!.id}`)).toEqual([{ role: 'auditor' }]);
    const changes = await w.sql<{ op: string; changed: Record<string, unknown> }>(
      `SELECT op, changed FROM dockerhub.changes WHERE entity = 'teams' AND entity_key->>'id' = '${team!.id}' AND changed ? 'role' ORDER BY id`,
    );
    expect(changes).toEqual([{ op: 'update', changed: { role: { old: 'member', new: 'auditor' } } }]);
    // Synced: in place; a description-only record sends no role.
    await w.sql(`DELETE FROM dockerhub.writeback_records WHERE job = 'team_roles'`);
    expect(await w.push({ name: 'team_roles', source: 'staging.team_roles', target: 'teams.update' })).toMatchObject({ calls: 0, skipped: 1 });
    await table('team_words', [{ org, team: team!.name, description: 'reads the audit log' }]);
    w.emulator.requests.reset();
    expect(await w.push({ name: 'team_words', source: 'staging.team_words', target: 'teams.update' })).toMatchObject({ sent: 1 });
    expect(w.emulator.requests.writes.map((e) => e.body)).toEqual([{ description: 'reads the audit log' }]);
  });
});

describe('organization access tokens', () => {
  it('org_access_tokens.create records the answer as it is: no created_by, the id as the created id, the secret masked', async () => {
    await table('new_oats', [{ org, label: 'wb-no-creator' }]);
    expect(await w.push({ name: 'new_oats', source: 'staging.new_oats', target: 'org_access_tokens.create' })).toMatchObject({ sent: 1, failed: 0 });
    const [result] = await w.sql<{ response: Record<string, unknown>; created_ids: string[] }>(`SELECT response, created_ids FROM dockerhub.writeback_results WHERE job = 'new_oats' AND outcome = 'sent'`);
    expect(result!.response).not.toHaveProperty('created_by');
    expect(result!.response).toMatchObject({ label: 'wb-no-creator', is_active: true, token: expect.stringMatching(/^\[secret sha256:/) });
    expect(result!.created_ids).toEqual([result!.response.id]);
    await w.sync();
    expect(await w.sql(`SELECT created_by FROM dockerhub.org_access_tokens WHERE id = '${String(result!.response.id)}'`)).toEqual([{ created_by: w.emulator.credentials.username }]);
  });

  it('the description call on its legacy path: --plan says what Hub may answer; with an OAT the 403 names the cause and what to do', async () => {
    const repo = w.emulator.state.repositories.sorted(org, 'name')[0]!.seed.name;
    await table('oat_descriptions', [{ org, namespace: org, name: repo, description: 'set with an OAT' }]);
    const job = { name: 'oat_descriptions', source: 'staging.oat_descriptions', target: 'repositories.description' };
    const plan = renderPlan(await w.push(job, { plan: true, client: oatClient }));
    expect(plan).toContain('note: with an organization access token, Docker Hub answers 403 "token issued from organization access token is not allowed" on this legacy path');

    const run = await w.push(job, { client: oatClient });
    expect(run).toMatchObject({ sent: 0, failed: 1 });
    const error = run.failures[0]!.error;
    expect(error).toContain('403: token issued from organization access token is not allowed');
    expect(error).toContain(`PATCH /v2/repositories/${org}/${repo}/ is a legacy repository path`);
    expect(error).toContain('What to do: serve this namespace with a password or personal access token credential');
    expect(w.emulator.state.repositories.get(org, repo)!.seed.description).not.toBe('set with an OAT');

    // The namespaced paths work with the same token, and a plan of them has no such note.
    await table('oat_rules', [{ namespace: org, name: repo, immutable_tags: false }]);
    expect(renderPlan(await w.push({ name: 'oat_rules', source: 'staging.oat_rules', target: 'repositories.immutable_tags' }, { plan: true, client: oatClient }))).not.toContain('organization access token');
  });

  it("the library's legacy calls fail with the same clear HubPermissionError; its namespaced reads work", async () => {
    const repo = w.emulator.state.repositories.sorted(org, 'name')[0]!.seed.name;
    expect((await oatClient.getRepository(org, repo)).name).toBe(repo);
    const refused = await oatClient.updateRepositoryDescription(org, repo, { description: 'x' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HubPermissionError);
    expect((refused as HubPermissionError).message).toMatch(/Cause: the client is authenticated with an organization access token and PATCH \/v2\/repositories\/.* is a legacy repository path/);
    expect((refused as HubPermissionError).status).toBe(403);
  });
});
