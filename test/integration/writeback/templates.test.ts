import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writebackTemplates } from '../../../src/writeback/templates/index.js';
import { writebackWorld, type WritebackWorld } from './support.js';

// Every built-in template against the emulator over HTTP, each change verified by a following
// sync (or, for team grants, which no table holds, by the emulator's state).

let w: WritebackWorld;
let org: string;
const covered = new Set<string>();

beforeAll(async () => {
  w = await writebackWorld(23);
  org = w.org;
  await w.sync();
  await w.stagingSchema();
});
afterAll(async () => {
  await w?.close();
});

async function push(job: Record<string, unknown>, options = {}) {
  covered.add(String(job.target));
  return w.push(job, options);
}

/** A staging table from literal rows (every column text unless the value says otherwise). */
async function table(name: string, rows: Record<string, unknown>[]) {
  const columns = Object.keys(rows[0]!);
  const lit = (v: unknown) => (v === null ? 'NULL' : typeof v === 'boolean' || typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);
  await w.sql(`DROP TABLE IF EXISTS staging.${name}`);
  await w.sql(`CREATE TABLE staging.${name} AS SELECT * FROM (VALUES ${rows.map((r) => `(${columns.map((c) => lit(r[c])).join(', ')})`).join(', ')}) AS v(${columns.join(', ')})`);
}

describe('repository templates', () => {
  it('repositories.create, then .description (undocumented), .immutable_tags and .immutable_tags_verify', async () => {
    await table('repos', [{ namespace: org, name: 'wb-made', description: 'made by a job', is_private: 'true' }]);
    expect(await push({ name: 'repos', source: 'staging.repos', target: 'repositories.create' })).toMatchObject({ sent: 1, failed: 0 });
    await w.sync(['repositories', 'repository_details']);
    expect(await w.sql(`SELECT description, is_private FROM dockerhub.repositories WHERE namespace = '${org}' AND name = 'wb-made'`)).toEqual([{ description: 'made by a job', is_private: true }]);
    const created = await w.sql<{ created_ids: string[] }>(`SELECT created_ids FROM dockerhub.writeback_results WHERE job = 'repos' AND outcome = 'sent'`);
    expect(created[0]!.created_ids).toEqual([`${org}/wb-made`]);

    await table('descriptions', [{ namespace: org, name: 'wb-made', description: 'new words', full_description: '# Long' }]);
    expect(await push({ name: 'descriptions', source: 'staging.descriptions', target: 'repositories.description' })).toMatchObject({ sent: 1 });
    await table('immutable', [{ namespace: org, name: 'wb-made', immutable_tags: true, immutable_tags_rules: 'v.*,release-.*' }]);
    expect(await push({ name: 'immutable', source: 'staging.immutable', target: 'repositories.immutable_tags' })).toMatchObject({ sent: 1 });
    await w.sync(['repositories', 'repository_details']);
    expect(await w.sql(`SELECT description, full_description, immutable_tags_settings FROM dockerhub.repositories WHERE namespace = '${org}' AND name = 'wb-made'`)).toEqual([
      { description: 'new words', full_description: '# Long', immutable_tags_settings: { enabled: true, rules: ['v.*', 'release-.*'] } },
    ]);
    // The synced tables now show both in place: nothing is sent, with the reason recorded.
    await w.sql(`DELETE FROM dockerhub.writeback_records WHERE job IN ('descriptions', 'immutable')`);
    expect(await push({ name: 'immutable', source: 'staging.immutable', target: 'repositories.immutable_tags' })).toMatchObject({ calls: 0, skipped: 1 });

    const withTags = w.emulator.state.repositories.sorted(org, 'name').find((r) => r.seed.tagCount > 2)!;
    await table('verify', [{ namespace: org, name: withTags.seed.name, regex: '.*' }]);
    expect(await push({ name: 'verify', source: 'staging.verify', target: 'repositories.immutable_tags_verify' })).toMatchObject({ sent: 1 });
    const [verified] = await w.sql<{ response: { tags: string[] } }>(`SELECT response FROM dockerhub.writeback_results WHERE job = 'verify' AND outcome = 'sent'`);
    expect(verified!.response.tags).toHaveLength(withTags.seed.tagCount);
  });

  it('repositories.team_access grants a team (looked up by name in dockerhub.teams)', async () => {
    const repo = w.emulator.state.repositories.sorted(org, 'name')[0]!;
    await table('grants', [{ namespace: org, name: repo.seed.name, team: 'owners', permission: 'write' }]);
    expect(await push({ name: 'grants', source: 'staging.grants', target: 'repositories.team_access' })).toMatchObject({ sent: 1 });
    const team = w.emulator.state.orgs.team(org, 'owners');
    expect(repo.grants.get(team.id)).toBe('write');
  });
});

