import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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
