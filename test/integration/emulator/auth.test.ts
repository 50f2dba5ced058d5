import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../../src/emulator/index.js';
import { type HubTestClient, hubClient } from './support.js';

function decode(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = jwt.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);
  return { header: header ?? {}, payload: payload ?? {} };
}

let emu: RunningEmulator;
let hub: HubTestClient;
let org: string;
let otherOrg: string;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, seed: 3, tokenTtlSeconds: 300 });
  hub = hubClient(emu);
  org = emu.state.orgNames[0] as string;
  otherOrg = emu.state.orgNames[1] as string;
});

afterAll(async () => {
  await emu.close();
});

describe('POST /v2/auth/token', () => {
  it('exchanges a password for a real-looking JWT with sub and exp', async () => {
    const jwt = await hub.owner();
    expect(jwt.split('.')).toHaveLength(3);
    const { header, payload } = decode(jwt);
    expect(header).toMatchObject({ alg: 'HS256', typ: 'JWT' });
    expect(payload.sub).toEqual(expect.any(String));
    expect(payload.username).toBe(emu.credentials.username);
    expect((payload.exp as number) - (payload.iat as number)).toBe(300);
  });

  it('refuses wrong credentials with 401 and missing fields with 400', async () => {
    const wrong = await hub.call('POST', '/v2/auth/token', { body: { identifier: emu.credentials.username, secret: 'nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.detail).toMatch(/Incorrect authentication credentials/);
    expect((await hub.call('POST', '/v2/auth/token', { body: { identifier: 'x' } })).status).toBe(400);
    expect((await hub.call('POST', '/v2/auth/token', { body: { identifier: org, secret: emu.credentials.pat } })).status).toBe(401);
  });
});

describe('bearer checks', () => {
  it('requires a token except for public repository reads', async () => {
    const name = emu.state.repositories.sorted(org, 'name').find((r) => !r.seed.isPrivate)?.seed.name;
    expect((await hub.get(`/v2/namespaces/${org}/repositories/${name}/tags`)).status).toBe(200);
    for (const path of [`/v2/auditlogs/${org}`, `/v2/orgs/${org}/members`, `/v2/orgs/${org}/groups`, '/v2/access-tokens', `/v2/orgs/${org}/settings`]) {
      expect((await hub.get(path)).status, path).toBe(401);
    }
  });

  it('rejects a forged or garbled token with 401, even on public endpoints', async () => {
    const jwt = await hub.owner();
    const forged = `${jwt.slice(0, -4)}AAAA`;
    expect((await hub.get(`/v2/namespaces/${org}/repositories`, forged)).status).toBe(401);
    expect((await hub.get(`/v2/namespaces/${org}/repositories`, 'not-a-jwt')).status).toBe(401);
  });

  it('PAT-derived tokens may not manage PATs (403 "token issued from personal access token")', async () => {
    const pat = await hub.pat();
    expect(decode(pat).payload.source).toBe('pat');
    const refused = await hub.get('/v2/access-tokens', pat);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/^token issued from personal access token/);
    expect((await hub.get('/v2/access-tokens', await hub.owner())).status).toBe(200);
    // The same PAT reads repositories and organization data fine.
    expect((await hub.get(`/v2/namespaces/${org}/repositories`, pat)).status).toBe(200);
    expect((await hub.get(`/v2/orgs/${org}/members`, pat)).status).toBe(200);
  });

  it('OAT-derived tokens reach only their own organization', async () => {
    const oat = await hub.oat(org);
    expect(decode(oat).payload.source).toBe('oat');
    expect((await hub.get(`/v2/orgs/${org}/members`, oat)).status).toBe(200);
    expect((await hub.get(`/v2/auditlogs/${org}`, oat)).status).toBe(200);
    expect((await hub.get(`/v2/orgs/${otherOrg}/members`, oat)).status).toBe(403);
    expect((await hub.get(`/v2/auditlogs/${otherOrg}`, oat)).status).toBe(403);
    expect((await hub.get('/v2/access-tokens', oat)).status).toBe(403);
    const privateElsewhere = emu.state.repositories.sorted(otherOrg, 'name').find((r) => r.seed.isPrivate);
    if (privateElsewhere) expect((await hub.get(`/v2/namespaces/${otherOrg}/repositories/${privateElsewhere.seed.name}`, oat)).status).toBe(404);
    const privateHere = emu.state.repositories.sorted(org, 'name').find((r) => r.seed.isPrivate);
    if (privateHere) expect((await hub.get(`/v2/namespaces/${org}/repositories/${privateHere.seed.name}`, oat)).status).toBe(200);
  });

  it('an OAT without scope-repository-list lists public repositories only, with a normal 200; without scope-activity-read no audit log', async () => {
    const owner = await hub.owner();
    const created = await hub.call<{ token: string }>('POST', `/v2/orgs/${org}/access-tokens`, {
      token: owner,
      body: { label: 'narrow', resources: [{ type: 'TYPE_ORG', path: org, scopes: ['scope-member-read'] }, { type: 'TYPE_REPO', path: `${org}/*`, scopes: ['scope-image-pull'] }] },
    });
    expect(created.status).toBe(201);
    const narrow = await hub.token(org, created.body.token);
    const all = emu.state.repositories.sorted(org, 'name');
    const publicOnes = all.filter((r) => !r.seed.isPrivate);
    expect(publicOnes.length).toBeLessThan(all.length);
    const listed = await hub.get<{ count: number; results: { name: string; is_private: boolean }[] }>(`/v2/namespaces/${org}/repositories?page_size=100`, narrow);
    expect(listed.status).toBe(200);
    expect(listed.body.count).toBe(publicOnes.length);
    expect(listed.body.results.every((r) => !r.is_private)).toBe(true);
    // The organization's own OAT (with the scope) sees them all; a private one by name still answers.
    const full = await hub.get<{ count: number }>(`/v2/namespaces/${org}/repositories?page_size=1`, await hub.oat(org));
    expect(full.body.count).toBe(all.length);
    const privateOne = all.find((r) => r.seed.isPrivate)!;
    expect((await hub.get(`/v2/namespaces/${org}/repositories/${privateOne.seed.name}`, narrow)).status).toBe(200);
    expect((await hub.get(`/v2/auditlogs/${org}`, narrow)).status).toBe(403);
    expect((await hub.get(`/v2/orgs/${org}/members`, narrow)).status).toBe(200);
  });

  it('plain members read members and teams but not owner-only endpoints', async () => {
    const member = await hub.member();
    expect((await hub.get(`/v2/orgs/${org}/members`, member)).status).toBe(200);
    expect((await hub.get(`/v2/orgs/${org}/groups`, member)).status).toBe(200);
    for (const path of [`/v2/auditlogs/${org}`, `/v2/orgs/${org}/invites`, `/v2/orgs/${org}/settings`, `/v2/orgs/${org}/access-tokens`]) {
      expect((await hub.get(path, member)).status, path).toBe(403);
    }
  });
});

describe('token expiry', () => {
  it('answers 401 once the token has expired', async () => {
    let now = Date.UTC(2026, 0, 1);
    const timed = await startEmulator({ port: 0, tokenTtlSeconds: 60, clock: { now: () => now } });
    try {
      const client = hubClient(timed);
      const jwt = await client.owner();
      const org0 = timed.state.orgNames[0] as string;
      expect((await client.get(`/v2/orgs/${org0}/members`, jwt)).status).toBe(200);
      now += 61_000;
      const expired = await client.get(`/v2/orgs/${org0}/members`, jwt);
      expect(expired.status).toBe(401);
      expect(expired.body.detail).toMatch(/expired/i);
      expect((await client.get(`/v2/orgs/${org0}/members`, await client.owner())).status).toBe(200);
    } finally {
      await timed.close();
    }
  });
});

describe('POST /v2/users/login', () => {
  it('returns {token}, and with 2FA a login_2fa_token for /v2/users/2fa-login', async () => {
    const plain = await hub.call('POST', '/v2/users/login', { body: { username: emu.credentials.username, password: emu.credentials.password } });
    expect(plain.status).toBe(200);
    expect((await hub.get('/v2/access-tokens', plain.body.token)).status).toBe(200);

    const secured = await startEmulator({ port: 0, twoFactorCode: '123456' });
    try {
      const client = hubClient(secured);
      const first = await client.call('POST', '/v2/users/login', { body: { username: secured.credentials.username, password: secured.credentials.password } });
      expect(first.status).toBe(401);
      expect(first.body.login_2fa_token).toEqual(expect.any(String));
      expect((await client.get('/v2/access-tokens', first.body.login_2fa_token)).status).toBe(401);
      const wrong = await client.call('POST', '/v2/users/2fa-login', { body: { login_2fa_token: first.body.login_2fa_token, code: '000000' } });
      expect(wrong.status).toBe(401);
      const second = await client.call('POST', '/v2/users/2fa-login', { body: { login_2fa_token: first.body.login_2fa_token, code: '123456' } });
      expect(second.status).toBe(200);
      expect((await client.get('/v2/access-tokens', second.body.token)).status).toBe(200);
      // A PAT skips the second factor, like on Hub.
      const withPat = await client.call('POST', '/v2/users/login', { body: { username: secured.credentials.username, password: secured.credentials.pat } });
      expect(withPat.status).toBe(200);
    } finally {
      await secured.close();
    }
  });

  it('locks an identifier for a while after repeated failures', async () => {
    const locking = await startEmulator({ port: 0, lockoutAfterFailedLogins: 2 });
    try {
      const client = hubClient(locking);
      const attempt = (secret: string) => client.call('POST', '/v2/auth/token', { body: { identifier: locking.credentials.username, secret } });
      expect((await attempt('bad-1')).status).toBe(401);
      expect((await attempt('bad-2')).status).toBe(401);
      expect((await attempt(locking.credentials.password)).status).toBe(429);
    } finally {
      await locking.close();
    }
  });
});
