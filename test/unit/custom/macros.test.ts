import { describe, expect, it, vi } from 'vitest';
import { formatInstant, macroProblem, macroResolver, parseMacro, renderTemplate, renderValue, shiftTime, valuesResolver } from '../../../src/templating/template.js';
import { compileCustomEndpoints, prepareRequest } from '../../../src/custom/compile.js';
import { customEndpointSchema } from '../../../src/custom/config.js';
import { endpoints } from '../../../src/endpoints/index.js';

const NOW = new Date('2025-03-31T10:20:30.456Z');

describe('time macros', () => {
  const render = (template: string, values: Record<string, unknown> = {}, extra: { timeUnit?: 'hour'; dateFormat?: string } = {}) =>
    renderTemplate(template, macroResolver({ now: NOW, values: valuesResolver(values), ...extra }));

  it.each([
    ['{now}', '2025-03-31T10:20:30.456Z'],
    ['{now-7d}', '2025-03-24T10:20:30.456Z'],
    ['{now+1h}', '2025-03-31T11:20:30.456Z'],
    ['{now-30m}', '2025-03-31T09:50:30.456Z'],
    ['{now-15min}', '2025-03-31T10:05:30.456Z'],
    ['{now-2w}', '2025-03-17T10:20:30.456Z'],
    ['{now-1mo}', '2025-02-28T10:20:30.456Z'], // 31 March − 1 month: the last day of February
    ['{now+1month}', '2025-04-30T10:20:30.456Z'],
    ['{now-1}', '2025-03-30T10:20:30.456Z'], // a bare number counts days by default
    ['{now-7d:unix}', String(Math.floor(Date.parse('2025-03-24T10:20:30.456Z') / 1000))],
    ['{now:unixms}', String(NOW.getTime())],
    ['{now:date}', '2025-03-31'],
    ["{now-1d:yyyy-MM-dd'T'HH:mm:ss'Z'}", '2025-03-30T10:20:30Z'],
    ['{now:yyyyMMdd-HHmmss.SSS}', '20250331-102030.456'],
  ])('%s → %s', (template, expected) => {
    expect(render(template)).toBe(expected);
  });

  it('counts a bare number in the endpoint time unit and applies its default format', () => {
    expect(render('{now-2}', {}, { timeUnit: 'hour' })).toBe('2025-03-31T08:20:30.456Z');
    expect(render('{now}', {}, { dateFormat: 'unix' })).toBe(String(Math.floor(NOW.getTime() / 1000)));
  });

  it('falls back from a missing cursor to the next alternative, and formats a stored timestamp', () => {
    expect(render('{cursor|now-7d}', { cursor: null })).toBe('2025-03-24T10:20:30.456Z');
    expect(render('{cursor|now-7d}', { cursor: '2025-03-30T00:00:00Z' })).toBe('2025-03-30T00:00:00Z');
    expect(render('{cursor|last_run|now-1d:unix}', { cursor: null, last_run: '2025-03-30T00:00:00.000Z' })).toBe(String(Date.parse('2025-03-30T00:00:00Z') / 1000));
    expect(render('{cursor|now:date}', { cursor: 42 })).toBe('42');
  });

  it('keeps the value type of a whole-placeholder body field', () => {
    expect(renderValue({ size: '{n}', since: 'from {now:date}' }, macroResolver({ now: NOW, values: valuesResolver({ n: 5 }) }))).toEqual({ size: 5, since: 'from 2025-03-31' });
  });

  it('uses the clock it is given: fake timers move every macro', () => {
    vi.useFakeTimers();
    try {
      vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
      expect(renderTemplate('{now-1d}', macroResolver({ now: new Date(), values: () => undefined }))).toBe('2029-12-31T00:00:00.000Z');
    } finally {
      vi.useRealTimers();
    }
  });

  it('moves months by calendar, keeping the day where it exists', () => {
    expect(shiftTime(new Date('2024-01-31T00:00:00Z'), 1, 'month').toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(shiftTime(new Date('2024-05-15T00:00:00Z'), -12, 'month').toISOString()).toBe('2023-05-15T00:00:00.000Z');
    expect(formatInstant(new Date('2024-02-29T01:02:03.004Z'), "dd/MM/yyyy 'at' HH:mm")).toBe('29/02/2024 at 01:02');
  });

  it('explains a macro that cannot work', () => {
    const known = (name: string) => (name === 'org' ? (true as const) : `unknown macro "${name}"`);
    expect(macroProblem('now-7d', known)).toBeUndefined();
    expect(macroProblem('cursor|now-7d:unix', (n) => (n === 'cursor' ? true : 'no'))).toBeUndefined();
    expect(macroProblem('now-7x', known)).toMatch(/"x" is not a time unit/);
    expect(macroProblem('now-7d:yyy', known)).toMatch(/is not a date format/);
    expect(macroProblem('orgg', known)).toMatch(/unknown macro "orgg"/);
    expect(macroProblem('org|', known)).toMatch(/empty alternative/);
    expect(parseMacro('cursor | now-7d : yyyy-MM-dd')).toEqual({ alternatives: ['cursor', 'now-7d'], format: 'yyyy-MM-dd' });
  });
});

describe('requests of a custom endpoint', () => {
  const compile = (entry: Record<string, unknown>) =>
    compileCustomEndpoints([customEndpointSchema.parse(entry)], { builtins: endpoints, apiUrl: 'https://hub.docker.com' })[0]!.custom;

  it('fills path values in as one percent-encoded segment, and the query and headers as text', () => {
    const compiled = compile({
      name: 'repo_info',
      path: '/v2/namespaces/{repositories.namespace}/repositories/{repositories.name}',
      query: { since: '{now-1h:unix}', n: 5 },
      headers: { 'x-trace': 'dhs-{repositories.name}' },
    });
    const slice = { key: 'acme/a b', params: {}, parent: { namespace: 'acme', name: 'a/b c' } };
    const { request, url } = prepareRequest(compiled, slice, { state: undefined, now: NOW, apiUrl: 'https://hub.docker.com' });
    expect(request.path).toBe('/v2/namespaces/acme/repositories/a%2Fb%20c');
    expect(request.query).toEqual({ since: String(Math.floor(NOW.getTime() / 1000) - 3600), n: 5 });
    expect(request.headers).toEqual({ 'x-trace': 'dhs-a/b c' });
    expect(url).toBe(`https://hub.docker.com/v2/namespaces/acme/repositories/a%2Fb%20c?since=${Math.floor(NOW.getTime() / 1000) - 3600}&n=5`);
  });

  it('offers the stored cursor, and an absolute URL on the API host becomes a path', () => {
    const compiled = compile({ name: 'pushes', path: 'https://hub.docker.com/v2/auditlogs/{org}', query: { from: '{cursor|now-7d}' }, cursor: '$.timestamp' });
    const first = prepareRequest(compiled, { key: 'acme', params: { org: 'acme' } }, { state: undefined, now: NOW, apiUrl: 'https://hub.docker.com' });
    expect(first.request.path).toBe('/v2/auditlogs/acme');
    expect(first.origin).toBeUndefined();
    expect(first.request.query.from).toBe('2025-03-24T10:20:30.456Z');
    const later = prepareRequest(compiled, { key: 'acme', params: { org: 'acme' } }, { state: { cursor: '2025-03-30T01:00:00Z' }, now: NOW, apiUrl: 'https://hub.docker.com' });
    expect(later.request.query.from).toBe('2025-03-30T01:00:00Z');
    expect(compiled.windowed).toBe(true);
  });

  it('refuses, before sending, a path value that cannot be one segment and a filled-in header with CR/LF', () => {
    const compiled = compile({
      name: 'repo_info',
      path: '/v2/namespaces/{repositories.namespace}/repositories/{repositories.name}/tags',
      headers: { 'x-desc': '{repositories.description}' },
    });
    const slice = (row: Record<string, unknown>) => ({ key: 'k', params: {}, parent: { namespace: 'acme', name: 'web', description: 'fine', ...row } });
    const prepare = (row: Record<string, unknown>) => () => prepareRequest(compiled, slice(row), { state: undefined, now: NOW, apiUrl: 'https://hub.docker.com' });
    expect(prepare({})().request.path).toBe('/v2/namespaces/acme/repositories/web/tags');
    for (const name of ['..', '.', '', '%2e%2e', 'a/../b', '\uFF0E\uFF0E', 'x\ty']) {
      expect(prepare({ name }), JSON.stringify(name)).toThrow(/path of endpoint repo_info: \{repositories\.name\} .*not a usable path segment/);
    }
    expect(prepare({ description: 'ok\r\nX-Injected: 1' })).toThrow(/header x-desc of endpoint repo_info: the filled-in value holds a control character/);
    expect(prepare({ description: 'ok\r\nX-Injected: 1' })).not.toThrow(/Injected/);
  });

  it('refuses an absolute URL on the API host whose path would be normalized away', () => {
    const compiled = compile({ name: 'dots', path: 'https://hub.docker.com/v2/%2e%2e/admin' });
    expect(() => prepareRequest(compiled, { key: '', params: {} }, { state: undefined, now: NOW, apiUrl: 'https://hub.docker.com' })).toThrow(/"\." or "\.\." segment/);
  });

  it('sends a request to an allowed foreign host with its own origin', () => {
    const compiled = compile({ name: 'status_page', path: 'https://status.example.com/api/v2/summary.json', allowHosts: ['status.example.com'] });
    const prepared = prepareRequest(compiled, { key: '', params: {} }, { state: undefined, now: NOW, apiUrl: 'https://hub.docker.com' });
    expect(prepared.origin).toBe('https://status.example.com');
    expect(prepared.request.path).toBe('/api/v2/summary.json');
  });
});