describe('token templates', () => {
  it('access_tokens.create / .update / .delete: the secret is fingerprinted, never stored', async () => {
    const secrets: string[] = [];
    await table('pats', [{ token_label: 'wb-ci', scopes: 'repo:read,repo:write' }]);
    const created = await push({ name: 'pats', source: 'staging.pats', target: 'access_tokens.create' }, { onSecret: (s: { secret: string }) => secrets.push(s.secret) });
    expect(created).toMatchObject({ sent: 1 });
    expect(secrets).toHaveLength(1);
    expect(secrets[0]).toMatch(/^dckr_pat_/);
    const stored = JSON.stringify(await w.sql('SELECT * FROM dockerhub.writeback_results')) + JSON.stringify(await w.sql('SELECT * FROM dockerhub.writeback_intents')) + JSON.stringify(await w.sql('SELECT * FROM dockerhub.writeback_records'));
    expect(stored).not.toContain(secrets[0]);
    expect(stored).toContain('[secret sha256:');
    await w.sync(['access_tokens']);
    const [row] = await w.sql<{ uuid: string; scopes: string[]; is_active: boolean }>(`SELECT uuid, scopes, is_active FROM dockerhub.access_tokens WHERE token_label = 'wb-ci' AND deleted_at IS NULL`);
    expect(row).toMatchObject({ scopes: ['repo:read', 'repo:write'], is_active: true });

    await table('pat_updates', [{ uuid: row!.uuid, token_label: 'wb-ci-off', is_active: false }]);
    expect(await push({ name: 'pat_updates', source: 'staging.pat_updates', target: 'access_tokens.update' })).toMatchObject({ sent: 1 });
    await w.sync(['access_tokens']);
    expect(await w.sql(`SELECT token_label, is_active FROM dockerhub.access_tokens WHERE uuid = '${row!.uuid}'`)).toEqual([{ token_label: 'wb-ci-off', is_active: false }]);

    await table('pat_deletes', [{ uuid: row!.uuid }]);
    expect(await push({ name: 'pat_deletes', source: 'staging.pat_deletes', target: 'access_tokens.delete' })).toMatchObject({ sent: 1 });
    await w.sync(['access_tokens']);
    expect((await w.sql<{ gone: boolean }>(`SELECT deleted_at IS NOT NULL AS gone FROM dockerhub.access_tokens WHERE uuid = '${row!.uuid}'`))[0]!.gone).toBe(true);
  });

  it('org_access_tokens.create / .update / .delete', async () => {
    await table('oats', [{ org, label: 'wb-deploy', description: 'deploys', resources: JSON.stringify([{ type: 'TYPE_REPO', path: `${org}/*`, scopes: ['repo-pull'] }]) }]);
    const created = await push({ name: 'oats', source: 'staging.oats', target: 'org_access_tokens.create' });
    expect(created).toMatchObject({ sent: 1 });
    expect(JSON.stringify(await w.sql('SELECT response FROM dockerhub.writeback_results'))).not.toMatch(/dckr_oat_/);
    await w.sync(['org_access_tokens']);
    const [row] = await w.sql<{ id: string }>(`SELECT id FROM dockerhub.org_access_tokens WHERE org = '${org}' AND label = 'wb-deploy' AND deleted_at IS NULL`);
    expect(row).toBeDefined();
    await table('oat_updates', [{ org, id: row!.id, is_active: false }]);
    expect(await push({ name: 'oat_updates', source: 'staging.oat_updates', target: 'org_access_tokens.update' })).toMatchObject({ sent: 1 });
    await w.sync(['org_access_tokens']);
    expect(await w.sql(`SELECT is_active FROM dockerhub.org_access_tokens WHERE id = '${row!.id}'`)).toEqual([{ is_active: false }]);
    await table('oat_deletes', [{ org, id: row!.id }]);
    expect(await push({ name: 'oat_deletes', source: 'staging.oat_deletes', target: 'org_access_tokens.delete' })).toMatchObject({ sent: 1 });
    await w.sync(['org_access_tokens']);
    expect((await w.sql<{ gone: boolean }>(`SELECT deleted_at IS NOT NULL AS gone FROM dockerhub.org_access_tokens WHERE id = '${row!.id}'`))[0]!.gone).toBe(true);
  });
});

