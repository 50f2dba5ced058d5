import { describe, expect, it } from 'vitest';
import { HubRequestRefusedError } from '../../../src/hub/errors.js';
import { apiPathProblem, headerProblem, pathSegment, pathSegmentProblem, splitCredentialHeaders } from '../../../src/hub/request-rules.js';

describe('a value as one path segment', () => {
  it.each([
    ['..', /is "\.\."/],
    ['.', /is "\."/],
    ['', /is empty/],
    ['%2e%2e', /is "%2e%2e"/],
    ['.%2E', /is/],
    ['\uFF0E\uFF0E', /is/],
    ['\u2024\u2024', /is/],
    ['a/../b', /between slashes/],
    ['..\\x', /between slashes/],
    ['x/.', /between slashes/],
    ['a\u0000b', /control character/],
    ['a\u0085b', /control character/],
    ['a\tb', /control character/],
  ])('refuses %j', (value, why) => {
    expect(pathSegmentProblem(value)).toMatch(why);
    expect(() => pathSegment(value, '{member}')).toThrow(HubRequestRefusedError);
  });

  it.each([
    ['a/b', 'a%2Fb'],
    ['...', '...'],
    ['.hidden', '.hidden'],
    ['a..b', 'a..b'],
    ['%2F..%2F', '%252F..%252F'],
    ['user@example.com', 'user%40example.com'],
    ['späß', 'sp%C3%A4%C3%9F'],
  ])('encodes %j as one segment', (value, encoded) => {
    expect(pathSegmentProblem(value)).toBeUndefined();
    expect(pathSegment(value, '{x}')).toBe(encoded);
  });
});

describe('a path under the API base', () => {
  it.each(['/v2/x', '/', '/v2/repositories/a.b/c..d/', '/v2/x?next=/../y', '/v2/x?a=b#c'])('accepts %j', (path) => {
    expect(apiPathProblem(path)).toBeUndefined();
  });

  it.each([
    ['', /exactly one "\/"/],
    ['v2/x', /exactly one "\/"/],
    ['//host/x', /exactly one "\/"/],
    ['/\\host/x', /exactly one "\/"/],
    ['http://host/x', /exactly one "\/"/],
    ['/v2/a\\b', /"\\"/],
    ['/v2/a#/../b', /"#"/],
    ['/v2/../x', /segment/],
    ['/v2/%2E%2e/x', /segment/],
    ['/v2/x/.', /segment/],
    ['/v2/x\ny', /control character/],
    ['/v2/x?a=\t', /control character/],
  ])('refuses %j', (path, why) => {
    expect(apiPathProblem(path)).toMatch(why);
  });
});

describe('one header rule', () => {
  it.each(['Authorization', 'AUTHORIZATION', 'cookie', 'Host', 'HoSt'])('refuses the header %s', (name) => {
    expect(headerProblem(name, 'x')).toMatch(/may not be set/);
  });

  it('refuses bad names and control characters in values, and never repeats the value', () => {
    expect(headerProblem('Bad Name', 'x')).toMatch(/not a valid header name/);
    expect(headerProblem('X-Ok', 'secret-value\r\nX-Injected: 1')).toMatch(/control character/);
    expect(headerProblem('X-Ok', 'secret-value\r\nX-Injected: 1')).not.toContain('secret-value');
    expect(headerProblem('X-Ok', 'a\u0000')).toMatch(/control character/);
    expect(headerProblem('X-Ok', '✓')).toMatch(/Latin-1/);
    expect(headerProblem('X-Ok', 'plain value; with=things')).toBeUndefined();
  });

  it('sorts credential-bearing headers out of the ordinary ones, in any case', () => {
    expect(splitCredentialHeaders({ Accept: 'a', AUTHORIZATION: 'b', Cookie: 'c', 'Proxy-Authorization': 'd' })).toEqual({
      plain: { Accept: 'a' },
      credential: { authorization: 'b', cookie: 'c', 'proxy-authorization': 'd' },
    });
  });
});
