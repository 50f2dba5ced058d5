// Authentication like Docker Hub: secrets (password, PAT, OAT) are exchanged for a short-lived
// JWT (HS256 with a per-process key) that carries who the caller is and where the token came from.
// Where it came from matters: Hub refuses PAT-derived tokens for PAT management, and an OAT-derived
// token only reaches its own organization.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from './clock.js';
import { EMULATOR_PASSWORD } from './generator/world.js';
import type { EmulatorState } from './state/state.js';

export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; username: string; source: 'password' | 'pat'; scopes: string[]; tokenId?: string }
  | { kind: 'oat'; org: string; tokenId: string; scopes: string[] };

export type AuthFailure = { ok: false; reason: 'invalid' | 'expired' };

interface Claims {
  sub: string;
  username: string;
  iat: number;
  exp: number;
  jti: string;
  iss: string;
  source: 'pwd' | 'pat' | 'oat' | '2fa';
  source_id?: string;
  org?: string;
  scopes?: string[];
}

const b64 = (value: Buffer | string): string => Buffer.from(value).toString('base64url');

export interface AuthOptions {
  tokenTtlSeconds: number;
  /** When set, the user has 2FA: password logins on /v2/users/login need this code as a second step. */
  twoFactorCode?: string;
  /** Failed logins for one identifier before it is locked for ten minutes (0 = never). */
  lockoutAfterFailures: number;
}

const LOCKOUT_MS = 10 * 60 * 1000;

export class Authenticator {
  private readonly key = randomBytes(32);
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();

  constructor(
    private readonly state: EmulatorState,
    private readonly clock: Clock,
    readonly options: AuthOptions,
  ) {}

  private sign(claims: Omit<Claims, 'iat' | 'exp' | 'jti' | 'iss'>, ttlSeconds: number): string {
    const iat = Math.floor(this.clock.now() / 1000);
    const full: Claims = { ...claims, iat, exp: iat + ttlSeconds, jti: randomBytes(8).toString('hex'), iss: 'https://hub.docker.com' };
    const head = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64(JSON.stringify(full))}`;
    return `${head}.${b64(createHmac('sha256', this.key).update(head).digest())}`;
  }

  private verify(token: string): Claims | AuthFailure {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'invalid' };
    const [head, payload, signature] = parts as [string, string, string];
    const expected = createHmac('sha256', this.key).update(`${head}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
    let claims: Claims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    if (claims.exp * 1000 <= this.clock.now()) return { ok: false, reason: 'expired' };
    return claims;
  }

  /** `Authorization: Bearer <jwt>` (or the legacy `JWT <jwt>`) → who is calling. */
  principal(header: string | undefined): Principal | AuthFailure {
    if (header === undefined || header.trim() === '') return { kind: 'anonymous' };
    const match = /^(?:Bearer|JWT)\s+(\S+)$/i.exec(header.trim());
    if (!match?.[1]) return { ok: false, reason: 'invalid' };
    const claims = this.verify(match[1]);
    if ('ok' in claims) return claims;
    if (claims.source === '2fa') return { ok: false, reason: 'invalid' };
    if (claims.source === 'oat') {
      // A deactivated or deleted organization access token ends the sessions opened with it.
      if (!this.state.orgs.oatUsable(claims.org ?? '', claims.source_id ?? '')) return { ok: false, reason: 'invalid' };
      return { kind: 'oat', org: claims.org ?? '', tokenId: claims.source_id ?? '', scopes: claims.scopes ?? [] };
    }
    return {
      kind: 'user',
      username: claims.username,
      source: claims.source === 'pat' ? 'pat' : 'password',
      scopes: claims.scopes ?? [],
      ...(claims.source_id ? { tokenId: claims.source_id } : {}),
    };
  }

  isLocked(identifier: string): boolean {
    const entry = this.failures.get(identifier.toLowerCase());
    return entry !== undefined && entry.lockedUntil > this.clock.now();
  }

  private fail(identifier: string): void {
    if (this.options.lockoutAfterFailures <= 0) return;
    const key = identifier.toLowerCase();
    const entry = this.failures.get(key) ?? { count: 0, lockedUntil: 0 };
    entry.count++;
    if (entry.count >= this.options.lockoutAfterFailures) {
      entry.lockedUntil = this.clock.now() + LOCKOUT_MS;
      entry.count = 0;
    }
    this.failures.set(key, entry);
  }

  /** Checks identifier + secret the way /v2/auth/token does: the claims to sign, or null. */
  private credentialClaims(identifier: string, secret: string): Omit<Claims, 'iat' | 'exp' | 'jti' | 'iss'> | null {
    const id = identifier.toLowerCase();
    const { world } = this.state;
    const person = world.people.get(id);
    if (person && (id === world.user.username || id === world.member.username)) {
      if (secret === EMULATOR_PASSWORD) return { sub: person.id, username: person.username, source: 'pwd' };
      if (id === world.user.username) {
        const pat = this.state.tokens.findUsable(secret);
        if (pat) {
          this.state.tokens.touch(pat);
          return { sub: person.id, username: person.username, source: 'pat', source_id: pat.uuid, scopes: pat.scopes };
        }
      }
      return null;
    }
    if (this.state.orgs.has(id)) {
      const oat = this.state.orgs.findOat(id, secret);
      if (oat) {
        this.state.orgs.touchOat(oat);
        return { sub: oat.id.replaceAll('-', ''), username: id, source: 'oat', source_id: oat.id, org: id, scopes: oat.resources.flatMap((r) => r.scopes) };
      }
    }
    return null;
  }

  /** POST /v2/auth/token. */
  createAccessToken(identifier: string, secret: string): string | null {
    const claims = this.credentialClaims(identifier, secret);
    if (!claims) {
      this.fail(identifier);
      return null;
    }
    return this.sign(claims, this.options.tokenTtlSeconds);
  }

  /** POST /v2/users/login: like /auth/token, but a password on a 2FA account yields a second-step token instead. */
  login(username: string, password: string): { token: string } | { twoFactorToken: string } | null {
    const claims = this.credentialClaims(username, password);
    if (!claims || claims.source === 'oat') {
      this.fail(username);
      return null;
    }
    if (this.options.twoFactorCode !== undefined && claims.source === 'pwd') {
      return { twoFactorToken: this.sign({ ...claims, source: '2fa' }, 300) };
    }
    return { token: this.sign(claims, this.options.tokenTtlSeconds) };
  }

  /** POST /v2/users/2fa-login. */
  secondFactor(loginToken: string, code: string): string | null {
    const claims = this.verify(loginToken);
    if ('ok' in claims || claims.source !== '2fa' || code !== this.options.twoFactorCode) return null;
    return this.sign({ sub: claims.sub, username: claims.username, source: 'pwd' }, this.options.tokenTtlSeconds);
  }
}