describe('team templates', () => {
  it('teams.create, .update, .delete; team_members.add and .remove', async () => {
    const member = w.emulator.credentials.member.username;
    await table('teams', [{ org, name: 'wb-team', description: 'first' }]);
    expect(await push({ name: 'teams', source: 'staging.teams', target: 'teams.create' })).toMatchObject({ sent: 1 });
    await table('team_updates', [{ org, team: 'wb-team', description: 'second' }]);
    expect(await push({ name: 'team_updates', source: 'staging.team_updates', target: 'teams.update' })).toMatchObject({ sent: 1 });
    await table('adds', [{ org, team: 'wb-team', member }]);
    expect(await push({ name: 'adds', source: 'staging.adds', target: 'team_members.add' })).toMatchObject({ sent: 1 });
    await w.sync(['teams', 'team_members']);
    expect(await w.sql(`SELECT description FROM dockerhub.teams WHERE org = '${org}' AND name = 'wb-team' AND deleted_at IS NULL`)).toEqual([{ description: 'second' }]);
    expect(await w.sql(`SELECT username FROM dockerhub.team_members WHERE org = '${org}' AND team = 'wb-team' AND deleted_at IS NULL`)).toEqual([{ username: member }]);
    // Already a member: the synced table says so, nothing is sent, the reason is recorded.
    expect(await push({ name: 'adds_again', source: 'staging.adds', target: 'team_members.add' })).toMatchObject({ calls: 0, skipped: 1 });
    expect(await w.sql(`SELECT outcome, error FROM dockerhub.writeback_results WHERE job = 'adds_again'`)).toEqual([{ outcome: 'skipped', error: 'already a member of the team' }]);

    expect(await push({ name: 'removes', source: 'staging.adds', target: 'team_members.remove' })).toMatchObject({ sent: 1 });
    await w.sync(['teams', 'team_members']);
    expect(await w.sql(`SELECT username FROM dockerhub.team_members WHERE org = '${org}' AND team = 'wb-team' AND deleted_at IS NULL`)).toEqual([]);
    await table('team_deletes', [{ org, team: 'wb-team' }]);
    expect(await push({ name: 'team_deletes', source: 'staging.team_deletes', target: 'teams.delete' })).toMatchObject({ sent: 1 });
    await w.sync(['teams', 'team_members']);
    expect(await w.sql(`SELECT name FROM dockerhub.teams WHERE org = '${org}' AND name = 'wb-team' AND deleted_at IS NULL`)).toEqual([]);
  });
});

