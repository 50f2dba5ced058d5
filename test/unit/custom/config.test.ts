import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from '../../../src/config.js';
import { loadCommandConfig } from '../../../src/commands/config-check.js';
import { jsonPathProblem } from '../../../src/custom/config.js';
import { buildRegistry, scheduleOverrides } from '../../../src/custom/registry.js';
import { planJobs } from '../../../src/scheduler/jobs.js';
import { selectEndpoints } from '../../../src/sync/runner.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-custom-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const NOW = new Date('2025-06-01T00:00:00Z');

function load(config: unknown, env: NodeJS.ProcessEnv = {}) {
  const file = path.join(dir, `c${n++}.yaml`);
  writeFileSync(file, stringify(config));
  return { file, load: () => loadCommandConfig({ env, configFile: file, now: NOW }) };
}

function problemsOf(config: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  const { file, load: run } = load(config, env);
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.replace(` in ${file}`, ''));
    throw error;
  }
  return [];
}

describe('the endpoints section of the config', () => {
  it('takes the design example as it is', () => {
    const { load: run } = load({
      endpoints: [
        {
          name: 'tag_pushes',
          path: '/v2/auditlogs/{org}',
          query: { action: 'repo.tag.push', from: '{cursor|now-7d}', to: '{now}' },
          dataPath: '$.logs[*]',
          key: ['$.timestamp', '$.name'],
          cursor: '$.timestamp',
          columns: { timestamp: 'timestamptz', actor: 'text', name: 'text' },
          schedule: '*/10 * * * *',
        },
        {
          name: 'repo_categories',
          path: '/v2/namespaces/{repositories.namespace}/repositories/{repositories.name}',
          refreshWhen: 'repositories.last_modified',
          dataPath: '$',
          key: ['$.namespace', '$.name'],
          columns: { categories: 'jsonb' },
        },
      ],
    });
    const config = run();
    expect(config.endpoints!.map((e) => [e.name, e.method, e.pagination])).toEqual([
      ['tag_pushes', 'GET', 'auto'],
      ['repo_categories', 'GET', 'auto'],
    ]);
    const registry = buildRegistry(config);
    expect(registry.slice(-2).map((e) => [e.name, e.parent, e.schedule])).toEqual([
      ['tag_pushes', undefined, '*/10 * * * *'],
      ['repo_categories', 'repositories', '0 * * * *'],
    ]);
    // serve: the chained one runs in its parent's job, right after it; --only takes both.
    const plan = planJobs(registry, scheduleOverrides(config, registry), NOW);
    expect(plan.jobOf.get('repo_categories')).toBe('repositories');
    expect(plan.jobs.find((j) => j.name === 'tag_pushes')!.schedule).toBe('*/10 * * * *');
    expect(selectEndpoints(['repo_categories', 'repositories'], false, registry).map((e) => e.name)).toEqual(['repositories', 'repo_categories']);
    expect(() => selectEndpoints(['repo_categoriez'], false, registry)).toThrow(/Unknown endpoint "repo_categoriez".*repo_categories/);
  });

  it('runs a chained endpoint without refreshWhen hourly, not with the every-minute repositories job', () => {
    const { load: run } = load({
      endpoints: [
        { name: 'every_repo', path: '/v2/namespaces/{repositories.namespace}/repositories/{repositories.name}' },
        { name: 'moved_repo', path: '/v2/namespaces/{repositories.namespace}/repositories/{repositories.name}', refreshWhen: 'repositories.last_updated' },
        { name: 'team_grants', path: '/v2/orgs/{teams.org}/groups/{teams.name}/repositories' },
      ],
    });
    const config = run();
    const registry = buildRegistry(config);
    const plan = planJobs(registry, scheduleOverrides(config, registry, NOW), NOW);
    expect(plan.problems).toEqual([]);
    // It would read every repository each minute: a job of its own, hourly.
    expect(plan.jobs.find((j) => j.name === 'every_repo')).toMatchObject({ schedule: '0 * * * *', endpoints: ['every_repo'] });
    // Only what moved: cheap each minute, right after the list.
    expect(plan.jobOf.get('moved_repo')).toBe('repositories');
    // The organization job ticks every 5 minutes (it follows the audit log): the same.
    expect(plan.jobs.find((j) => j.name === 'team_grants')).toMatchObject({ schedule: '0 * * * *', endpoints: ['team_grants'] });
    // A schedule for the parent's job that is hourly lets it follow again.
    const hourly = { ...config, schedules: { repositories: '0 * * * *' } };
    expect(planJobs(registry, scheduleOverrides(hourly, registry, NOW), NOW).jobOf.get('every_repo')).toBe('repositories');
  });

  it('lets schedules name a custom endpoint, and a chained one with its own schedule runs apart', () => {
    const { load: run } = load({
      schedules: { pushes: '*/5 * * * *' },
      endpoints: [
        { name: 'pushes', path: '/v2/auditlogs/{org}' },
        { name: 'details', path: '/v2/namespaces/{repositories.namespace}/repositories/{repositories.name}', schedule: '0 3 * * *' },
      ],
    });
    const config = run();
    const registry = buildRegistry(config);
    const plan = planJobs(registry, scheduleOverrides(config, registry), NOW);
    expect(plan.problems).toEqual([]);
    expect(plan.jobs.find((j) => j.name === 'pushes')!.schedule).toBe('*/5 * * * *');
    expect(plan.jobs.find((j) => j.name === 'details')!.schedule).toBe('0 3 * * *');
  });

  it('reports every problem at once, each naming its key', () => {
    const problems = problemsOf({
      endpoints: [
        { name: 'ok_one', path: '/v2/orgs/{org}/members', columns: { id: 'text' } },
        { name: 'ok_one', path: '/v2/orgs/{org}/groups' },
        { name: '1bad', path: 'v2/no-slash' },
        { name: 'repositories', path: '/v2/x' },
        { name: 'macros', path: '/v2/{orgg}/{now-3q}/{cursor|}', query: { since: '{now:yyy}' } },
        { name: 'fields', path: '/v2/{repositories.nme}', refreshWhen: 'teams.name', includeFromParent: ['nope'] },
        { name: 'paths', path: '/v2/x', dataPath: '$.results[', metadataPath: '$.a)', key: ['$.ok', '$["x'], cursor: '' },
        { name: 'hosts', path: 'https://api.other.example/v2/x', allowHosts: ['bad host!'] },
        { name: 'cols', path: '/v2/x', columns: { Bad: 'text', size: 'varchar', record_key: 'text', nested: { type: 'text', path: '$.a[0]' } } },
        { name: 'sched', path: '/v2/x', schedule: '61 * * * *', method: 'DELETE', body: { a: 1 } },
        { name: 'cyc_a', path: '/v2/{cyc_b.id}', columns: { id: 'text' } },
        { name: 'cyc_b', path: '/v2/{cyc_a.id}', columns: { id: 'text' } },
        { name: 'two', path: '/v2/{org}/{namespace}', headers: { Authorization: 'Bearer x' } },
        { name: 'custom_parent', path: '/v2/orgs/{ok_one.login}/x' },
        { name: 'slashes', path: '//evil.example/v2/x' },
        { name: 'typo', path: '/v2/x', datapath: '$' },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'endpoints[9].method: must be GET or POST (got "DELETE")',
        'endpoints[15].datapath: unknown setting; did you mean "endpoints[15].dataPath"?',
        'endpoints[1].name: "ok_one" is used twice (also endpoints[0])',
        'endpoints[2].name: "1bad" is not a usable name: lower-case letters, digits and _, starting with a letter, at most 48 characters (it names the view dockerhub.custom_1bad)',
        'endpoints[2].path: "v2/no-slash" must start with exactly one "/" followed by neither "/" nor "\\" (a path under the API URL, e.g. /v2/orgs/acme/members; "//host" and "/\\host" name another host); or write an http(s) URL',
        'endpoints[3].name: "repositories" is a built-in endpoint; choose another name',
        'endpoints[4].path: {orgg}: unknown macro "orgg" (known: now, now-7d, now+1h, cursor, last_run, org, namespace, <parent>.<field>)',
        'endpoints[4].path: {now-3q}: "q" is not a time unit (use m, h, d, w or mo: minute, hour, day, week, month).',
        'endpoints[4].path: {cursor|}: an empty alternative (write {cursor|now-7d})',
        `endpoints[4].query: {now:yyy}: "yyy" is not a date format (iso, unix, unixms, date, or a pattern such as yyyy-MM-dd'T'HH:mm:ss)`,
        'endpoints[6].dataPath: "$.results[" is not a JSONPath: a bracket is not closed',
        'endpoints[6].metadataPath: "$.a)" is not a JSONPath: ")" closes nothing',
        'endpoints[6].key[1]: "$["x" is not a JSONPath: a quote is not closed',
        'endpoints[6].cursor: is empty',
        'endpoints[7].allowHosts[0]: "bad host!" is not a host name (like api.example.com or api.example.com:8443)',
        'endpoints[8].columns.Bad: "Bad" is not a usable column name (lower-case letters, digits and _)',
        'endpoints[8].columns.size: "varchar" is not a column type (use text, integer, int, bigint, numeric, double, double precision, float, boolean, bool, timestamptz, timestamp, date, jsonb, json)',
        'endpoints[8].columns.record_key: "record_key" is a column every view has (record_key, slice_key, data, metadata, first_seen_at, last_seen_at, deleted_at); choose another name',
        'endpoints[8].columns.nested.path: "$.a[0]" must be a plain path of fields ($.a.b or a.b) to be a view column',
        'endpoints[9].body: a body is sent only with method: POST',
        'endpoints[9].schedule: "61 * * * *" is not a usable cron expression (Invalid value for minute: 61). Use 5 fields (e.g. "*/15 * * * *") or 6 with seconds first.',
        'endpoints[10].path: parents form a cycle: cyc_a → cyc_b → cyc_a',
        'endpoints[11].path: parents form a cycle: cyc_b → cyc_a → cyc_b',
        'endpoints[12].path: uses both {org} and {namespace}; use one (requests are made once per organization or once per namespace)',
        'endpoints[12].headers.Authorization: may not be set: the credential comes from the configured token (DOCKERHUB_TOKEN, secretEnv, secretFile), never from a header of the config file',
        'endpoints[13].path: {ok_one.login}: unknown field "login" of ok_one: a custom parent\'s fields are the columns it declares (id)',
        'endpoints[14].path: "//evil.example/v2/x" must start with exactly one "/" followed by neither "/" nor "\\" (a path under the API URL, e.g. /v2/orgs/acme/members; "//host" and "/\\host" name another host); or write an http(s) URL',
      ]),
    );
    expect(problems.some((p) => p.startsWith('endpoints[5].path: {repositories.nme}: unknown field "nme" of repositories (fields: namespace, name,'))).toBe(true);
    expect(problems).toContain('endpoints[5].refreshWhen: names teams, but the path reads repositories');
    expect(problems).toContain('endpoints[5].includeFromParent[0]: ' + problems.find((p) => p.startsWith('endpoints[5].includeFromParent[0]: '))!.slice('endpoints[5].includeFromParent[0]: '.length));
    expect(problems.some((p) => p.startsWith('endpoints[7].path: "https://api.other.example/v2/x" goes to api.other.example, not to the API (hub.docker.com)'))).toBe(true);
  });

  it('accepts a foreign host that allowHosts names, and the API host itself in an absolute URL', () => {
    expect(
      problemsOf(
        {
          endpoints: [
            { name: 'status', path: 'https://status.example.com/api/v2/summary.json', allowHosts: ['status.example.com'] },
            { name: 'own', path: 'http://127.0.0.1:9999/v2/orgs/{org}/members' },
          ],
        },
        { DOCKERHUB_API_URL: 'http://127.0.0.1:9999' },
      ),
    ).toEqual([]);
  });

  it.each([
    ['$.results[*]', undefined],
    ['results[*].name', undefined],
    ["$['odd-key'][*]", undefined],
    ['$..name', undefined],
    ['$.results[?(@.size > 1)]', undefined],
    ['$.results[', 'a bracket is not closed'],
    ['$.a]', '"]" closes nothing'],
    ['$.a.', 'is not a JSONPath'],
  ])('JSONPath %s', (path, problem) => {
    const found = jsonPathProblem(path);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe('metrics of custom endpoints', () => {
  it('count Hub requests under the custom endpoint that made them, built-in routes unchanged', async () => {
    const { createMetrics } = await import('../../../src/server/metrics.js');
    const { load: run } = load({
      endpoints: [{ name: 'repo_categories', path: '/v2/namespaces/{repositories.namespace}/repositories/{repositories.name}/categories?x=1', dataPath: '$', key: ['$.name'] }],
    });
    const metrics = createMetrics({ defaultMetrics: false, endpoints: buildRegistry(run()) });
    metrics.observeHubRequest({ method: 'GET', path: '/v2/namespaces/acme/repositories/web/categories?x=1', endpoint: 'x', status: 200, ms: 1, bytes: 0, attempt: 1 });
    metrics.observeHubRequest({ method: 'GET', path: '/v2/namespaces/acme/repositories?page_size=100', endpoint: 'x', status: 200, ms: 1, bytes: 0, attempt: 1 });
    const { body } = await metrics.render();
    expect(body).toContain('dockerhub_sync_hub_requests_total{endpoint="repo_categories",status_class="2xx"} 1');
    expect(body).toContain('dockerhub_sync_hub_requests_total{endpoint="repositories",status_class="2xx"} 1');
    expect(body).not.toContain('acme');
  });
});
