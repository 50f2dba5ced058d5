// Bearer tokens for Docker Hub. Order: a static `jwt` while it lasts; else POST /v2/auth/token
// {identifier, secret}; the deprecated POST /v2/users/login only when /v2/auth/token is missing or
// a 2FA code is configured (only the legacy flow can complete 2FA). Repeated failed logins lock a
// Hub account for about ten minutes, so a rejected login is final for this instance, and a login
// that failed for another reason (5xx, timeout) pauses every login of the process for a window.

import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { HubAuthError, HubError, HubHttpError, HubResponseError, redactSecrets } from './errors.js';

export interface HubCredentials {
  username?: string | undefined;
  token?: string | undefined;
  password?: string | undefined;
  jwt?: string | undefined;
  otp?: string | (() => string | Promise<string>) | undefined;
}

export interface AuthExchange {
  status: number;
  body: unknown;
}

/** POSTs a JSON body without authentication through the client's transport (pacing, retries). */
export type AuthPost = (path: string, body: unknown, endpoint: string) => Promise<AuthExchange>;

export interface TokenInfo {
  token: string;
  source: 'jwt' | 'login';
  obtainedAt: number;
  /** Our clock; refresh at or after this. */
  refreshAt: number;
  /** Set when a 401 came back right after a 401-triggered re-login: 401s here are not expiry. */
  rejectedAfterRefresh?: boolean;
}

const DEFAULT_LIFETIME_MS = 10 * 60_000;
/** After a login without a verdict on the credentials (5xx, timeout, reset), no login for this long. */
export const LOGIN_PAUSE_MS = 5 * 60_000;
/** Login POSTs of one attempt when Hub answers 5xx or the connection fails (then the pause). */
export const LOGIN_TRIES = 3;

/**
 * Login attempts of one process, shared by every session of a client (and so by every slice):
 * after a failure that says nothing about the credentials, later logins fail fast with the same
 * error until the pause ends, so a broken Hub costs one login POST per pause, not one per slice.
 */
export class LoginGate {
  #paused: { error: HubAuthError; until: number } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly pauseMs = LOGIN_PAUSE_MS,
  ) {}

  /** The error to fail with while logins are paused. */
  blocked(): HubAuthError | undefined {
    const paused = this.#paused;
    if (paused && this.clock.now() < paused.until) return paused.error;
    this.#paused = undefined;
    return undefined;
  }

  pause(cause: Error, logger: Logger | undefined): HubAuthError {
    const until = this.clock.now() + this.pauseMs;
    const at = new Date(until).toISOString();
    const info = cause instanceof HubError ? { status: cause.status, endpoint: 'login', method: cause.method, url: cause.url, detail: cause.detail } : { endpoint: 'login' };
    const error = new HubAuthError(
      `${cause.message.replace(/\.$/, '')}. No further Docker Hub login from this process until ${at}: repeated failed logins lock the account.`,
      'login_paused',
      info,
    );
    this.#paused = { error, until };
    logger?.error({ err: error, retryAt: at }, `hub: login failed; pausing logins until ${at}`);
    return error;
  }
}

const MAX_REFRESH_MARGIN_MS = 60_000;
const STATIC_MARGIN_MS = 10_000;

export type CredentialKind =
  | 'anonymous'
  | 'bearer token (jwt)'
  | 'password'
  | 'personal access token'
  | 'organization access token'
  | 'password or token';

export class HubAuth {
  readonly #creds: HubCredentials;
  readonly #post: AuthPost;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #onLogin: () => void;
  readonly #gate: LoginGate;
  readonly #retryDelayMs: number;
  #current: TokenInfo | undefined;
  #pending: Promise<TokenInfo> | undefined;
  #failure: HubAuthError | undefined;
  #staticJwt: string | undefined;
  #staticRejected = false;

