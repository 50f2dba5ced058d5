/**
 * The rules every request to Docker Hub goes through, written once: the client (URL building,
 * the transport), the templates of user-defined endpoints and write-back targets, and the config
 * checks all take them from here.
 *
 * - A request URL is the configured API base plus a path that starts with exactly one "/"
 *   followed by neither "/" nor "\" (WHATWG URL parsing reads "\" as "/" and "//x" as the host
 *   x), with no "." or ".." segment in any spelling ("%2e%2e" included) and no control character.
 * - A value placed in a path is one segment: percent-encoded ("/" becomes %2F), and refused when
 *   it is empty, "." or "..", holds a control character, or has "." or ".." between slashes
 *   (a server that decodes %2F before routing would read those as steps).
 * - Header names and values are checked by one rule: Authorization, Cookie and Host are ours to
 *   set, a name is an HTTP token, a value holds no control character (no CR/LF).
 * - A credential travels only to the origin it belongs to (see transport.ts).
 *
 * Imports only the client's error classes and types, so the client library stays free of the sync's code.
 */

import { HubRequestRefusedError } from './errors.js';
import type { Query } from './types.js';

/** Header names a config file or a record may not set: the credential and the host are ours. */
export const RESERVED_HEADERS: readonly string[] = ['authorization', 'cookie', 'host'];

/** Headers that carry a credential: the transport sends them only to the origin they belong to. */
export const CREDENTIAL_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie'];

// C0 controls, DEL and C1 controls (Unicode category Cc): tab, CR and LF included.
const CONTROL = /\p{Cc}/u;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A value as it may be shown in a message: quoted, escaped, and cut short. */
export function shown(value: string, max = 60): string {
  const text = JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
  return text;
}

/** "." or ".." however spelled: `%2e`, `.%2E`, fullwidth or one-dot-leader look-alikes. */
function isDotSegment(segment: string): boolean {
  const plain = segment.replace(/%2e/gi, '.').normalize('NFKC');
  return plain === '.' || plain === '..';
}

/**
 * Why `value` cannot be one path segment, or undefined. It is percent-encoded afterwards; this
 * says what encoding cannot make safe.
 */
export function pathSegmentProblem(value: string): string | undefined {
  if (value === '') return 'is empty';
  if (CONTROL.test(value)) return 'holds a control character';
  if (isDotSegment(value)) return `is ${shown(value)}`;
  if (value.split(/[/\\]/).some((piece) => piece !== '' && isDotSegment(piece))) return `has "." or ".." between slashes (${shown(value)})`;
  return undefined;
}

/** What a message says a path segment value may not be. */
export const PATH_SEGMENT_RULE = 'a value placed in a path may not be empty, "." or "..", hold a control character, or have "." or ".." between slashes';

/** A value as one percent-encoded path segment; throws HubRequestRefusedError when it cannot be one. */
export function pathSegment(value: string, what: string): string {
  const problem = pathSegmentProblem(value);
  if (problem) throw new HubRequestRefusedError(`${what} ${problem}, which is not a usable path segment (${PATH_SEGMENT_RULE}); nothing was sent.`);
  return encodeURIComponent(value);
}

/**
 * Why `path` cannot follow the API base, or undefined. A path may carry a query string; the
 * rules on segments apply to the part before "?".
 */
export function apiPathProblem(path: string): string | undefined {
  if (CONTROL.test(path)) return 'holds a control character (URL parsing drops tabs and newlines, which changes the path)';
  const q = path.indexOf('?');
  const pathPart = q < 0 ? path : path.slice(0, q);
  if (!pathPart.startsWith('/') || pathPart[1] === '/' || pathPart[1] === '\\') {
    return 'must start with exactly one "/" followed by neither "/" nor "\\" (a path under the API URL, e.g. /v2/orgs/acme/members; "//host" and "/\\host" name another host)';
  }
  if (pathPart.includes('\\')) return 'holds a "\\", which URL parsing reads as "/"';
  if (pathPart.includes('#')) return 'holds a "#": what follows it would not be sent';
  if (pathPart.split('/').some(isDotSegment)) return 'has a "." or ".." segment (in any spelling, %2e%2e included), which would step out of the path written';
  return undefined;
}

/**
 * The one function that makes a request URL: the API base (its path prefix kept) plus a path
 * that passes apiPathProblem, plus the query. Throws HubRequestRefusedError for any other path.
 */
export function buildUrl(baseUrl: URL, path: string, query?: Query): URL {
  const problem = apiPathProblem(path);
  if (problem) throw new HubRequestRefusedError(`Refused to build a request URL from the path ${shown(path, 120)}: it ${problem}. Nothing was sent.`);
  const prefix = baseUrl.pathname.replace(/\/+$/, '');
  const url = new URL(baseUrl.origin + prefix + path);
  // Cannot happen after the checks above; kept so that no future change can make it happen quietly.
  if (url.origin !== baseUrl.origin) throw new HubRequestRefusedError(`Refused the path ${shown(path, 120)}: it leads to ${url.origin}, not to the API (${baseUrl.origin}). Nothing was sent.`);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null) continue;
    url.searchParams.set(k, String(v));
  }
  return url;
}

/** Why a header name cannot be set by a config or a record, or undefined. */
export function headerNameProblem(name: string): string | undefined {
  if (RESERVED_HEADERS.includes(name.toLowerCase())) {
    return name.toLowerCase() === 'host'
      ? 'may not be set: the host is the API URL\'s'
      : 'may not be set: the credential comes from the configured token (DOCKERHUB_TOKEN, secretEnv, secretFile), never from a header of the config file';
  }
  if (!TOKEN.test(name)) return 'is not a valid header name (letters, digits and !#$%&\'*+.^_`|~-)';
  return undefined;
}

/** Why a header value cannot be sent, or undefined. Its text is never repeated (it may be a secret). */
export function headerValueProblem(value: string): string | undefined {
  if (CONTROL.test(value)) return 'holds a control character (CR, LF, tab or another): a header value is one line of text';
  if (/[^\u0000-\u00ff]/.test(value)) return 'holds a character outside Latin-1: percent-encode it';
  return undefined;
}

/** One rule for a header a user wrote (custom endpoints, write-back jobs): the name's problem, else the value's. */
export function headerProblem(name: string, value: string): string | undefined {
  return headerNameProblem(name) ?? headerValueProblem(value);
}

/** Split headers into ordinary ones and those that carry a credential (matched without regard to case). */
export function splitCredentialHeaders(headers: Record<string, string>): { plain: Record<string, string>; credential: Record<string, string> } {
  const plain: Record<string, string> = {};
  const credential: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (CREDENTIAL_HEADERS.includes(name.toLowerCase())) credential[name.toLowerCase()] = value;
    else plain[name] = value;
  }
  return { plain, credential };
}
