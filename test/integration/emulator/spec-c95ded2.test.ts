import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../../src/emulator/index.js';
import { type HubTestClient, hubClient } from './support.js';

// What the newer text of the spec (docker/docs c95ded2) changed, as the emulator answers it:
// roles are free strings (core or custom), teams have a role, the OAT create answer has no
// created_by, and organization access tokens work only on the namespaced repository paths.

let emu: RunningEmulator;
let hub: HubTestClient;
let owner: string;
let org: string;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, seed: 28 });
  hub = hubClient(emu);
  org = emu.state.orgNames[0] as string;
  owner = await hub.owner();
});

afterAll(async () => {
  await emu.close();
});

describe('roles', () => {
  it('a member takes a core role (Editor in the list) or a custom role of the organization; anything else is a 400', async () => {
    const member = emu.credentials.member.username;
    const editor = await hub.call('PUT', `/v2/orgs/${org}/members/${member}`, { token: owner, body: { role: 'editor' } });
    expect(editor.status).toBe(200);
    expect(editor.body.role).toBe('Editor');

    const unknown = await hub.call('PUT', `/v2/orgs/${org}/members/${member}`, { token: owner, body: { role: 'release-manager' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.fields.role[0]).toContain('owner, editor, member');

    const defined = await hub.call('POST', `/_emulator/orgs/${org}/roles`, { body: { name: 'release-manager', label: 'Release manager', base: 'editor' } });
    expect(defined.status).toBe(201);
    const custom = await hub.call('PUT', `/v2/orgs/${org}/members/${member}`, { token: owner, body: { role: 'release-manager' } });
    expect(custom.status).toBe(200);
    expect(custom.body.role).toBe('release-manager');
    const listed = await hub.get(`/v2/orgs/${org}/members?search=${member}`, owner);
    expect(listed.body.results[0].role).toBe('release-manager');
    // The label is not the name the API takes.
    expect((await hub.call('PUT', `/v2/orgs/${org}/members/${member}`, { token: owner, body: { role: 'Release manager' } })).status).toBe(400);
    // A custom role stands for its base role: an editor may push to the organization's repositories.
    expect(emu.state.orgs.role(org, member)).toBe('editor');
  });

  it('a team carries a role; PATCH changes it to a core or custom role; POST and PUT leave it', async () => {
    const teams = await hub.get(`/v2/orgs/${org}/groups?page_size=100`, owner);
    for (const team of teams.body.results) expect(team.role).toBe(team.name === 'owners' ? 'owner' : 'member');

    await hub.call('POST', `/_emulator/orgs/${org}/roles`, { body: { name: 'auditor' } });
    const created = await hub.call('POST', `/v2/orgs/${org}/groups`, { token: owner, body: { name: 'reviewers', role: 'owner' } });
    expect(created.body.role).toBe('member');
    const patched = await hub.call('PATCH', `/v2/orgs/${org}/groups/reviewers`, { token: owner, body: { role: 'auditor' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'reviewers', role: 'auditor' });
    expect((await hub.call('PATCH', `/v2/orgs/${org}/groups/reviewers`, { token: owner, body: { role: 'editor' } })).body.role).toBe('editor');
    expect((await hub.call('PUT', `/v2/orgs/${org}/groups/reviewers`, { token: owner, body: { name: 'reviewers', role: 'owner' } })).body.role).toBe('editor');
    expect((await hub.call('PATCH', `/v2/orgs/${org}/groups/reviewers`, { token: owner, body: { role: 'nobody' } })).status).toBe(400);
    expect((await hub.call('PATCH', `/v2/orgs/${org}/groups/owners`, { token: owner, body: { role: 'member' } })).status).toBe(400);
  });

  it('refuses a custom role that is a core role, badly named, or defined twice', async () => {
    for (const body of [{ name: 'owner' }, { name: 'Has Space' }, { name: 'ok-name', base: 'owner' }]) {
      expect((await hub.call('POST', `/_emulator/orgs/${org}/roles`, { body })).status, JSON.stringify(body)).toBe(400);
    }
    expect((await hub.call('POST', `/_emulator/orgs/${org}/roles`, { body: { name: 'twice' } })).status).toBe(201);
    expect((await hub.call('POST', `/_emulator/orgs/${org}/roles`, { body: { name: 'twice' } })).status).toBe(409);
  });
});

describe('organization access tokens', () => {
  it('the create answer inlines the token without created_by or description; list and get still carry them', async () => {
    const created = await hub.call('POST', `/v2/orgs/${org}/access-tokens`, { token: owner, body: { label: 'no-creator' } });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['created_at', 'expires_at', 'id', 'is_active', 'label', 'last_used_at', 'resources', 'token']);
    const one = await hub.get(`/v2/orgs/${org}/access-tokens/${created.body.id}`, owner);
    expect(one.body.created_by).toBe(emu.credentials.username);
    expect(one.body.description).toBe('');
  });

  it('work on the namespaced paths and get 403 "token issued from organization access token is not allowed" on every legacy one', async () => {
    const oat = await hub.oat(org);
    const repo = emu.state.repositories.sorted(org, 'name')[0]!.seed.name;
    expect((await hub.get(`/v2/namespaces/${org}/repositories`, oat)).status).toBe(200);
    expect((await hub.get(`/v2/namespaces/${org}/repositories/${repo}`, oat)).status).toBe(200);
    expect((await hub.get(`/v2/namespaces/${org}/repositories/${repo}/tags`, oat)).status).toBe(200);
    const legacy: [string, string][] = [
      ['GET', `/v2/repositories/${org}/`],
      ['GET', `/v2/repositories/${org}/${repo}/`],
      ['GET', `/v2/users/${org}/repositories`],
      ['GET', `/v2/repositories/${org}/${repo}/tags`],
      ['PATCH', `/v2/repositories/${org}/${repo}/`],
      ['DELETE', `/v2/repositories/${org}/${repo}/`],
    ];
    for (const [method, path] of legacy) {
      const reply = await hub.call(method, path, { token: oat, body: method === 'PATCH' ? { description: 'x' } : undefined });
      expect(reply.status, `${method} ${path}`).toBe(403);
      expect(reply.body.detail, `${method} ${path}`).toBe('token issued from organization access token is not allowed');
    }
    // Nothing was changed or removed, and the same legacy paths still answer a password login.
    expect((await hub.get(`/v2/repositories/${org}/${repo}/`, owner)).status).toBe(200);
    expect((await hub.get(`/v2/users/${org}/repositories`, owner)).status).toBe(200);
    // The team grant keeps its legacy path and the spec labels it for OATs: refused, if at all, for the scope it lacks.
    const team = emu.state.orgs.team(org, 'owners');
    const grant = await hub.call('POST', `/v2/repositories/${org}/${repo}/groups`, { token: oat, body: { group_id: team.id, permission: 'read' } });
    expect(grant.body.detail).not.toBe('token issued from organization access token is not allowed');
  });
});