  constructor(opts: {
    credentials: HubCredentials;
    post: AuthPost;
    clock: Clock;
    logger?: Logger | undefined;
    onLogin?: () => void;
    gate?: LoginGate;
    /** Wait before the second login try; doubled before the third. */
    retryDelayMs?: number;
  }) {
    this.#creds = opts.credentials;
    this.#retryDelayMs = opts.retryDelayMs ?? 1000;
    this.#gate = opts.gate ?? new LoginGate(opts.clock);
    this.#post = opts.post;
    this.#clock = opts.clock;
    this.#logger = opts.logger;
    this.#onLogin = opts.onLogin ?? (() => {});
    this.#staticJwt = opts.credentials.jwt;
  }

  get canLogin(): boolean {
    return Boolean(this.#creds.username && this.#secret);
  }

  /** Any credential given (complete or not): requests then carry, or fail for lack of, a token. */
  get configured(): boolean {
    return this.#staticJwt !== undefined || Boolean(this.#creds.username || this.#secret);
  }

  /** Cache-key identity: never the secret itself. */
  get identity(): string {
    if (this.#creds.username && this.#secret) return `user:${this.#creds.username}`;
    if (this.#staticJwt) return `jwt:${fingerprint(this.#staticJwt)}`;
    return 'anonymous';
  }

  get credentialKind(): CredentialKind {
    const secret = this.#secret;
    if (!secret) return this.#staticJwt ? 'bearer token (jwt)' : 'anonymous';
    if (this.#creds.token === undefined) return 'password';
    if (secret.startsWith('dckr_pat_')) return 'personal access token';
    if (secret.startsWith('dckr_oat_')) return 'organization access token';
    return 'password or token';
  }

  /** Strings that must never appear in a message or log line. */
  secrets(): string[] {
    const out = [this.#creds.token, this.#creds.password, this.#staticJwt, this.#current?.token];
    if (typeof this.#creds.otp === 'string') out.push(this.#creds.otp);
    return out.filter((s): s is string => typeof s === 'string' && s.length > 0);
  }

  /** A valid bearer token, logging in when needed; undefined when anonymous. */
  async token(): Promise<string | undefined> {
    const info = await this.tokenInfo();
    return info?.token;
  }

  async tokenInfo(): Promise<TokenInfo | undefined> {
    const now = this.#clock.now();
    if (this.#current && now < this.#current.refreshAt) return this.#current;
    if (this.#staticJwt !== undefined && !this.#staticRejected) {
      const exp = decodeJwtPayload(this.#staticJwt)?.exp;
      const expiresAt = typeof exp === 'number' ? exp * 1000 : undefined;
      // A token handed to us has an unknown issue time, so only `exp` can tell; none: use until a 401.
      if (expiresAt === undefined || now < expiresAt - STATIC_MARGIN_MS) {
        this.#current = { token: this.#staticJwt, source: 'jwt', obtainedAt: now, refreshAt: expiresAt === undefined ? Infinity : expiresAt - STATIC_MARGIN_MS };
        return this.#current;
      }
      if (!this.canLogin) {
        throw new HubAuthError(
          `The configured Docker Hub bearer token (jwt) expired at ${new Date(expiresAt).toISOString()}; supply a fresh one, or configure username and token so the client can log in.`,
          'token_expired',
        );
      }
    }
    if (this.canLogin) return this.login();
    if (this.#staticJwt !== undefined) throw this.staticRejectedError();
    if (this.#creds.username || this.#secret) {
      throw this.#fail(
        new HubAuthError(
          'Docker Hub credentials are incomplete: both a username (the organization name for an organization access token) and a token or password are needed.',
          'missing_credentials',
        ),
      );
    }
    return undefined;
  }

  /**
   * Logs in now (single flight). A rejected login is remembered and rethrown without a request;
   * any other failure pauses logins (see LoginGate) and is rethrown until the pause ends.
   */
  async login(): Promise<TokenInfo> {
    if (this.#failure) throw this.#failure;
    if (this.#pending) return this.#pending;
    const paused = this.#gate.blocked();
    if (paused) throw paused;
    this.#pending = this.#loginTries()
      .catch((error: unknown) => {
        if (error === this.#failure || isAbort(error)) throw error;
        throw this.#gate.pause(error instanceof Error ? error : new Error(String(error)), this.#logger);
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }

  /**
   * After a 401 with `token`: may the request re-authenticate and try once more? Only once per
   * token, and never with a token that was itself rejected right after a refresh — otherwise an
   * endpoint that always answers 401 would log in on every call and lock the account.
   */
  invalidateAfter401(token: string): boolean {
    const cur = this.#current;
    if (cur && cur.token !== token) return true; // another request already refreshed: use theirs
    if (token === this.#staticJwt) {
      this.#staticRejected = true;
      this.#current = undefined;
      return this.canLogin;
    }
    if (cur?.rejectedAfterRefresh || !this.canLogin) return false;
    this.#current = undefined;
    return true;
  }

  /** `token` is the current one and its lifetime is over on our clock (a 401 then means "expired"). */
  outlived(token: string): boolean {
    const cur = this.#current;
    return cur !== undefined && cur.token === token && cur.source !== 'jwt' && this.#clock.now() >= cur.refreshAt;
  }

  /** The fresh token from a 401-triggered refresh was also refused. */
  markRejectedAfterRefresh(token: string): void {
    if (this.#current?.token === token) this.#current.rejectedAfterRefresh = true;
  }

  setStaticToken(jwt: string): void {
    this.#staticJwt = jwt;
    this.#staticRejected = false;
    this.#current = undefined;
  }

  staticRejectedError(): HubAuthError {
    return new HubAuthError(
      'Docker Hub rejected the configured bearer token (jwt): it has expired or was revoked. Supply a fresh token, or configure username and token so the client can log in.',
      'token_rejected',
    );
  }

  /** A 5xx or a failed connection says nothing about the credentials: try a few times. */
  async #loginTries(): Promise<TokenInfo> {
    for (let tries = 1; ; tries++) {
      try {
        return await this.#login();
      } catch (error) {
        const status = error instanceof HubError ? error.status : undefined;
        const transient = error !== this.#failure && !isAbort(error) && (status === undefined || status >= 500);
        if (!transient || tries >= LOGIN_TRIES) throw error;
        this.#logger?.warn({ err: error, tries }, 'hub: login failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, this.#retryDelayMs * 2 ** (tries - 1)));
      }
    }
  }

  get #secret(): string | undefined {
    return this.#creds.token ?? this.#creds.password;
  }

  async #login(): Promise<TokenInfo> {
    const username = this.#creds.username ?? '';
    const secret = this.#secret ?? '';
    this.#onLogin();
    const res = await this.#post('/v2/auth/token', { identifier: username, secret }, 'create access token');
    if (res.status >= 200 && res.status < 300) return this.#accept(pickToken(res.body, 'access_token', '/v2/auth/token'), '/v2/auth/token');

    const missing = [404, 405, 501].includes(res.status);
    if (missing || (res.status === 401 && this.#creds.otp !== undefined)) {
      this.#logger?.debug({ status: res.status }, 'hub: /v2/auth/token did not log in; trying the legacy /v2/users/login');
      return this.#legacyLogin(username, secret);
    }
    throw this.#loginFailed(res, '/v2/auth/token', username);
  }

  async #legacyLogin(username: string, secret: string): Promise<TokenInfo> {
    this.#onLogin();
    const res = await this.#post('/v2/users/login', { username, password: secret }, 'login');
    if (res.status >= 200 && res.status < 300) return this.#accept(pickToken(res.body, 'token', '/v2/users/login'), '/v2/users/login');

    const twoFactorToken = field(res.body, 'login_2fa_token');
    if (res.status === 401 && twoFactorToken) {
      const otp = this.#creds.otp;
      if (otp === undefined) {
        throw this.#fail(
          new HubAuthError(
            `Docker Hub account "${username}" has two-factor authentication: configure an otp code, or better, use a personal access token (PATs skip 2FA).`,
            'two_factor_required',
            { status: 401, endpoint: 'login', method: 'POST', url: '/v2/users/login' },
          ),
        );
      }
      const code = typeof otp === 'function' ? await otp() : otp;
      this.#onLogin();
      const second = await this.#post('/v2/users/2fa-login', { login_2fa_token: twoFactorToken, code }, 'two-factor login');
      if (second.status >= 200 && second.status < 300) {
        return this.#accept(pickToken(second.body, 'token', '/v2/users/2fa-login'), '/v2/users/2fa-login');
      }
      throw this.#loginFailed(second, '/v2/users/2fa-login', username);
    }
    throw this.#loginFailed(res, '/v2/users/login', username);
  }

  #accept(token: string, via: string): TokenInfo {
    const info = this.#fromToken(token, 'login', this.#clock.now());
    this.#current = info;
    this.#logger?.info(
      { username: this.#creds.username, via, refreshAt: new Date(info.refreshAt).toISOString() },
      'hub: logged in',
    );
    return info;
  }

  #loginFailed(res: AuthExchange, path: string, username: string): Error {
    const raw = field(res.body, 'detail') ?? field(res.body, 'message');
    const detail = raw === undefined ? undefined : redactSecrets(raw, this.secrets());
    const said = detail ? `: ${detail}` : '';
    const info = { status: res.status, endpoint: 'login', method: 'POST', url: path, detail };
    if ([400, 401, 403].includes(res.status)) {
      const kind = this.credentialKind;
      const twoFactorHint =
        kind === 'password' || kind === 'password or token'
          ? ' With a password on an account that has two-factor authentication, use a personal access token instead (or set otp).'
          : '';
      return this.#fail(
        new HubAuthError(
          `Docker Hub login failed for "${username}" (${res.status} from POST ${path}${said}). Check the username (the organization name for an organization access token) and the token or password.${twoFactorHint} This client will not try again, to avoid locking the account.`,
          'bad_credentials',
          info,
        ),
      );
    }
    // Not a verdict on the credentials (5xx after retries…): a later call may log in again.
    return new HubHttpError(`Docker Hub login failed with ${res.status} from POST ${path}${said}`, info);
  }

  #fail(err: HubAuthError): HubAuthError {
    this.#failure = err;
    this.#logger?.error({ err }, 'hub: login failed; no further login attempts from this client');
    return err;
  }

  #fromToken(token: string, source: TokenInfo['source'], now: number): TokenInfo {
    const lifetime = tokenLifetimeMs(token, now);
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetime / 10);
    return { token, source, obtainedAt: now, refreshAt: now + lifetime - margin };
  }
}

/**
 * How long a token stays valid, measured on our clock. With `iat` and `exp` the difference is
 * used (immune to clock skew); with `exp` alone, exp − now; not a JWT: Hub's ~10 minutes.
 */
export function tokenLifetimeMs(token: string, now: number): number {
  const claims = decodeJwtPayload(token);
  const exp = typeof claims?.exp === 'number' ? claims.exp : undefined;
  const iat = typeof claims?.iat === 'number' ? claims.iat : undefined;
  if (exp !== undefined && iat !== undefined && exp > iat) return (exp - iat) * 1000;
  if (exp !== undefined) {
    const left = exp * 1000 - now;
    // Already "expired" by our clock without iat: skew we cannot measure; let a 401 decide.
    return left > 0 ? left : DEFAULT_LIFETIME_MS;
  }
  return DEFAULT_LIFETIME_MS;
}

export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const json: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Calls Docker Hub refuses to a session opened with a personal access token: managing personal
 * access tokens (reads included), and changes to organizations (members, invites, teams,
 * settings, organization access tokens).
 */
export function needsPasswordSession(method: string, pathname: string): boolean {
  if (/^\/v2\/access-tokens(\/|$)/.test(pathname)) return true;
  const write = !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
  return write && /^\/v2\/(orgs|invites)\//.test(pathname);
}

/** The client was closed or the pass was stopped: not a login failure. */
function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || /client (is|was) closed/.test(error.message));
}

function pickToken(body: unknown, key: string, path: string): string {
  const token = field(body, key);
  if (!token) throw new HubResponseError(`POST ${path} answered 2xx without "${key}" in the body`, { method: 'POST', url: path, endpoint: 'login' });
  return token;
}

function field(body: unknown, key: string): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const v = (body as Record<string, unknown>)[key];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

// A short non-reversible tag so two static tokens get separate cache entries.
function fingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}
