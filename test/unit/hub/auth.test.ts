import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeJwtPayload, LOGIN_PAUSE_MS, LOGIN_TRIES, needsPasswordSession, tokenLifetimeMs } from '../../../src/hub/auth.js';
import { createHubClient, type HubClient, type HubClientOptions } from '../../../src/hub/client.js';
import { HubAuthError, HubPermissionError } from '../../../src/hub/errors.js';
import { captureLogger, fakeClock, json, makeJwt, startServer, type FakeClock, type Hit, type Reply, type ScriptedServer } from './support.js';

const USER = 'alice';
const PAT = 'dckr_pat_SUPERSECRET_0123456789abcdef';
const PASSWORD = 'correct-horse-battery-staple-9';

let server: ScriptedServer | undefined;
const clients: HubClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
});

interface FakeHub {
  server: ScriptedServer;
  clock: FakeClock;
  issued: string[];
  revoke: (token: string) => void;
  client: (options?: HubClientOptions) => HubClient;
  log: () => string;
}

/**
 * A small Hub: /v2/auth/token accepts USER + (PAT | PASSWORD) and issues JWTs living `ttlS`;
 * /v2/data answers when the bearer is valid, unexpired and not revoked.
 */
async function fakeHub(opts: { ttlS?: number; route?: (hit: Hit, bearer: string | undefined) => Reply | undefined; login?: (hit: Hit) => Reply | undefined } = {}): Promise<FakeHub> {
  const clock = fakeClock();
  const issued: string[] = [];
  const revoked = new Set<string>();
  const ttl = opts.ttlS ?? 600;
  server = await startServer((hit) => {
    if (hit.path === '/v2/auth/token' && hit.method === 'POST') {
      const outage = opts.login?.(hit);
      if (outage) return outage;
      const { identifier, secret } = (hit.json ?? {}) as { identifier?: string; secret?: string };
      if (identifier !== USER || (secret !== PAT && secret !== PASSWORD)) {
        return json({ errinfo: {}, detail: 'incorrect username or password', message: 'incorrect username or password' }, 401);
      }
      const iat = Math.floor(clock.now() / 1000);
      const token = makeJwt({ sub: USER, iat, exp: iat + ttl, jti: `t${issued.length + 1}` });
      issued.push(token);
      return json({ access_token: token });
    }
    const bearer = hit.headers.authorization?.replace(/^Bearer /, '');
    const custom = opts.route?.(hit, bearer);
    if (custom) return custom;
    if (!bearer) return json({ detail: 'Authentication credentials were not provided.' }, 401);
    const exp = decodeJwtPayload(bearer)?.exp;
    if (revoked.has(bearer) || !issued.includes(bearer) || (typeof exp === 'number' && exp * 1000 <= clock.now())) {
      return json({ detail: 'Token expired' }, 401);
    }
    return json({ ok: true, path: hit.path });
  });
  const { logger, output } = captureLogger();
  return {
    server,
    clock,
    issued,
    revoke: (t) => revoked.add(t),
    client: (options = {}) => {
      const c = createHubClient({ baseUrl: server!.url, clock, logger, random: () => 0.5, username: USER, token: PAT, ...options });
      clients.push(c);
      return c;
    },
    log: output,
  };
}

