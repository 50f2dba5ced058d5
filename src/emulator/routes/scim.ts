// SCIM 2.0 user provisioning (spec 2-beta, bearerSCIMAuth). Each organization has a SCIM token
// of its own (what an identity provider is given); the token decides the organization, the
// ordinary login tokens are refused. Users are the organization's members, deterministic.

import { hash32 } from '../prng.js';
import { HttpError, route, type Route, type RouteContext, type RouteResult } from '../http.js';
import type { EmulatorState } from '../state/state.js';

const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const DEFAULT_COUNT = 10;
const MAX_COUNT = 200;

const hex = (value: number) => (value >>> 0).toString(16).padStart(8, '0');

/** The SCIM bearer token of an organization, derived from the seed (obviously not a real secret). */
export function scimToken(state: EmulatorState, org: string): string {
  const key = state.world.seedKey;
  return `emulator-scim-${hex(hash32(key, 'scim', org))}${hex(hash32(key, 'scim-2', org))}`;
}

/** A v4-shaped UUID derived from the organization and the user. */
function userId(state: EmulatorState, org: string, username: string): string {
  const h = [0, 1, 2, 3].map((i) => hex(hash32(state.world.seedKey, 'scim-user', org, username, i))).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[Number.parseInt(h[16]!, 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function scimError(status: number, detail: string): never {
  throw new HttpError(status, { schemas: [ERROR], status: String(status), detail });
}

function orgOfToken(ctx: RouteContext): string {
  const header = ctx.req.headers.authorization ?? '';
  const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  if (!token) scimError(401, 'Authentication credentials were not provided.');
  const org = ctx.state.orgNames.find((name) => scimToken(ctx.state, name) === token);
  if (!org) scimError(401, 'Invalid SCIM token.');
  return org;
}

function positive(ctx: RouteContext, name: string, fallback: number, max: number): number {
  const text = ctx.query.get(name);
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) scimError(400, `${name} must be a positive integer`);
  return Math.min(value, max);
}

/** The organization's members (not pending invitees) as SCIM users, in a stable order. */
export function scimUsers(state: EmulatorState, org: string): Record<string, unknown>[] {
  return state.orgs.members(org).map((member) => {
    const [givenName = '', ...rest] = member.full_name.split(' ');
    const id = userId(state, org, member.username);
    const emails = member.email ? [{ value: member.email, display: member.email, primary: true }] : [];
    return {
      schemas: [USER],
      id,
      userName: member.email || member.username,
      name: { givenName, familyName: rest.join(' ') },
      displayName: member.username,
      active: true,
      emails,
      groups: member.groups.map((group) => ({ value: group, display: group })),
      meta: {
        resourceType: 'User',
        location: `https://hub.docker.com/v2/scim/2.0/Users/${id}`,
        created: member.date_joined,
        lastModified: member.date_joined,
      },
    };
  });
}

function listUsers(ctx: RouteContext): RouteResult {
  const org = orgOfToken(ctx);
  const startIndex = positive(ctx, 'startIndex', 1, Number.MAX_SAFE_INTEGER);
  const count = positive(ctx, 'count', DEFAULT_COUNT, MAX_COUNT);
  const all = scimUsers(ctx.state, org);
  const page = all.slice(startIndex - 1, startIndex - 1 + count);
  return {
    status: 200,
    body: { schemas: [LIST_RESPONSE], totalResults: all.length, startIndex, itemsPerPage: page.length, Resources: page },
  };
}

export const scimRoutes: Route[] = [route('GET', '/v2/scim/2.0/Users', 'scim.users.list', listUsers, 'scim')];
