import { describe, expect, it } from 'vitest';
import { endpoints } from '../../../src/endpoints/index.js';
import { endpointSchedules, planJobs, type ScheduledEndpoint } from '../../../src/scheduler/jobs.js';

const NOW = new Date('2025-01-15T12:00:00Z');

/** The job the organization listings share. */
const ORGANIZATION = { name: 'organization', schedule: '15 * * * *' };

/** A registry shaped like the real one: chained children after their parents, without schedules of their own. */
const REGISTRY: ScheduledEndpoint[] = [
  { name: 'repositories', schedule: '0 * * * *' },
  { name: 'repository_details', parent: 'repositories' },
  { name: 'tags', parent: 'repositories' },
  { name: 'watched_tags', schedule: '*/15 * * * *' },
  { name: 'audit_logs', schedule: '*/5 * * * *' },
  { name: 'audit_log_actions', schedule: '30 3 * * *' },
  { name: 'org_members', job: ORGANIZATION },
  { name: 'teams', job: ORGANIZATION },
  { name: 'team_members', parent: 'teams' },
  { name: 'org_settings', job: ORGANIZATION },
  { name: 'access_tokens', job: ORGANIZATION },
  { name: 'org_access_tokens', job: ORGANIZATION },
  { name: 'org_invites', job: ORGANIZATION },
];

const ORG = ['org_members', 'teams', 'team_members', 'org_settings', 'access_tokens', 'org_access_tokens', 'org_invites'];

/** job name → [schedule, endpoints]. */
type Layout = Record<string, [string, string[]]>;

const DEFAULT_LAYOUT: Layout = {
  repositories: ['0 * * * *', ['repositories', 'repository_details', 'tags']],
  watched_tags: ['*/15 * * * *', ['watched_tags']],
  audit_logs: ['*/5 * * * *', ['audit_logs']],
  audit_log_actions: ['30 3 * * *', ['audit_log_actions']],
  organization: ['15 * * * *', ORG],
};

const layoutOf = (overrides: Record<string, string>): Layout =>
  Object.fromEntries(planJobs(REGISTRY, overrides, NOW).jobs.map((job) => [job.name, [job.schedule, job.endpoints]]));

const rows: [name: string, overrides: Record<string, string>, expected: Layout][] = [
  ['defaults: chained children join their parent, org listings share one job', {}, DEFAULT_LAYOUT],
  [
    'an override on a parent moves its whole job',
    { repositories: '*/30 * * * *' },
    { ...DEFAULT_LAYOUT, repositories: ['*/30 * * * *', ['repositories', 'repository_details', 'tags']] },
  ],
  [
    'an override by job name moves a group job',
    { organization: '0 */6 * * *' },
    { ...DEFAULT_LAYOUT, organization: ['0 */6 * * *', ORG] },
  ],
  [
    'an override on a chained child splits it off',
    { tags: '0 */4 * * *' },
    {
      ...DEFAULT_LAYOUT,
      repositories: ['0 * * * *', ['repositories', 'repository_details']],
      tags: ['0 */4 * * *', ['tags']],
    },
  ],
  [
    'an override equal to the job schedule keeps the child in place',
    { repositories: '*/20 * * * *', tags: '*/20 * * * *' },
    { ...DEFAULT_LAYOUT, repositories: ['*/20 * * * *', ['repositories', 'repository_details', 'tags']] },
  ],
  [
    'an override on a group member splits it off with its chained children',
    { teams: '*/10 * * * *' },
    {
      ...DEFAULT_LAYOUT,
      organization: ['15 * * * *', ['org_members', 'org_settings', 'access_tokens', 'org_access_tokens', 'org_invites']],
      teams: ['*/10 * * * *', ['teams', 'team_members']],
    },
  ],
  [
    'a split child of a split member splits again',
    { teams: '*/10 * * * *', team_members: '0 0 * * *' },
    {
      ...DEFAULT_LAYOUT,
      organization: ['15 * * * *', ['org_members', 'org_settings', 'access_tokens', 'org_access_tokens', 'org_invites']],
      teams: ['*/10 * * * *', ['teams']],
      team_members: ['0 0 * * *', ['team_members']],
    },
  ],
  [
    'six-field expressions with seconds are accepted',
    { audit_logs: '*/2 * * * * *' },
    { ...DEFAULT_LAYOUT, audit_logs: ['*/2 * * * * *', ['audit_logs']] },
  ],
  [
    'surrounding spaces are trimmed',
    { audit_logs: '  */10 * * * *  ' },
    { ...DEFAULT_LAYOUT, audit_logs: ['*/10 * * * *', ['audit_logs']] },
  ],
];