describe('login', () => {
  it('logs in once with POST /v2/auth/token {identifier, secret} and reuses the token', async () => {
    const hub = await fakeHub();
    const c = hub.client();
    for (let i = 0; i < 3; i++) await expect(c.request({ path: '/v2/data' })).resolves.toMatchObject({ status: 200 });
    expect(hub.server.count('/v2/auth/token')).toBe(1);
    expect(hub.server.hits[0]?.json).toEqual({ identifier: USER, secret: PAT });
    expect(hub.server.hits[1]?.headers.authorization).toBe(`Bearer ${hub.issued[0]}`);
    expect(c.stats.logins).toBe(1);
  });

  it('logs in again shortly before the JWT exp', async () => {
    const hub = await fakeHub({ ttlS: 120 });
    const c = hub.client();
    await c.request({ path: '/v2/data' });
    hub.clock.advance(100_000); // lifetime 120 s, refresh margin 12 s → refresh due at 108 s
    await c.request({ path: '/v2/data' });
    expect(hub.server.count('/v2/auth/token')).toBe(1);
    hub.clock.advance(10_000);
    await c.request({ path: '/v2/data' });
    expect(hub.server.count('/v2/auth/token')).toBe(2);
    expect(hub.server.hits.at(-1)?.headers.authorization).toBe(`Bearer ${hub.issued[1]}`);
  });

  it('re-authenticates once after a 401 from an expired token and retries the request', async () => {
    const hub = await fakeHub({ ttlS: 3600 });
    const c = hub.client();
    await c.request({ path: '/v2/data' });
    hub.revoke(hub.issued[0]!); // the server expired it early
    const res = await c.request({ path: '/v2/data' });
    expect(res.body).toMatchObject({ ok: true });
    expect(hub.server.count('/v2/auth/token')).toBe(2);
    expect(hub.server.count('/v2/data')).toBe(3);
  });

  it('logs in again when a fresh token outlives its lifetime in retries, and only then', async () => {
    // Two 503s that each take longer than the token lives: the first token expires before its
    // retry, and so does the fresh one. A refusal past the token's lifetime is its age speaking.
    let slow = 0;
    const hub: FakeHub = await fakeHub({
      ttlS: 2,
      route: (hit) => {
        if (hit.path !== '/v2/slow') return undefined;
        slow++;
        if (slow === 1 || slow === 3) {
          hub.clock.advance(3_000);
          return json({ detail: 'busy' }, 503);
        }
        return undefined;
      },
    });
    const c = hub.client();
    const res = await c.request({ path: '/v2/slow' });
    expect(res.body).toMatchObject({ ok: true });
    expect(hub.server.count('/v2/auth/token')).toBe(3);
    expect(hub.server.count('/v2/slow')).toBe(5);
  });

  it('a 401 that a fresh token does not cure does not turn into a login loop', async () => {
    const hub = await fakeHub({ route: (hit) => (hit.path === '/v2/always401' ? json({ detail: 'nope' }, 401) : undefined) });
    const c = hub.client();
    for (let i = 0; i < 4; i++) {
      const err = await c.request({ path: '/v2/always401', endpoint: 'grumpy' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubAuthError);
    }
    // first call: login, 401, one re-login, 401; later calls: no more logins
    expect(hub.server.count('/v2/auth/token')).toBe(2);
    expect(hub.server.count('/v2/always401')).toBe(5);
  });

  it('wrong credentials fail once with a clear message and never log in again', async () => {
    const hub = await fakeHub();
    const c = hub.client({ token: 'dckr_pat_WRONG_0000000000000000' });
    const errors: unknown[] = [];
    for (let i = 0; i < 5; i++) errors.push(await c.request({ path: '/v2/data' }).catch((e: unknown) => e));
    expect(hub.server.count('/v2/auth/token')).toBe(1);
    expect(hub.server.hits).toHaveLength(1);
    const first = errors[0] as HubAuthError;
    expect(first).toBeInstanceOf(HubAuthError);
    expect(first.reason).toBe('bad_credentials');
    expect(first.message).toContain('Docker Hub login failed for "alice" (401 from POST /v2/auth/token: incorrect username or password)');
    expect(first.message).toContain('will not try again');
    expect(errors.every((e) => e === first)).toBe(true);
    await expect(c.login()).rejects.toBe(first);
  });

  it('a login that answers 500 is tried a few times, then pauses every later login until the window passes', async () => {
    let down = true;
    const hub = await fakeHub({ login: () => (down ? json({ detail: 'Internal server error' }, 500) : undefined) });
    const c = hub.client({ maxRetries: 5, retryBaseDelayMs: 1 });
    const errors = await Promise.all([1, 2, 3].map(() => c.request({ path: '/v2/data' }).catch((e: unknown) => e)));
    for (let i = 0; i < 4; i++) errors.push(await c.request({ path: '/v2/data' }).catch((e: unknown) => e));
    expect(hub.server.count('/v2/auth/token')).toBe(LOGIN_TRIES);
    const first = errors[0] as HubAuthError;
    expect(first).toBeInstanceOf(HubAuthError);
    expect(first.reason).toBe('login_paused');
    expect(first.status).toBe(500);
    expect(first.message).toMatch(/^Docker Hub login failed with 500 from POST \/v2\/auth\/token: Internal server error\. No further Docker Hub login from this process until /);
    expect(errors.every((e) => e === first)).toBe(true);
    expect(hub.log().match(/pausing logins until/g)).toHaveLength(1);

    hub.clock.advance(LOGIN_PAUSE_MS - 1);
    await expect(c.request({ path: '/v2/data' })).rejects.toBe(first);
    expect(hub.server.count('/v2/auth/token')).toBe(LOGIN_TRIES);
    down = false;
    hub.clock.advance(1);
    await expect(c.request({ path: '/v2/data' })).resolves.toMatchObject({ status: 200 });
    expect(hub.server.count('/v2/auth/token')).toBe(LOGIN_TRIES + 1);
  });

  it('with a PAT and a password, token management uses a password session and everything else the PAT', async () => {
    const hub = await fakeHub();
    const c = hub.client({ password: PASSWORD });
    await c.request({ path: '/v2/data' });
    await c.request({ path: '/v2/access-tokens' });
    await c.request({ path: '/v2/data' });
    const logins = hub.server.hits.filter((h) => h.path === '/v2/auth/token').map((h) => (h.json as { secret: string }).secret);
    expect(logins).toEqual([PAT, PASSWORD]);
    const bearerOf = (path: string) => hub.server.hits.filter((h) => h.path === path).map((h) => hub.issued.indexOf(h.headers.authorization!.replace(/^Bearer /, '')));
    expect(bearerOf('/v2/data')).toEqual([0, 0]);
    expect(bearerOf('/v2/access-tokens')).toEqual([1]);
  });

  it.each([
    ['GET', '/v2/access-tokens', true],
    ['GET', '/v2/access-tokens/abc', true],
    ['DELETE', '/v2/access-tokens/abc', true],
    ['GET', '/v2/access-tokensx', false],
    ['GET', '/v2/orgs/acme/members', false],
    ['GET', '/v2/orgs/acme/access-tokens', false],
    ['POST', '/v2/orgs/acme/access-tokens', true],
    ['PUT', '/v2/orgs/acme/members/bob', true],
    ['DELETE', '/v2/invites/123', true],
    ['GET', '/v2/namespaces/acme/repositories', false],
    ['POST', '/v2/namespaces/acme/repositories', false],
  ])('needsPasswordSession(%s %s) = %s', (method, path, expected) => {
    expect(needsPasswordSession(method, path)).toBe(expected);
  });

  it('incomplete credentials fail without a request', async () => {
    const hub = await fakeHub();
    const c = hub.client({ username: undefined });
    await expect(c.request({ path: '/v2/data' })).rejects.toMatchObject({ reason: 'missing_credentials' });
    expect(hub.server.hits).toHaveLength(0);
  });

  it('required auth without any credentials fails without a request; anonymous sends no Authorization', async () => {
    const hub = await fakeHub({ route: (hit, bearer) => (hit.path === '/v2/public' ? json({ bearer: bearer ?? null }) : undefined) });
    const c = hub.client({ username: undefined, token: undefined });
    await expect(c.request({ path: '/v2/data', auth: 'required', endpoint: 'private thing' })).rejects.toThrow(/private thing\) needs a Docker Hub login/);
    expect(hub.server.hits).toHaveLength(0);
    await expect(c.request({ path: '/v2/public' })).resolves.toMatchObject({ body: { bearer: null } });
    const err = await c.request({ path: '/v2/data' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'authentication_required' });
  });

  it('concurrent first requests share one login', async () => {
    const hub = await fakeHub();
    const c = hub.client();
    await Promise.all(Array.from({ length: 5 }, () => c.request({ path: '/v2/data' })));
    expect(hub.server.count('/v2/auth/token')).toBe(1);
  });
});

