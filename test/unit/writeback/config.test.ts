import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { resolveJob } from '../../../src/writeback/job.js';

function problemsOf(yaml: string): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-wb-config-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, yaml);
  try {
    loadConfig({ env: {}, configFile: file });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((p) => p.replace(` in ${file}`, ''));
  }
  throw new Error('expected a ConfigError');
}

describe('writeback config', () => {
  it('takes the jobs of the design, with defaults from the template', () => {
    const config = loadConfig({
      env: {},
      overrides: {
        writeback: [
          { name: 'invite_contractors', source: 'select email as invitee, team, role from staging.contractors', target: 'org_invites.bulk', key: ['invitee'], batch: { size: 50, groupBy: ['team', 'role'] }, schedule: '0 * * * *' },
          { name: 'add_team_members', source: 'staging.team_adds', target: { method: 'POST', path: '/v2/orgs/acme/groups/{team}/members' }, exclude: ['team'], key: ['team', 'member'] },
        ],
      },
    });
    const [invite, adds] = config.writeback.map(resolveJob);
    expect(invite).toMatchObject({ action: 'org_invites.bulk', mode: 'upsert', key: ['invitee'], batch: { size: 50, groupBy: ['org', 'team', 'role'] }, schedule: '0 * * * *' });
    expect(adds).toMatchObject({ action: 'POST /v2/orgs/acme/groups/{team}/members', key: ['team', 'member'], custom: { idempotent: false, exclude: ['team'] } });
    expect(resolveJob({ ...config.writeback[0]!, key: undefined }).key).toEqual(['org', 'invitee']);
  });

  it('refuses target paths that would leave the API or step out of the path written, with every problem at once', () => {
    const job = (i: number, path: string) => `  - name: j${i}\n    source: staging.x\n    key: [name]\n    target: { method: POST, path: '${path}' }\n`;
    const paths = ['http://other.example/v2/x', '//other.example/v2/x', '/\\other.example/v2/x', '/v2/%2e%2e/x', '/v2/orgs/{org}/../x', 'v2/orgs/{org}', '{base}/v2/x', '/v2/a\\b'];
    const text = problemsOf(`writeback:\n${paths.map((p, i) => job(i, p)).join('')}`).join('\n');
    paths.forEach((_, i) => expect(text).toContain(`writeback[${i}].target.path:`));
    expect(text).toMatch(/must start with exactly one "\/" followed by neither "\/" nor "\\"/);
    // A path with placeholders and a query is fine.
    expect(() => loadConfig({ env: {}, overrides: { writeback: [{ name: 'ok', source: 'staging.x', key: ['name'], target: { method: 'DELETE', path: '/v2/orgs/{org}/groups/{team}/members/{member}?force={f}' } }] } })).not.toThrow();
  });

  it('reports every problem at once, each naming its key as writeback[i]…', () => {
    const problems = problemsOf(`
writeback:
  - name: invites
    source: staging.people
    target: org_invites.bulk
    batch: { size: 0, groupBy: [team] }
    batchh: 3
  - name: invites
    source: staging.people
    target: team_members.ad
  - name: grants
    source: staging.grants
    target: repositories.team_access
    mode: mirror
    batch: { size: 10 }
    exclude: [x]
  - name: custom
    source: staging.x
    target: { method: GET, path: "/v2/orgs/acme/groups/{team}/members" }
    batch: { size: 5 }
    schedule: "every minute"
`);
    const text = problems.join('\n');
    expect(text).toContain('writeback[0].batch.size: must be at least 1');
    expect(text).toContain('writeback[0].batchh: unknown setting; did you mean "writeback.0.batch"?'.replace('writeback.0.batch', 'writeback[0].batch'));
    expect(text).toContain('writeback[1].name: "invites" is also the name of writeback[0]');
    expect(text).toContain('writeback[1].target: "team_members.ad" is not a built-in template; did you mean "team_members.add"?');
    expect(text).toContain('writeback[2].mode: mirror undoes records that left the source, and repositories.team_access has no inverse');
    expect(text).toContain('writeback[2].batch: repositories.team_access takes one record per call');
    expect(text).toContain('writeback[2].exclude: the template repositories.team_access takes only the columns it needs');
    expect(text).toContain('writeback[3].target.method: must be POST, PUT, PATCH or DELETE');
    expect(text).toContain('writeback[3].key: is required with a custom target');
    expect(text).toContain('writeback[3].target.path: {team} can differ between the records of one batch; add team to batch.groupBy');
    expect(text).toContain('writeback[3].schedule: "every minute" is not a usable cron expression');
  });
});
