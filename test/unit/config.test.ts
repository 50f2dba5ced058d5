import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCommandConfig } from '../../src/commands/config-check.js';
import { ConfigError, loadConfig, parseDuration } from '../../src/config.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies defaults with an empty environment', () => {
    const config = loadConfig({ env: {} });
    expect(config.hub.apiUrl).toBe('https://hub.docker.com');
    expect(config.dataDir).toBe('./data');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.namespaces).toEqual([]);
    expect(config.orgs).toBeUndefined();
    expect(config.port).toBe(8080);
    expect(config.sync.auditOverlap).toBe(10 * 60_000);
  });

  it('parses comma lists and durations', () => {
    const config = loadConfig({
      env: {
        DOCKERHUB_NAMESPACES: 'acme, globex ,',
        DOCKERHUB_ORGS: 'acme',
        TAG_REFRESH_INTERVAL: '6h',
        DOCKERHUB_USERNAME: 'alice',
        DOCKERHUB_TOKEN: 'dckr_pat_abc',
      },
    });
    expect(config.namespaces).toEqual(['acme', 'globex']);
    expect(config.orgs).toEqual(['acme']);
    expect(config.sync.tagRefreshInterval).toBe(6 * 3_600_000);
    expect(config.hub.username).toBe('alice');
  });

  it('lists every bad variable at once, naming each', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          DATABASE_URL: 'mysql://nope',
          DOCKERHUB_API_URL: 'not a url',
          DOCKERHUB_NAMESPACES: 'Good_Not,ok',
          LOG_LEVEL: 'loud',
          PORT: '99999',
          TAG_REFRESH_INTERVAL: 'tomorrow',
          DOCKERHUB_TOKEN: 'dckr_pat_secretvalue',
        },
      }),
    );
    const text = problems.join('\n');
    for (const name of ['DATABASE_URL', 'DOCKERHUB_API_URL', 'DOCKERHUB_NAMESPACES', 'LOG_LEVEL', 'PORT', 'TAG_REFRESH_INTERVAL', 'DOCKERHUB_USERNAME']) {
      expect(text).toContain(name);
    }
    expect(problems.length).toBeGreaterThanOrEqual(7);
    // The token itself is never echoed, even when something about it is wrong.
    expect(text).not.toContain('dckr_pat_secretvalue');
    // Values that are not secrets are shown so the user sees what was received.
    expect(text).toContain('"loud"');
  });

  it('takes a reader role name and a lease ttl, refusing names that are not plain lowercase role names', () => {
    expect(loadConfig({ env: {} }).databaseReaderRole).toBe('dockerhub_reader');
    expect(loadConfig({ env: {} }).sync.leaseTtl).toBe(90_000);
    const config = loadConfig({ env: { DATABASE_READER_ROLE: 'team_a_reader', SYNC_LEASE_TTL: '2m' } });
    expect(config.databaseReaderRole).toBe('team_a_reader');
    expect(config.sync.leaseTtl).toBe(120_000);
    for (const bad of ['Reader', 'x"; drop role postgres; --', 'pg_monitor', '9lives']) {
      expect(problemsOf(() => loadConfig({ env: { DATABASE_READER_ROLE: bad } })).join('\n'), bad).toContain('DATABASE_READER_ROLE');
    }
    expect(problemsOf(() => loadConfig({ env: { SYNC_LEASE_TTL: '1s' } })).join('\n')).toMatch(/SYNC_LEASE_TTL.*at least 3s/);
  });

  it('reads schedules from the environment as job=cron pairs', () => {
    expect(loadConfig({ env: { SCHEDULES: 'repositories=0 */2 * * *; audit_logs = */10 * * * *' } }).schedules).toEqual({
      repositories: '0 */2 * * *',
      audit_logs: '*/10 * * * *',
    });
    const problems = problemsOf(() => loadConfig({ env: { SCHEDULES: 'repositories 0 * * * *' } }));
    expect(problems[0]).toMatch(/SCHEDULES: .*not job=cron/);
  });

  it('reads a YAML file, with the environment winning', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-config-'));
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, 'namespaces: [acme]\nlogLevel: debug\nschedules:\n  audit_logs: "*/5 * * * *"\n');
    const config = loadConfig({ env: { LOG_LEVEL: 'warn' }, configFile: file });
    expect(config.namespaces).toEqual(['acme']);
    expect(config.logLevel).toBe('warn');
    expect(config.schedules).toEqual({ audit_logs: '*/5 * * * *' });
  });

  it('names the file and the key for problems inside a config file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-config-'));
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ port: 'eighty', sync: { auditWindow: '1 day' } }));
    const problems = problemsOf(() => loadConfig({ env: {}, configFile: file }));
    expect(problems.join('\n')).toMatch(/port in .*config\.json.*PORT/);
    expect(problems.join('\n')).toMatch(/sync\.auditWindow in .*config\.json/);
  });

  it('reports an unreadable or malformed file clearly', () => {
    expect(problemsOf(() => loadConfig({ env: {}, configFile: '/nonexistent/x.yaml' }))[0]).toMatch(/cannot be read/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-config-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '{nope');
    expect(problemsOf(() => loadConfig({ env: {}, configFile: file }))[0]).toMatch(/not valid JSON/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it('rejects garbage', () => expect(() => parseDuration('soon')).toThrow(/duration/));
});

describe('config traps', () => {
  const fileWith = (name: string, text: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-config-'));
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('rejects unknown keys in the file, naming each with the nearest known key, listed with the other problems', () => {
    const file = fileWith(
      'config.yaml',
      [
        'databaseURL: postgres://sync@db.example/hub',
        'hub:',
        '  apiURL: http://127.0.0.1:9',
        'sync:',
        '  auditWindw: 1d',
        'apiUrl: http://127.0.0.1:9',
        'DOCKERHUB_NAMESPACES: acme',
        'frobnicate: 1',
        'port: eighty',
      ].join('\n'),
    );
    const problems = problemsOf(() => loadConfig({ env: {}, configFile: file }));
    const text = problems.join('\n');
    expect(text).toMatch(/databaseURL in .*config\.yaml: unknown setting; did you mean "databaseUrl"/);
    expect(text).toMatch(/hub\.apiURL in .*: unknown setting; did you mean "hub\.apiUrl"/);
    expect(text).toMatch(/sync\.auditWindw in .*: unknown setting; did you mean "sync\.auditWindow"/);
    expect(text).toMatch(/^apiUrl in .*: unknown setting; did you mean "hub\.apiUrl"/m);
    expect(text).toMatch(/DOCKERHUB_NAMESPACES in .*: unknown setting; did you mean "namespaces"/);
    expect(text).toMatch(/frobnicate in .*: unknown setting \(known: .*databaseUrl.*\)/);
    // Reported together with the ordinary problems, and the URL (which may hold a password) is not echoed.
    expect(text).toMatch(/port in .*config\.yaml/);
    expect(text).not.toContain('db.example');
    expect(problems).toHaveLength(7);
  });

  it('finds unknown keys in every object of the schema, including sections added later', async () => {
    const { z } = await import('zod');
    const { unknownKeys } = await import('../../src/config.js');
    const schema = z.object({
      known: z.string().optional(),
      nested: z.object({ inner: z.number().optional() }).prefault({}),
      list: z.array(z.object({ name: z.string(), query: z.record(z.string(), z.string()) })).optional(),
      open: z.looseObject({ a: z.string() }).optional(),
      either: z.union([z.string(), z.object({ method: z.string(), path: z.string() })]).optional(),
    });
    const found = unknownKeys(schema, {
      known: 'x',
      nested: { inner: 1, innr: 2 },
      list: [{ name: 'a', query: { free: 'keys' } }, { name: 'b', nmae: 'c', query: {} }],
      open: { a: 'x', anything: 'goes' },
      either: { method: 'GET', pth: '/x' },
      extra: true,
    });
    expect(found.map((f) => [f.path.join('.'), f.suggestion])).toEqual([
      ['nested.innr', 'nested.inner'],
      ['list.1.nmae', 'list.1.name'],
      ['either.pth', 'either.path'],
      ['extra', undefined],
    ]);
  });

  it('lists the problems found against the endpoint registry with the others; loadConfig alone needs no registry', () => {
    const env = { PORT: 'eighty', SCHEDULES: 'audit_log=*/5 * * * *' };
    const problems = problemsOf(() => loadCommandConfig({ env }));
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/SCHEDULES \(audit_log\): there is no endpoint or job called "audit_log"\..* Did you mean "audit_logs"\?/);
    expect(problems.join('\n')).toMatch(/PORT: /);
    // The library's loadConfig knows no endpoint: it checks the settings themselves.
    expect(problemsOf(() => loadConfig({ env }))).toEqual([problems.find((p) => p.startsWith('PORT'))]);
  });

  it('checks schedules when loading: cron syntax, 7 fields, and keys that name no endpoint or job', () => {
    const problems = problemsOf(() =>
      loadCommandConfig({
        env: { SCHEDULES: 'audit_logs=0 0 * * * * 2030; __proto__=*/5 * * * *; audit_log=*/5 * * * *; repositories=61 * * * *' },
      }),
    );
    const text = problems.join('\n');
    expect(text).toMatch(/SCHEDULES.*audit_logs.*7 fields/);
    expect(text).toMatch(/SCHEDULES.*__proto__.*no endpoint or job/);
    expect(text).toMatch(/SCHEDULES.*audit_log\b.*no endpoint or job/);
    expect(text).toMatch(/SCHEDULES.*repositories.*61 \* \* \* \*/);
    expect(problems).toHaveLength(4);

    const file = fileWith('config.json', '{"schedules": {"__proto__": "* * * * *", "organization": "0 0 * * * * *"}}');
    const fromFile = problemsOf(() => loadCommandConfig({ env: {}, configFile: file })).join('\n');
    expect(fromFile).toMatch(/schedules\.__proto__ in .*config\.json.*no endpoint or job/);
    expect(fromFile).toMatch(/schedules\.organization in .*config\.json.*7 fields/);
  });

  it('reports an empty schedule once', () => {
    const problems = problemsOf(() => loadCommandConfig({ env: { SCHEDULES: 'audit_logs=' } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/SCHEDULES/);
  });

  it('refuses an audit window of zero', () => {
    expect(problemsOf(() => loadConfig({ env: { AUDIT_WINDOW: '0s' } })).join('\n')).toMatch(/AUDIT_WINDOW: must be longer than 0/);
    expect(loadConfig({ env: { AUDIT_WINDOW: '1h' } }).sync.auditWindow).toBe(3_600_000);
  });
});