describe('legacy login and 2FA', () => {
  async function legacyHub(opts: { authTokenStatus: number; twoFactor: boolean }) {
    const clock = fakeClock();
    const token = makeJwt({ sub: USER, exp: Math.floor(clock.now() / 1000) + 600 });
    server = await startServer((hit) => {
      switch (hit.path) {
        case '/v2/auth/token':
          return json({ detail: 'nope' }, opts.authTokenStatus);
        case '/v2/users/login': {
          const body = hit.json as { username?: string; password?: string };
          if (body.username !== USER || body.password !== PASSWORD) return json({ detail: 'Incorrect authentication credentials' }, 401);
          if (opts.twoFactor) return json({ detail: 'Require secondary authentication on MFA enabled account', login_2fa_token: 'two-factor-interim' }, 401);
          return json({ token });
        }
        case '/v2/users/2fa-login': {
          const body = hit.json as { login_2fa_token?: string; code?: string };
          return body.login_2fa_token === 'two-factor-interim' && body.code === '123456' ? json({ token }) : json({ detail: 'Incorrect authentication credentials' }, 401);
        }
        default:
          return hit.headers.authorization === `Bearer ${token}` ? json({ ok: true }) : json({}, 401);
      }
    });
    return { server, clock, token };
  }

  it('falls back to /v2/users/login when /v2/auth/token is missing', async () => {
    const { server: s, clock } = await legacyHub({ authTokenStatus: 404, twoFactor: false });
    const c = createHubClient({ baseUrl: s.url, clock, username: USER, password: PASSWORD });
    clients.push(c);
    await expect(c.request({ path: '/v2/data' })).resolves.toMatchObject({ body: { ok: true } });
    expect(s.hits.find((h) => h.path === '/v2/users/login')?.json).toEqual({ username: USER, password: PASSWORD });
  });

  it('completes 2FA with the configured otp', async () => {
    const { server: s, clock } = await legacyHub({ authTokenStatus: 401, twoFactor: true });
    const c = createHubClient({ baseUrl: s.url, clock, username: USER, password: PASSWORD, otp: () => '123456' });
    clients.push(c);
    await expect(c.request({ path: '/v2/data' })).resolves.toMatchObject({ body: { ok: true } });
    expect(s.hits.map((h) => h.path)).toEqual(['/v2/auth/token', '/v2/users/login', '/v2/users/2fa-login', '/v2/data']);
    expect(s.hits[2]?.json).toEqual({ login_2fa_token: 'two-factor-interim', code: '123456' });
  });

  it('without an otp, a 401 from /v2/auth/token is final (no second login endpoint tried)', async () => {
    const { server: s, clock } = await legacyHub({ authTokenStatus: 401, twoFactor: true });
    const c = createHubClient({ baseUrl: s.url, clock, username: USER, password: PASSWORD });
    clients.push(c);
    await expect(c.request({ path: '/v2/data' })).rejects.toMatchObject({ reason: 'bad_credentials' });
    expect(s.hits.map((h) => h.path)).toEqual(['/v2/auth/token']);
  });

  it('2FA required and no otp: says so', async () => {
    const { server: s, clock } = await legacyHub({ authTokenStatus: 404, twoFactor: true });
    const c = createHubClient({ baseUrl: s.url, clock, username: USER, password: PASSWORD });
    clients.push(c);
    await expect(c.request({ path: '/v2/data' })).rejects.toThrow(/two-factor authentication.*personal access token/);
  });
});

