// Login endpoints: POST /v2/auth/token (current), POST /v2/users/login (deprecated, still used)
// and its 2FA second step.

import { errorBody, HttpError, invalid, requireBodyObject, route, type Route, type RouteContext, type RouteResult } from '../http.js';

const BAD_CREDENTIALS = 'Incorrect authentication credentials';

function lockedOut(ctx: RouteContext, identifier: string): void {
  if (ctx.auth.isLocked(identifier)) {
    throw new HttpError(429, { detail: 'Too many failed login attempts for this username. Try again in a few minutes.', error: false });
  }
}

function strings(body: Record<string, unknown>, ...names: string[]): string[] {
  const missing = names.filter((name) => typeof body[name] !== 'string' || body[name] === '');
  if (missing.length > 0) invalid(Object.fromEntries(missing.map((name) => [name, ['This field is required.']])), 'Missing credentials');
  return names.map((name) => body[name] as string);
}

function createToken(ctx: RouteContext): RouteResult {
  const [identifier = '', secret = ''] = strings(requireBodyObject(ctx), 'identifier', 'secret');
  lockedOut(ctx, identifier);
  const token = ctx.auth.createAccessToken(identifier, secret);
  if (!token) throw new HttpError(401, errorBody('error', 401, BAD_CREDENTIALS));
  return { status: 200, body: { access_token: token } };
}

function login(ctx: RouteContext): RouteResult {
  const [username = '', password = ''] = strings(requireBodyObject(ctx), 'username', 'password');
  lockedOut(ctx, username);
  const outcome = ctx.auth.login(username, password);
  if (!outcome) throw new HttpError(401, { detail: BAD_CREDENTIALS });
  if ('twoFactorToken' in outcome) {
    throw new HttpError(401, { detail: 'Require secondary authentication on MFA enabled account', login_2fa_token: outcome.twoFactorToken });
  }
  return { status: 200, body: { token: outcome.token } };
}

function secondFactor(ctx: RouteContext): RouteResult {
  const [loginToken = '', code = ''] = strings(requireBodyObject(ctx), 'login_2fa_token', 'code');
  const token = ctx.auth.secondFactor(loginToken, code);
  if (!token) throw new HttpError(401, { detail: BAD_CREDENTIALS });
  return { status: 200, body: { token } };
}

export const authRoutes: Route[] = [
  route('POST', '/v2/auth/token', 'auth.token', createToken, 'none'),
  route('POST', '/v2/users/login', 'auth.login', login, 'none'),
  route('POST', '/v2/users/2fa-login', 'auth.2fa', secondFactor, 'none'),
];