describe('planJobs: grouping', () => {
  it.each(rows)('%s', (_name, overrides, expected) => {
    const plan = planJobs(REGISTRY, overrides, NOW);
    expect(plan.problems).toEqual([]);
    expect(layoutOf(overrides)).toEqual(expected);
  });

  it('puts every endpoint in exactly one job, parents before children', () => {
    for (const overrides of rows.map((row) => row[1])) {
      const plan = planJobs(REGISTRY, overrides, NOW);
      const all = plan.jobs.flatMap((job) => job.endpoints);
      expect([...all].sort()).toEqual(REGISTRY.map((e) => e.name).sort());
      for (const job of plan.jobs) {
        for (const name of job.endpoints) {
          expect(plan.jobOf.get(name)).toBe(job.name);
          const parent = REGISTRY.find((e) => e.name === name)?.parent;
          if (parent && job.endpoints.includes(parent)) expect(job.endpoints.indexOf(parent)).toBeLessThan(job.endpoints.indexOf(name));
        }
      }
    }
  });

  it('names where each schedule came from', () => {
    const plan = planJobs(REGISTRY, { repositories: '*/30 * * * *' }, NOW);
    const source = Object.fromEntries(plan.jobs.map((job) => [job.name, job.scheduleSource]));
    expect(source).toMatchObject({ repositories: 'schedules.repositories', organization: 'default (org_members)', audit_logs: 'default (audit_logs)' });
  });

  it('an endpoint added to the registry gets a job of its own without code changes', () => {
    const plan = planJobs([...REGISTRY, { name: 'webhooks', schedule: '*/10 * * * *' }, { name: 'webhook_deliveries', parent: 'webhooks' }], {}, NOW);
    expect(plan.jobs.find((job) => job.name === 'webhooks')).toMatchObject({ schedule: '*/10 * * * *', endpoints: ['webhooks', 'webhook_deliveries'] });
  });

  it('derives the documented defaults from the real registry', () => {
    const plan = planJobs(endpoints, {}, NOW);
    expect(plan.problems).toEqual([]);
    const layout = Object.fromEntries(plan.jobs.map((job) => [job.name, job.endpoints]));
    // The real registry also has scim_users, an organization listing like the others; the
    // user's own tokens are in no organization's audit log and have an hourly job of their own,
    // and so do the pull-usage reports with the report loads chained from them.
    const orgListings = [...ORG.filter((name) => name !== 'access_tokens'), 'scim_users'];
    const { organization: _org, ...rest } = DEFAULT_LAYOUT;
    const documented: Layout = { ...rest, organization: ['2-59/5 * * * *', orgListings], access_tokens: ['15 * * * *', ['access_tokens']], pull_usage: ['40 * * * *', ['pull_usage_reports', 'pull_usage']] };
    expect(layout).toEqual(Object.fromEntries(Object.entries(documented).map(([name, [, list]]) => [name, list])));
    const every = (job: string) => plan.jobs.find((j) => j.name === job)!.schedule;
    // every minute, every 5 minutes, daily, hourly, every 15 minutes
    expect(every('repositories')).toBe('* * * * *');
    expect(every('audit_logs')).toBe('*/5 * * * *');
    expect(every('audit_log_actions')).toMatch(/^\d+ \d+ \* \* \*$/);
    // every 5 minutes, after the audit log: a listing is read when the audit log names a change
    expect(every('organization')).toBe('2-59/5 * * * *');
    expect(every('access_tokens')).toMatch(/^\d+ \* \* \* \*$/);
    expect(every('watched_tags')).toBe('*/15 * * * *');
  });
});

const problemRows: [name: string, overrides: Record<string, string>, expected: RegExp[]][] = [
  ['an unknown key names the key and lists the valid ones', { tagz: '0 * * * *' }, [/^schedules\.tagz: there is no endpoint or job called "tagz"\. Endpoints: repositories, .*Jobs: .*organization/]],
  ['a malformed expression names the key and the expression', { audit_logs: 'every 5 minutes' }, [/^schedules\.audit_logs: "every 5 minutes" is not a usable cron expression \(/]],
  ['an out-of-range field', { repositories: '61 * * * *' }, [/^schedules\.repositories: "61 \* \* \* \*" .*minute/]],
  ['an expression that never fires', { organization: '0 0 30 2 *' }, [/^schedules\.organization: "0 0 30 2 \*" .*never fires/]],
  ['an empty expression', { tags: '' }, [/^schedules\.tags: "" is not a usable cron expression/]],
  [
    'every problem is reported at once',
    { nope: '* * * * *', tags: 'x', teams: '*/5 * * * *' },
    [/^schedules\.nope: /, /^schedules\.tags: "x"/],
  ],
];

describe('planJobs: validation', () => {
  it.each(problemRows)('%s', (_name, overrides, expected) => {
    const plan = planJobs(REGISTRY, overrides, NOW);
    expect(plan.problems).toHaveLength(expected.length);
    expected.forEach((pattern, i) => expect(plan.problems[i]).toMatch(pattern));
  });

  it('keeps the defaults for keys with problems and still applies the valid ones', () => {
    const plan = planJobs(REGISTRY, { tags: 'x', audit_logs: '*/2 * * * *' }, NOW);
    expect(plan.jobs.find((job) => job.name === 'repositories')!.endpoints).toContain('tags');
    expect(plan.jobs.find((job) => job.name === 'audit_logs')!.schedule).toBe('*/2 * * * *');
  });
});

describe('endpointSchedules', () => {
  it('gives every endpoint its job and the job’s next run', () => {
    const plan = planJobs(REGISTRY, { tags: '0 */4 * * *' }, NOW);
    const schedules = endpointSchedules(plan, NOW);
    expect(schedules.get('repository_details')).toEqual({ job: 'repositories', schedule: '0 * * * *', nextRun: new Date('2025-01-15T13:00:00Z') });
    expect(schedules.get('tags')).toEqual({ job: 'tags', schedule: '0 */4 * * *', nextRun: new Date('2025-01-15T16:00:00Z') });
    expect(schedules.get('team_members')).toEqual({ job: 'organization', schedule: '15 * * * *', nextRun: new Date('2025-01-15T12:15:00Z') });
    expect(schedules.get('audit_log_actions')!.nextRun).toEqual(new Date('2025-01-16T03:30:00Z'));
  });
});