describe('static bearer token (jwt option / setLoginToken)', () => {
  it('uses the token without logging in, and a refused one fails fast afterwards', async () => {
    const hub = await fakeHub();
    const jwt = makeJwt({ exp: Math.floor(hub.clock.now() / 1000) + 3600 });
    const c = hub.client({ username: undefined, token: undefined, jwt });
    const err = await c.request({ path: '/v2/data' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'token_rejected' });
    expect((err as Error).message).toMatch(/configured bearer token \(jwt\).*expired or was revoked/);
    expect(hub.server.hits[0]?.headers.authorization).toBe(`Bearer ${jwt}`);
    await expect(c.request({ path: '/v2/data' })).rejects.toMatchObject({ reason: 'token_rejected' });
    expect(hub.server.hits).toHaveLength(1);
    expect(hub.server.count('/v2/auth/token')).toBe(0);
  });

  it('an expired jwt fails without a request when there is nothing to log in with', async () => {
    const hub = await fakeHub();
    const c = hub.client({ username: undefined, token: undefined, jwt: makeJwt({ exp: Math.floor(hub.clock.now() / 1000) - 1 }) });
    await expect(c.request({ path: '/v2/data' })).rejects.toMatchObject({ reason: 'token_expired' });
    expect(hub.server.hits).toHaveLength(0);
  });

  it('with username + token as well, a refused jwt is replaced by a login', async () => {
    const hub = await fakeHub();
    const c = hub.client({ jwt: makeJwt({ exp: Math.floor(hub.clock.now() / 1000) + 3600 }) });
    await expect(c.request({ path: '/v2/data' })).resolves.toMatchObject({ status: 200 });
    expect(hub.server.count('/v2/auth/token')).toBe(1);
  });

  it('setLoginToken switches the bearer', async () => {
    const hub = await fakeHub();
    const c = hub.client({ username: undefined, token: undefined });
    const login = await hub.client().login();
    c.setLoginToken(login.token);
    await expect(c.request({ path: '/v2/data' })).resolves.toMatchObject({ status: 200 });
    expect(hub.server.hits.at(-1)?.headers.authorization).toBe(`Bearer ${login.token}`);
  });
});

