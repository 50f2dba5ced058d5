// Every error the Docker Hub client throws. Messages are written for the operator reading a log
// line: they name the call and what to do. They never carry a token, password or header — the
// client only passes in method, a URL without userinfo, the endpoint's human name and the
// server's `detail` text (already redacted by the client).

export interface HubErrorInfo {
  status?: number | undefined;
  endpoint?: string | undefined;
  method?: string | undefined;
  url?: string | undefined;
  detail?: string | undefined;
  cause?: unknown;
}

export class HubError extends Error {
  override name = 'HubError';
  readonly status: number | undefined;
  readonly endpoint: string | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly detail: string | undefined;

  constructor(message: string, info: HubErrorInfo = {}) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.status = info.status;
    this.endpoint = info.endpoint;
    this.method = info.method;
    this.url = info.url === undefined ? undefined : stripUserinfo(info.url);
    this.detail = info.detail;
  }

  // pino serialises errors with `err` fields; keep that output as safe as the message.
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      status: this.status,
      endpoint: this.endpoint,
      method: this.method,
      url: this.url,
      detail: this.detail,
    };
  }
}

/** A non-2xx answer with no more specific class (400, 409, 5xx after retries, …). */
export class HubHttpError extends HubError {
  override name = 'HubHttpError';
}

export type HubAuthReason =
  | 'bad_credentials'
  | 'missing_credentials'
  | 'two_factor_required'
  | 'token_rejected'
  | 'token_expired'
  | 'authentication_required'
  | 'login_paused';

/** Login failed or a bearer token was refused. A failed login is final for the client instance. */
export class HubAuthError extends HubError {
  override name = 'HubAuthError';
  readonly reason: HubAuthReason;
  constructor(message: string, reason: HubAuthReason, info: HubErrorInfo = {}) {
    super(message, info);
    this.reason = reason;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason };
  }
}

/** 403: the credential is valid but may not do this. `needs` says which credential would. */
export class HubPermissionError extends HubError {
  override name = 'HubPermissionError';
  readonly needs: string;
  readonly credential: string;
  constructor(message: string, needs: string, credential: string, info: HubErrorInfo = {}) {
    super(message, info);
    this.needs = needs;
    this.credential = credential;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), needs: this.needs, credential: this.credential };
  }
}

/** Rate limited and the wait is above the ceiling (or 429s kept coming). */
export class HubRateLimitError extends HubError {
  override name = 'HubRateLimitError';
  readonly resetAt: Date | undefined;
  readonly waitMs: number | undefined;
  constructor(message: string, resetAt: Date | undefined, waitMs: number | undefined, info: HubErrorInfo = {}) {
    super(message, info);
    this.resetAt = resetAt;
    this.waitMs = waitMs;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), resetAt: this.resetAt?.toISOString(), waitMs: this.waitMs };
  }
}

export class HubNotFoundError extends HubError {
  override name = 'HubNotFoundError';
}

/** A 2xx body that is not what the endpoint promises (not JSON, wrong envelope, failed schema). */
export class HubResponseError extends HubError {
  override name = 'HubResponseError';
  readonly issues: unknown[] | undefined;
  constructor(message: string, info: HubErrorInfo & { issues?: unknown[] } = {}) {
    super(message, info);
    this.issues = info.issues;
  }
}

/** Connection reset, timeout, DNS… after the retries ran out. */
export class HubNetworkError extends HubError {
  override name = 'HubNetworkError';
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined, info: HubErrorInfo = {}) {
    super(message, info);
    this.code = code;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), code: this.code };
  }
}

/**
 * A request refused before anything was sent: its URL would leave the API (a path naming another
 * host, a dot segment), a value cannot be one path segment, or a header breaks the header rule
 * (request-rules.ts). Nothing reached any server, so it is safe to say "not sent".
 */
export class HubRequestRefusedError extends HubError {
  override name = 'HubRequestRefusedError';
  readonly sent = false;
}

/** Pagination that would never end: a `next` seen before, or more pages than `maxPages`. */
export class HubPaginationError extends HubError {
  override name = 'HubPaginationError';
}

