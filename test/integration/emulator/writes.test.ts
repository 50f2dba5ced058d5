import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../../src/emulator/index.js';
import { type HubTestClient, hubClient } from './support.js';

let emu: RunningEmulator;
let hub: HubTestClient;
let owner: string;
let org: string;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, seed: 21 });
  hub = hubClient(emu);
  org = emu.state.orgNames[0] as string;
});

beforeEach(async () => {
  owner = await hub.owner();
});

afterAll(async () => {
  await emu.close();
});

async function latestEvent(account: string) {
  const reply = await hub.get(`/v2/auditlogs/${account}?page_size=1`, owner);
  return reply.body.logs[0];
}

describe('repositories', () => {
  it('creates a repository (201, repository_info) and records repo.create', async () => {
    const created = await hub.call('POST', `/v2/namespaces/${org}/repositories`, {
      token: owner,
      body: { name: 'made-by-test', namespace: org, description: 'short', full_description: '# long', registry: 'docker.io', is_private: true },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'made-by-test', namespace: org, is_private: true, description: 'short', full_description: '# long', pull_count: 0 });
    expect(created.body.immutable_tags_settings).toEqual({ enabled: false, rules: [] });
    expect((await hub.get(`/v2/namespaces/${org}/repositories/made-by-test`, owner)).status).toBe(200);
    expect(await latestEvent(org)).toMatchObject({ action: 'repo.create', name: `${org}/made-by-test`, actor: emu.credentials.username });
    const again = await hub.call('POST', `/v2/namespaces/${org}/repositories`, { token: owner, body: { name: 'made-by-test', namespace: org } });
    expect(again.status).toBe(409);
  });

  it('validates the name and the namespace of a new repository', async () => {
    for (const name of ['Upper', 'a', 'double--dash', '-lead']) {
      const reply = await hub.call('POST', `/v2/namespaces/${org}/repositories`, { token: owner, body: { name, namespace: org } });
      expect(reply.status, name).toBe(400);
      expect(reply.body.fields.name).toBeDefined();
    }
    const mismatch = await hub.call('POST', `/v2/namespaces/${org}/repositories`, { token: owner, body: { name: 'ok-name', namespace: 'someone-else' } });
    expect(mismatch.status).toBe(400);
    const member = await hub.member();
    const other = emu.state.orgNames[1] as string;
    expect((await hub.call('POST', `/v2/namespaces/${other}/repositories`, { token: member, body: { name: 'nope', namespace: other } })).status).toBe(403);
  });

  it('PATCH /v2/repositories/{ns}/{repo}/ edits the descriptions: last_modified moves, last_updated does not', async () => {
    const name = emu.state.repositories.sorted(org, 'name')[0]?.seed.name as string;
    const before = (await hub.get(`/v2/namespaces/${org}/repositories/${name}`, owner)).body;
    const patched = await hub.call('PATCH', `/v2/repositories/${org}/${name}/`, { token: owner, body: { description: 'new text', full_description: '# New' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ description: 'new text', full_description: '# New', last_updated: before.last_updated });
    expect(patched.body.last_modified).not.toBe(before.last_modified);
    expect(await latestEvent(org)).toMatchObject({ action: 'repo.update', name: `${org}/${name}` });
    const tooLong = await hub.call('PATCH', `/v2/repositories/${org}/${name}/`, { token: owner, body: { description: 'x'.repeat(101) } });
    expect(tooLong.status).toBe(400);
  });

  it('sets immutable tags and verifies a rule against the tags', async () => {
    const repo = emu.state.repositories.sorted(org, 'name').find((r) => r.seed.tagCount > 2);
    const name = repo?.seed.name as string;
    const patched = await hub.call('PATCH', `/v2/namespaces/${org}/repositories/${name}/immutabletags`, {
      token: owner,
      body: { immutable_tags: true, immutable_tags_rules: ['v.*'] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.immutable_tags_settings).toEqual({ enabled: true, rules: ['v.*'] });
    const verify = await hub.call('POST', `/v2/namespaces/${org}/repositories/${name}/immutabletags/verify`, { token: owner, body: { regex: '.*' } });
    expect(verify.body.tags).toHaveLength(repo?.seed.tagCount ?? -1);
  });

  it('grants a team access to a repository (200 {group_name, permission, group_id})', async () => {
    const name = emu.state.repositories.sorted(org, 'name')[0]?.seed.name as string;
    const team = (await hub.get(`/v2/orgs/${org}/groups/owners`, owner)).body;
    const reply = await hub.call('POST', `/v2/repositories/${org}/${name}/groups`, { token: owner, body: { group_id: team.id, permission: 'write' } });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ group_name: 'owners', permission: 'write', group_id: team.id });
    expect((await hub.call('POST', `/v2/repositories/${org}/${name}/groups`, { token: owner, body: { group_id: 1, permission: 'write' } })).status).toBe(404);
  });
});

describe('personal access tokens', () => {
  it('create (secret once), read, deactivate, delete', async () => {
    const created = await hub.call('POST', '/v2/access-tokens', { token: owner, body: { token_label: 'from-test', scopes: ['repo:read'] } });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^dckr_pat_/);
    const { uuid } = created.body;
    const read = await hub.get(`/v2/access-tokens/${uuid}`, owner);
    expect(read.body).toMatchObject({ uuid, token: '', token_label: 'from-test', scopes: ['repo:read'], is_active: true });
    // The new secret works as a login.
    expect(await hub.token(emu.credentials.username, created.body.token)).toEqual(expect.any(String));
    const patched = await hub.call('PATCH', `/v2/access-tokens/${uuid}`, { token: owner, body: { is_active: false, token_label: 'renamed' } });
    expect(patched.body).toMatchObject({ is_active: false, token_label: 'renamed', token: '' });
    expect((await hub.call('POST', '/v2/auth/token', { body: { identifier: emu.credentials.username, secret: created.body.token } })).status).toBe(401);
    expect((await hub.call('DELETE', `/v2/access-tokens/${uuid}`, { token: owner })).status).toBe(204);
    expect((await hub.get(`/v2/access-tokens/${uuid}`, owner)).status).toBe(404);
    const invalid = await hub.call('POST', '/v2/access-tokens', { token: owner, body: { token_label: '', scopes: ['repo:everything'] } });
    expect(invalid.status).toBe(400);
    expect(Object.keys(invalid.body.fields).sort()).toEqual(['scopes', 'token_label']);
  });
});