describe('member, invite and settings templates', () => {
  it('org_invites.bulk: one call per org, team and role; the API dry run changes nothing; then resend and cancel', async () => {
    const people = [
      { org, invitee: 'ann@example.com', team: 'owners', role: 'owner' },
      { org, invitee: 'bob@example.com', team: 'owners', role: 'owner' },
      { org, invitee: 'cy@example.com', team: 'owners', role: 'member' },
      { org, invitee: 'di@example.com', team: 'owners', role: 'member' },
      { org, invitee: 'ed@example.com', team: 'owners', role: 'member' },
    ];
    await table('invites', people);
    w.emulator.requests.reset();
    const validated = await push({ name: 'invites', source: 'staging.invites', target: 'org_invites.bulk', batch: { size: 2 } }, { validate: true });
    expect(validated).toMatchObject({ validated: 5, sent: 0 });
    expect(w.emulator.requests.writes.every((e) => (e.body as { dry_run?: boolean }).dry_run === true)).toBe(true);
    expect(w.emulator.snapshot({ tags: false }).invites[org]!.filter((i) => i.invitee.endsWith('@example.com'))).toHaveLength(0);

    w.emulator.requests.reset();
    const sent = await push({ name: 'invites', source: 'staging.invites', target: 'org_invites.bulk', batch: { size: 2 } });
    // owner: 2 records → 1 call; member: 3 records in batches of 2 → 2 calls.
    expect(sent).toMatchObject({ calls: 3, sent: 5, failed: 0 });
    expect(w.emulator.requests.writes.map((e) => (e.body as { invitees: string[] }).invitees)).toEqual([
      ['ann@example.com', 'bob@example.com'],
      ['cy@example.com', 'di@example.com'],
      ['ed@example.com'],
    ]);
    await w.sync(['org_invites']);
    expect((await w.sql<{ invitee: string; role: string }>(`SELECT invitee, role FROM dockerhub.org_invites WHERE org = '${org}' AND invitee LIKE '%@example.com' AND deleted_at IS NULL ORDER BY invitee`)).map((r) => r.invitee)).toEqual(people.map((p) => p.invitee));

    w.emulator.requests.reset();
    await table('resends', [{ org, invitee: 'ann@example.com' }]);
    expect(await push({ name: 'resends', source: 'staging.resends', target: 'org_invites.resend' })).toMatchObject({ sent: 1 });
    expect(w.emulator.requests.writes.map((e) => e.route)).toEqual(['invites.resend']);
    await table('cancels', [{ org, invitee: 'bob@example.com' }]);
    expect(await push({ name: 'cancels', source: 'staging.cancels', target: 'org_invites.cancel' })).toMatchObject({ sent: 1 });
    await w.sync(['org_invites']);
    expect(await w.sql(`SELECT invitee FROM dockerhub.org_invites WHERE org = '${org}' AND invitee = 'bob@example.com' AND deleted_at IS NULL`)).toEqual([]);
  });

  it('org_members.role and .remove; org_settings.update', async () => {
    const member = w.emulator.credentials.member.username;
    await table('roles', [{ org, member, role: 'editor' }]);
    expect(await push({ name: 'roles', source: 'staging.roles', target: 'org_members.role' })).toMatchObject({ sent: 1 });
    await w.sync(['org_members']);
    expect((await w.sql<{ role: string }>(`SELECT role FROM dockerhub.org_members WHERE org = '${org}' AND username = '${member}'`))[0]!.role.toLowerCase()).toBe('editor');

    await table('settings', [{ org, enabled: true, allow_official_images: true, allow_verified_publishers: false }]);
    expect(await push({ name: 'settings', source: 'staging.settings', target: 'org_settings.update' })).toMatchObject({ sent: 1 });
    await w.sync(['org_settings']);
    expect(await w.sql(`SELECT restricted_images FROM dockerhub.org_settings WHERE org = '${org}'`)).toEqual([
      { restricted_images: { enabled: true, allow_official_images: true, allow_verified_publishers: false } },
    ]);

    await table('removals', [{ org, member }]);
    expect(await push({ name: 'removals', source: 'staging.removals', target: 'org_members.remove' })).toMatchObject({ sent: 1 });
    await w.sync(['org_members']);
    expect((await w.sql<{ gone: boolean }>(`SELECT deleted_at IS NOT NULL AS gone FROM dockerhub.org_members WHERE org = '${org}' AND username = '${member}'`))[0]!.gone).toBe(true);
  });

  it('covered every built-in template', () => {
    expect([...covered].sort()).toEqual(writebackTemplates.map((t) => t.name).sort());
  });
});