export function stripUserinfo(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

/** Replaces every occurrence of each secret; secrets shorter than 4 chars are ignored (too noisy). */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join('[REDACTED]');
  }
  return out;
}

/**
 * Which credential an endpoint needs, for 403 messages. Docker Hub refuses PAT-derived tokens on
 * PAT management and on most organization administration.
 */
export function permissionHint(method: string, path: string): string {
  if (path.startsWith('/v2/access-tokens')) {
    return 'a password login (a personal access token cannot list or manage personal access tokens)';
  }
  if (path.startsWith('/v2/auditlogs/')) {
    return 'an organization owner: log in with the owner\'s password, or an organization access token (OAT) with audit-log access';
  }
  if (/^\/v2\/orgs\/[^/]+\/access-tokens/.test(path)) {
    return 'an organization owner\'s password (organization access tokens are managed by owners)';
  }
  if (path.startsWith('/v2/orgs/') || path.startsWith('/v2/invites')) {
    return 'an organization owner: the owner\'s password, or an organization access token (OAT) with the needed organization scopes';
  }
  if (path.includes('/repositories')) {
    const write = method !== 'GET' && method !== 'HEAD';
    return write
      ? 'a credential with write/admin access to this repository (password, PAT with repo:admin or repo:write, or an OAT with the repository scope)'
      : 'a credential with read access to this repository (PAT with repo:read, or an OAT with the repository scope)';
  }
  return 'a credential with more permissions (a password login or an organization access token with the right scopes)';
}

/** Hub's 403 detail when an organization access token reaches a path that does not take one. */
export const OAT_NOT_ALLOWED = 'token issued from organization access token is not allowed';

const saysOatNotAllowed = (detail: string | undefined): boolean => Boolean(detail?.toLowerCase().includes(OAT_NOT_ALLOWED));

/**
 * A legacy repository path: spec c95ded2 says organization access tokens work only on
 * `/v2/namespaces/{namespace}/repositories/…` and that Hub refuses them on these, whatever the
 * token's scopes. The team grant (`…/groups`) keeps its legacy path and takes OATs.
 */
export function isOatRefusedPath(path: string): boolean {
  const bare = path.split('?')[0] ?? path;
  if (/^\/v2\/users\/[^/]+\/repositories\/?$/.test(bare)) return true;
  return bare.startsWith('/v2/repositories/') && !/^\/v2\/repositories\/[^/]+\/[^/]+\/groups\/?$/.test(bare);
}

/**
 * The message for Hub's 403 `token issued from organization access token is not allowed`: the
 * cause (an OAT on a path that refuses OATs) and what to do, or undefined for any other 403.
 */
export function oatRefusalMessage(label: string, method: string, path: string, detail: string | undefined): string | undefined {
  if (!saysOatNotAllowed(detail)) return undefined;
  const cause = isOatRefusedPath(path)
    ? `${method} ${path} is a legacy repository path, and Docker Hub accepts organization access tokens (OATs) only on /v2/namespaces/{namespace}/repositories/…, whatever the token's scopes`
    : `this endpoint does not accept organization access tokens (OATs)`;
  return (
    `Docker Hub refused ${label} with 403: ${detail}. Cause: the client is authenticated with an organization access token and ${cause}. ` +
    'What to do: serve this namespace with a password or personal access token credential (hub.credentials in the config file, ' +
    'or DOCKERHUB_USERNAME/DOCKERHUB_TOKEN), or, for a custom target or endpoint, use the /v2/namespaces/… path if Docker Hub has one.'
  );
}

/** Hub's 403 to an organization access token on a path that refuses OATs. */
export function isOatRefusal(error: unknown): error is HubPermissionError {
  return error instanceof HubPermissionError && saysOatNotAllowed(error.detail);
}

/** What `push --plan` says of a call on such a path. */
export const OAT_LEGACY_PATH_NOTE =
  `with an organization access token, Docker Hub answers 403 "${OAT_NOT_ALLOWED}" on this legacy path ` +
  '(OATs work only on /v2/namespaces/{namespace}/repositories/…); a password or personal access token for this namespace can make the call';