describe('organization access tokens', () => {
  it('create (secret once), update, delete, each with its audit event', async () => {
    const created = await hub.call('POST', `/v2/orgs/${org}/access-tokens`, {
      token: owner,
      body: { label: 'ci', description: 'for CI', resources: [{ type: 'TYPE_REPO', path: `${org}/*`, scopes: ['repo-pull'] }], expires_at: null },
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^dckr_oat_/);
    expect(created.body.resources).toEqual([{ type: 'TYPE_REPO', path: `${org}/*`, scopes: ['repo-pull'] }]);
    expect(await latestEvent(org)).toMatchObject({ action: 'org.access_token.create' });
    const listed = await hub.get(`/v2/orgs/${org}/access-tokens?page_size=100`, owner);
    expect(listed.body.results.find((t: { id: string }) => t.id === created.body.id)).not.toHaveProperty('token');
    const updated = await hub.call('PATCH', `/v2/orgs/${org}/access-tokens/${created.body.id}`, { token: owner, body: { is_active: false } });
    expect(updated.body).toMatchObject({ id: created.body.id, is_active: false });
    expect(updated.body).not.toHaveProperty('token');
    expect((await hub.call('DELETE', `/v2/orgs/${org}/access-tokens/${created.body.id}`, { token: owner })).status).toBe(204);
    expect(await latestEvent(org)).toMatchObject({ action: 'org.access_token.delete' });
    expect((await hub.call('POST', `/v2/orgs/${org}/access-tokens`, { token: owner, body: {} })).status).toBe(400);
  });
});

describe('teams', () => {
  it('create, replace, patch, add and remove a member, delete — each recorded', async () => {
    const member = emu.credentials.member.username;
    const created = await hub.call('POST', `/v2/orgs/${org}/groups`, { token: owner, body: { name: 'testers', description: 'QA' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'testers', description: 'QA', member_count: 0 });
    expect(await latestEvent(org)).toMatchObject({ action: 'org.team.create', data: { team: 'testers' } });
    expect((await hub.call('POST', `/v2/orgs/${org}/groups`, { token: owner, body: { name: 'testers' } })).status).toBe(409);

    const replaced = await hub.call('PUT', `/v2/orgs/${org}/groups/testers`, { token: owner, body: { name: 'qa-team', description: 'Quality' } });
    expect(replaced.body).toMatchObject({ id: created.body.id, name: 'qa-team', description: 'Quality' });
    const patched = await hub.call('PATCH', `/v2/orgs/${org}/groups/qa-team`, { token: owner, body: { description: 'Testing' } });
    expect(patched.body).toMatchObject({ name: 'qa-team', description: 'Testing' });

    const added = await hub.call('POST', `/v2/orgs/${org}/groups/qa-team/members`, { token: owner, body: { member } });
    expect(added.status).toBe(200);
    expect(added.text).toBe('');
    expect(await latestEvent(org)).toMatchObject({ action: 'org.team.member.add', name: member, data: { team: 'qa-team', username: member } });
    expect((await hub.get(`/v2/orgs/${org}/groups/qa-team/members`, owner)).body.map((m: { username: string }) => m.username)).toEqual([member]);
    expect((await hub.get(`/v2/orgs/${org}/members?search=${member}`, owner)).body.results[0].groups).toContain('qa-team');

    expect((await hub.call('DELETE', `/v2/orgs/${org}/groups/qa-team/members/${member}`, { token: owner })).status).toBe(204);
    expect(await latestEvent(org)).toMatchObject({ action: 'org.team.member.remove' });
    expect((await hub.call('DELETE', `/v2/orgs/${org}/groups/qa-team`, { token: owner })).status).toBe(204);
    expect((await hub.get(`/v2/orgs/${org}/groups/qa-team`, owner)).status).toBe(404);
    expect(await latestEvent(org)).toMatchObject({ action: 'org.team.delete' });
    expect((await hub.call('DELETE', `/v2/orgs/${org}/groups/owners`, { token: owner })).status).toBe(400);
  });

  it('refuses team management with a PAT-derived token, allows it with the OAT', async () => {
    const pat = await hub.pat();
    const refused = await hub.call('POST', `/v2/orgs/${org}/groups`, { token: pat, body: { name: 'via-pat' } });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/^token issued from personal access token/);
    const oat = await hub.oat(org);
    expect((await hub.call('POST', `/v2/orgs/${org}/groups`, { token: oat, body: { name: 'via-oat' } })).status).toBe(201);
    expect(await latestEvent(org)).toMatchObject({ action: 'org.team.create', actor: org });
  });
});

describe('invites', () => {
  it('bulk invite: dry run validates only; a real run creates invites; resend and cancel', async () => {
    const existing = emu.credentials.member.username;
    const body = { org, invitees: ['new.person@example.com', existing, 'not valid!'], role: 'member', team: 'owners' };
    const before = (await hub.get(`/v2/orgs/${org}/invites`, owner)).body.data.length;
    const dry = await hub.call('POST', '/v2/invites/bulk', { token: owner, body: { ...body, dry_run: true } });
    expect(dry.status).toBe(202);
    expect(dry.body.invitees.map((i: { status: string }) => i.status)).toEqual(['valid', 'existing_org_member', 'invalid_email_or_docker_id']);
    expect((await hub.get(`/v2/orgs/${org}/invites`, owner)).body.data).toHaveLength(before);

    const real = await hub.call('POST', '/v2/invites/bulk', { token: owner, body });
    expect(real.status).toBe(202);
    const invited = real.body.invitees[0];
    expect(invited).toMatchObject({ invitee: 'new.person@example.com', status: 'invited', invite: { org, team: 'owners', invitee: 'new.person@example.com' } });
    expect(await latestEvent(org)).toMatchObject({ action: 'org.member.invite.send' });
    expect((await hub.get(`/v2/orgs/${org}/invites`, owner)).body.data).toHaveLength(before + 1);
    expect((await hub.call('POST', '/v2/invites/bulk', { token: owner, body })).body.invitees[0].status).toBe('already_invited');

    expect((await hub.call('PATCH', `/v2/invites/${invited.invite.id}/resend`, { token: owner })).status).toBe(204);
    expect((await hub.call('DELETE', `/v2/invites/${invited.invite.id}`, { token: owner })).status).toBe(204);
    expect((await hub.get(`/v2/orgs/${org}/invites`, owner)).body.data).toHaveLength(before);
    expect((await hub.call('DELETE', `/v2/invites/${invited.invite.id}`, { token: owner })).status).toBe(404);
  });
});

describe('members and settings', () => {
  it('changes a role (200 org_member), removes a member (204), each recorded', async () => {
    const target = (await hub.get(`/v2/orgs/${org}/members?role=member&page_size=100`, owner)).body.results.find(
      (m: { username: string }) => m.username !== emu.credentials.member.username,
    );
    const changed = await hub.call('PUT', `/v2/orgs/${org}/members/${target.username}`, { token: owner, body: { role: 'editor' } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ username: target.username, role: 'Editor' });
    expect(await latestEvent(org)).toMatchObject({ action: 'org.member.role.change', data: { username: target.username, role: 'editor', previous_role: 'member' } });
    expect((await hub.call('PUT', `/v2/orgs/${org}/members/${target.username}`, { token: owner, body: { role: 'boss' } })).status).toBe(400);

    expect((await hub.call('DELETE', `/v2/orgs/${org}/members/${target.username}`, { token: owner })).status).toBe(204);
    expect(await latestEvent(org)).toMatchObject({ action: 'org.member.remove', data: { username: target.username } });
    expect((await hub.get(`/v2/orgs/${org}/members?search=${target.username}`, owner)).body.count).toBe(0);
    expect((await hub.call('DELETE', `/v2/orgs/${org}/members/${target.username}`, { token: owner })).status).toBe(404);
  });

  it('updates organization settings (owners only)', async () => {
    const settings = { restricted_images: { enabled: true, allow_official_images: false, allow_verified_publishers: true } };
    const reply = await hub.call('PUT', `/v2/orgs/${org}/settings`, { token: owner, body: settings });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual(settings);
    expect((await hub.get(`/v2/orgs/${org}/settings`, owner)).body).toEqual(settings);
    expect(await latestEvent(org)).toMatchObject({ action: 'org.settings.update' });
    expect((await hub.call('PUT', `/v2/orgs/${org}/settings`, { token: owner, body: { restricted_images: { enabled: true } } })).status).toBe(400);
    const member = await hub.member();
    expect((await hub.call('PUT', `/v2/orgs/${org}/settings`, { token: member, body: settings })).status).toBe(403);
  });
});
