import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/cli.js';
import { startTestEmulator, type RunningEmulator } from '../support/emulator.js';
import { fakeToken } from '../support/seed.js';

/**
 * `doctor` against the emulator over HTTP, through the real CLI: what each credential can read,
 * the scope a refusal lacks, the silent public-only repository list of an OAT, --json, the exit
 * code, one request per endpoint and namespace, and no database at all.
 */

interface Row {
  credential: string;
  kind: string;
  scope: string;
  endpoint: string;
  result: string;
  missing?: string;
  detail?: string;
  url?: string;
  fails: boolean;
}
interface Report {
  ok: boolean;
  requests: number;
  logins: number;
  rows: Row[];
  warnings: { credential: string; scope: string; endpoint: string; message: string }[];
}

// A database that cannot be reached: doctor must not need it.
const NO_DATABASE = 'postgres://doctor@127.0.0.1:1/none';

describe('doctor', () => {
  let emulator: RunningEmulator;
  let dir: string;
  let narrowOat: string;
  let org: string;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-doctor-'));
    org = emulator.credentials.oat[0]!.org;
    // An OAT of the organization that may read members and pull, but not list private
    // repositories (scope-repository-list) nor read the activity log (scope-activity-read).
    const login = await fetch(`${emulator.url}/v2/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identifier: emulator.credentials.username, secret: emulator.credentials.password }),
    });
    const { access_token: owner } = (await login.json()) as { access_token: string };
    const created = await fetch(`${emulator.url}/v2/orgs/${org}/access-tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner}` },
      body: JSON.stringify({
        label: 'doctor-narrow',
        resources: [
          { type: 'TYPE_ORG', path: org, scopes: ['scope-member-read', 'scope-group-read'] },
          { type: 'TYPE_REPO', path: `${org}/*`, scopes: ['scope-image-pull'] },
        ],
      }),
    });
    narrowOat = ((await created.json()) as { token: string }).token;
  });
  afterAll(async () => {
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string>) =>
    baseEnv({ LOG_LEVEL: 'warn', DOCKERHUB_API_URL: emulator.url, DATABASE_URL: NO_DATABASE, DATA_DIR: path.join(dir, 'data'), ...extra });

  /** Requests per route, logins left out. */
  const hubReads = () => Object.entries(emulator.requests.counts).filter(([route]) => route !== 'auth.token');

  it('an owner with a password reads every configured endpoint: exit 0, one request per endpoint and namespace, nothing opened', async () => {
    const user = emulator.credentials.username;
    emulator.requests.reset();
    const result = await runCli(['doctor', '--json'], {
      env: env({ DOCKERHUB_USERNAME: user, DOCKERHUB_PASSWORD: emulator.credentials.password, DOCKERHUB_NAMESPACES: `${user},${org}` }),
    });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.ok).toBe(true);
    expect(report.warnings).toEqual([]);
    const byEndpoint = (name: string) => report.rows.filter((r) => r.endpoint === name).map((r) => r.scope).sort();
    expect(byEndpoint('repositories')).toEqual([user, org].sort());
    expect(byEndpoint('tags')).toEqual([user, org].sort());
    expect(byEndpoint('audit_logs')).toEqual([org]);
    expect(byEndpoint('access_tokens')).toEqual([user]);
    // The Enterprise Data API takes no password: the reports are not configured for the
    // organization, said once, untested, no request, no failure; pull_usage is not tried at all.
    expect(report.rows.filter((r) => r.endpoint.startsWith('pull_usage'))).toEqual([
      expect.objectContaining({ scope: org, endpoint: 'pull_usage_reports', result: 'untested', fails: false, detail: expect.stringMatching(/^not configured: .*organization access token with Report Read/) }),
    ]);
    const tried = report.rows.filter((r) => r.endpoint !== 'pull_usage_reports');
    for (const row of tried) {
      expect(row, JSON.stringify(row)).toMatchObject({ credential: user, result: 'ok', fails: false });
      expect(Object.keys(row)).not.toContain('missing');
    }
    // One request per row tried; the organization check of the user namespace (404: not an
    // organization) is the only other, and the organization's own is the member probe's.
    const reads = hubReads();
    expect(reads.reduce((sum, [, n]) => sum + n, 0)).toBe(tried.length + 1);
    expect(emulator.requests.get('members.list')).toBe(2);
    for (const [route, n] of reads) if (route !== 'members.list') expect(n, route).toBeLessThanOrEqual(2);
    expect(emulator.requests.get('tags.list')).toBe(2);
    expect(emulator.requests.writes).toEqual([]);
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
  });

  it('an OAT without scopes: 403 naming scope-activity-read, the silent public-only list warned about, exit 1, the secret never printed', async () => {
    emulator.requests.reset();
    const result = await runCli(['doctor'], { env: env({ DOCKERHUB_USERNAME: org, DOCKERHUB_TOKEN: narrowOat, DOCKERHUB_NAMESPACES: org }) });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^credential\s+namespace\s+endpoint\s+result\s+missing\s+detail/);
    expect(result.stdout).toMatch(new RegExp(`${org}\\s+${org}\\s+audit_logs\\s+403\\s+scope-activity-read`));
    expect(result.stdout).toMatch(new RegExp(`${org}\\s+${org}\\s+org_members\\s+ok`));
    expect(result.stdout).toContain('Warnings:');
    expect(result.stdout).toMatch(/sees no private repositories of .*give the token scope-repository-list/);
    expect(`${result.stdout}${result.stderr}`).not.toContain(narrowOat);

    emulator.requests.reset();
    const json = await runCli(['doctor', '--json'], { env: env({ DOCKERHUB_USERNAME: org, DOCKERHUB_TOKEN: narrowOat, DOCKERHUB_NAMESPACES: org }) });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.ok).toBe(false);
    expect(report.rows.find((r) => r.endpoint === 'audit_logs')).toMatchObject({ credential: org, kind: 'oat', scope: org, result: '403', missing: 'scope-activity-read' });
    expect(report.rows.find((r) => r.endpoint === 'audit_log_actions')).toMatchObject({ result: '403', missing: 'scope-activity-read' });
    expect(report.rows.find((r) => r.endpoint === 'repositories')).toMatchObject({ result: 'ok' });
    expect(report.warnings).toEqual([{ credential: org, scope: org, endpoint: 'repositories', message: expect.stringContaining('scope-repository-list') }]);
    // One request per endpoint; the repository list twice: with the token, and the same page
    // without any credential (the public view the warning compares with).
    for (const [route, n] of hubReads()) expect(n, route).toBe(route === 'repositories.list' ? 2 : 1);
    expect(emulator.requests.get('auth.token')).toBe(1);
    expect(emulator.requests.writes).toEqual([]);
  });

  it('the organization OAT with its scopes: no warning, exit 0; the pull-usage reports read on the Data API, one request each, nothing downloaded', async () => {
    emulator.requests.reset();
    const downloads = emulator.storage.downloads.length;
    const result = await runCli(['doctor', '--json'], {
      env: env({ DOCKERHUB_USERNAME: org, DOCKERHUB_TOKEN: emulator.credentials.oat[0]!.token, DOCKERHUB_NAMESPACES: org }),
    });
    const report = JSON.parse(result.stdout) as Report;
    expect(report.rows.filter((r) => r.result !== 'ok')).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(result.code).toBe(0);
    expect(report.rows.find((r) => r.endpoint === 'pull_usage_reports')).toMatchObject({ scope: org, result: 'ok', detail: '1 item(s) read', url: expect.stringContaining(`/enterprise-data/v1/orgs/${org}/reports/usage_pulls/daily?page_size=1`) });
    expect(report.rows.find((r) => r.endpoint === 'pull_usage')).toMatchObject({ scope: org, result: 'ok', url: expect.stringMatching(new RegExp(`/enterprise-data/v1/orgs/${org}/reports/usage_pulls/daily/\\d{4}-\\d{2}-\\d{2}/schema$`)) });
    expect([emulator.requests.get('data.reports'), emulator.requests.get('data.schema'), emulator.requests.get('data.download')]).toEqual([1, 1, 0]);
    expect(emulator.storage.downloads.length).toBe(downloads);
  });

  it('an organization without Docker Enterprise: the reports are plan-limited, which the sync skips: exit 0', async () => {
    emulator.state.usage.withoutEnterprise.add(org);
    try {
      const token = emulator.credentials.oat[0]!.token;
      const result = await runCli(['doctor'], { env: env({ DOCKERHUB_USERNAME: org, DOCKERHUB_TOKEN: token, DOCKERHUB_NAMESPACES: org }) });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`${org}\\s+${org}\\s+pull_usage_reports\\s+plan-limited\\s+Docker Enterprise\\s+403 permission denied: .*without scope-report-read; the sync skips it`));
      expect(result.stdout).toMatch(new RegExp(`${org}\\s+${org}\\s+pull_usage\\s+untested`));
      expect(result.stdout).toMatch(/, 0 cannot be read;/);
      expect(result.stdout).not.toContain(token);
      const json = await runCli(['doctor', '--json'], { env: env({ DOCKERHUB_USERNAME: org, DOCKERHUB_TOKEN: token, DOCKERHUB_NAMESPACES: org }) });
      const report = JSON.parse(json.stdout) as Report;
      expect(report.ok).toBe(true);
      expect(report.rows.find((r) => r.endpoint === 'pull_usage_reports')).toMatchObject({ kind: 'oat', result: 'plan-limited', missing: 'Docker Enterprise', fails: false });
    } finally {
      emulator.state.usage.withoutEnterprise.delete(org);
    }
  });

  it('a credential per organization: each row names its credential; a refused login is 401', async () => {
    const [first, second] = emulator.credentials.oat;
    const configFile = path.join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      ['hub:', '  credentials:', `    - { username: ${first!.org}, kind: oat, secretEnv: FIRST_OAT }`, `    - { username: ${second!.org}, kind: oat, secretEnv: SECOND_OAT }`, ''].join('\n'),
    );
    const wrong = fakeToken('oat', 2);
    const result = await runCli(['doctor', '--json', '-c', configFile], { env: env({ FIRST_OAT: first!.token, SECOND_OAT: wrong }) });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    const secondRows = report.rows.filter((r) => r.credential === second!.org);
    expect(secondRows.length).toBeGreaterThan(0);
    expect(secondRows.every((r) => r.result === '401' || r.result === 'untested')).toBe(true);
    expect(report.rows.filter((r) => r.credential === first!.org).every((r) => r.result === 'ok')).toBe(true);
    expect(result.stdout).not.toContain(wrong);
    // A refused login is never retried: one attempt for the wrong token.
    expect(report.logins).toBeLessThanOrEqual(2);
  });
});