describe('permissions', () => {
  it('a 403 for a PAT-derived token names the endpoint and the credential it needs', async () => {
    const hub = await fakeHub({
      route: (hit) => (hit.path === '/v2/access-tokens' ? json({ detail: 'token issued from personal access token', message: 'forbidden' }, 403) : undefined),
    });
    const c = hub.client();
    const err = await collectError(c.listAccessTokens());
    expect(err).toBeInstanceOf(HubPermissionError);
    const e = err as HubPermissionError;
    expect(e.message).toContain('GET /v2/access-tokens?page_size=100 (list personal access tokens)');
    expect(e.message).toContain('token issued from personal access token');
    expect(e.message).toContain('needs a password login');
    expect(e.message).toContain('authenticated with a personal access token');
    expect(e.credential).toBe('personal access token');
  });

  it('organization endpoints ask for an owner password or an OAT with the right scopes', async () => {
    const hub = await fakeHub({ route: (hit) => (hit.path.startsWith('/v2/orgs/') ? json({ detail: 'forbidden' }, 403) : undefined) });
    const err = await collectError(hub.client().listOrgMembers('acme'));
    expect((err as Error).message).toMatch(/list organization members.*organization owner.*organization access token \(OAT\)/);
  });
});

describe('secrets never leak', () => {
  it('no secret in logs, messages, serialised or inspected errors', async () => {
    const hub = await fakeHub({
      route: (hit) => {
        if (hit.path === '/v2/echo') return json({ detail: `bad request, you sent ${hit.headers.authorization ?? ''} and ${PAT}` }, 400);
        if (hit.path === '/v2/forbidden') return json({ detail: 'token issued from personal access token' }, 403);
        return undefined;
      },
    });
    const good = hub.client();
    const bad = hub.client({ token: 'dckr_pat_WRONG_secret_value_xyz' });
    const pw = hub.client({ token: undefined, password: PASSWORD });
    const errors: unknown[] = [];
    await good.request({ path: '/v2/data' });
    await pw.request({ path: '/v2/data' });
    hub.revoke(hub.issued[0]!);
    await good.request({ path: '/v2/data' }); // 401 → re-login
    errors.push(await good.request({ path: '/v2/echo' }).catch((e: unknown) => e));
    errors.push(await good.request({ path: '/v2/forbidden' }).catch((e: unknown) => e));
    errors.push(await bad.request({ path: '/v2/data' }).catch((e: unknown) => e));
    errors.push(await good.login().then(() => undefined));

    const secrets = [PAT, PASSWORD, 'dckr_pat_WRONG_secret_value_xyz', ...hub.issued];
    const texts = [
      hub.log(),
      ...errors.filter(Boolean).flatMap((e) => [(e as Error).message, JSON.stringify(e), inspect(e, { depth: 5 }), String((e as Error).stack)]),
    ];
    expect(hub.log()).toContain('hub request'); // debug lines were captured
    expect(texts.join('\n')).toContain('[REDACTED]');
    for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
  });
});

describe('token lifetime', () => {
  const now = Date.UTC(2025, 0, 1);
  it.each([
    ['iat+exp: lifetime from the token, immune to skew', makeJwt({ iat: 100, exp: 700 }), 600_000],
    ['exp only', makeJwt({ exp: now / 1000 + 300 }), 300_000],
    ['exp already past by our clock: assume 10 min', makeJwt({ exp: now / 1000 - 300 }), 600_000],
    ['not a JWT: 10 min', 'opaque-token', 600_000],
  ])('%s', (_name, token, ms) => {
    expect(tokenLifetimeMs(token, now)).toBe(ms);
  });
});

async function collectError(gen: AsyncGenerator<unknown>): Promise<unknown> {
  try {
    for await (const _ of gen) {
      // drain
    }
  } catch (err) {
    return err;
  }
  return undefined;
}
