import { describe, expect, it } from 'vitest';
import { decideReadiness, type JobHealthInput, type ReadinessInput } from '../../../src/scheduler/readiness.js';

const NOW = new Date('2025-01-15T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const MIN = 60_000;
const HOUR = 60 * MIN;

const job = (overrides: Partial<JobHealthInput> = {}): JobHealthInput => ({
  name: 'repositories',
  schedule: '0 * * * *',
  intervalMs: HOUR,
  lastCompletedAt: ago(10 * MIN),
  runningSince: null,
  ...overrides,
});

const input = (overrides: Partial<ReadinessInput> = {}): ReadinessInput => ({
  now: NOW,
  startedAt: ago(3 * HOUR),
  graceMs: MIN,
  shuttingDown: false,
  database: { ok: true },
  migrations: { applied: 4, expected: 4 },
  jobs: [job()],
  ...overrides,
});

type Row = [name: string, input: ReadinessInput, ready: boolean, problems: RegExp[], statuses?: string[]];

const rows: Row[] = [
  ['all well', input(), true, [], ['ok']],
  ['database unreachable', input({ database: { ok: false, error: 'connect ECONNREFUSED 127.0.0.1:5432' }, migrations: null }), false, [/^database unreachable: connect ECONNREFUSED/]],
  ['migrations pending', input({ migrations: { applied: 2, expected: 4 } }), false, [/2 of 4 migrations applied .*dockerhub-sync migrate/]],
  ['schema newer than the build', input({ migrations: { applied: 5, expected: 4 } }), false, [/newer than this version/]],
  ['shutting down', input({ shuttingDown: true }), false, [/^shutting down$/]],
  ['a tick just inside 2× interval + grace', input({ jobs: [job({ lastCompletedAt: ago(2 * HOUR + MIN - 1) })] }), true, [], ['ok']],
  [
    'a tick older than 2× interval + grace',
    input({ jobs: [job({ lastCompletedAt: ago(2 * HOUR + MIN + 1) })] }),
    false,
    [/^job repositories \(0 \* \* \* \*\) last finished a tick 2h ago; it may go at most 2h$/],
    ['stale'],
  ],
  ['a stale-looking job that is running right now', input({ jobs: [job({ lastCompletedAt: ago(10 * HOUR), runningSince: ago(9 * HOUR) })] }), true, [], ['running']],
  ['never ran, started recently: pending', input({ startedAt: ago(5 * MIN), jobs: [job({ lastCompletedAt: null })] }), true, [], ['pending']],
  [
    'never ran since a start long ago',
    input({ startedAt: ago(3 * HOUR), jobs: [job({ lastCompletedAt: null })] }),
    false,
    [/^job repositories .* has not finished a tick in the 3h since start/],
    ['stale'],
  ],
  [
    'a daily job is judged by its own interval',
    input({ jobs: [job({ name: 'audit_log_actions', schedule: '30 3 * * *', intervalMs: 24 * HOUR, lastCompletedAt: ago(30 * HOUR) })] }),
    true,
    [],
    ['ok'],
  ],
  [
    'only the stale job is named',
    input({
      jobs: [
        job(),
        job({ name: 'audit_logs', schedule: '*/5 * * * *', intervalMs: 5 * MIN, lastCompletedAt: ago(20 * MIN) }),
      ],
    }),
    false,
    [/^job audit_logs .* 20m ago; it may go at most 11m$/],
    ['ok', 'stale'],
  ],
  ['a schedule that no longer fires is never stale', input({ jobs: [job({ intervalMs: null, lastCompletedAt: null })] }), true, [], ['pending']],
  [
    'several problems at once',
    input({ database: { ok: false, error: 'timeout' }, migrations: null, shuttingDown: true }),
    false,
    [/^shutting down$/, /^database unreachable: timeout$/],
  ],
  ['a failed last tick does not make the service unready (metrics show it)', input({ jobs: [job({ lastOutcome: 'failed' })] }), true, [], ['ok']],
  [
    'a long tick that keeps finishing pages is running',
    input({ stallLimitMs: 30 * MIN, jobs: [job({ runningSince: ago(2 * HOUR), lastProgressAt: ago(5 * MIN) })] }),
    true,
    [],
    ['running'],
  ],
  [
    'a running tick with no page for longer than the stall limit',
    input({ stallLimitMs: 30 * MIN, jobs: [job({ runningSince: ago(2 * HOUR), lastProgressAt: ago(45 * MIN) })] }),
    false,
    [/^job repositories \(0 \* \* \* \*\) is running but finished no page for 45m; it may go at most 30m without one \(READYZ_STALL_LIMIT\)$/],
    ['stalled'],
  ],
  [
    'a running tick that never finished a page is measured from its start',
    input({ stallLimitMs: 30 * MIN, jobs: [job({ runningSince: ago(40 * MIN) })] }),
    false,
    [/finished no page for 40m/],
    ['stalled'],
  ],
  [
    'a page from an earlier tick does not count against the current one',
    input({ stallLimitMs: 30 * MIN, jobs: [job({ runningSince: ago(20 * MIN), lastProgressAt: ago(2 * HOUR) })] }),
    true,
    [],
    ['running'],
  ],
  [
    'a stalled tick of a schedule that no longer fires is still stalled',
    input({ stallLimitMs: 30 * MIN, jobs: [job({ intervalMs: null, runningSince: ago(HOUR) })] }),
    false,
    [/finished no page for 60m/],
    ['stalled'],
  ],
];

describe('decideReadiness', () => {
  it.each(rows)('%s', (_name, given, ready, problems, statuses) => {
    const report = decideReadiness(given);
    expect(report.ready).toBe(ready);
    expect(report.problems).toHaveLength(problems.length);
    problems.forEach((pattern, i) => expect(report.problems[i]).toMatch(pattern));
    if (statuses) expect(report.jobs.map((j) => j.status)).toEqual(statuses);
  });

  it('reports the last page of a running tick', () => {
    const report = decideReadiness(input({ stallLimitMs: 30 * MIN, jobs: [job({ runningSince: ago(HOUR), lastProgressAt: ago(MIN) })] }));
    expect(report.jobs[0]).toMatchObject({ status: 'running', lastProgressAt: ago(MIN).toISOString() });
  });

  it('reports when each job would turn stale', () => {
    const report = decideReadiness(input());
    expect(report.jobs[0]).toMatchObject({
      name: 'repositories',
      lastCompletedAt: ago(10 * MIN).toISOString(),
      staleAfter: new Date(ago(10 * MIN).getTime() + 2 * HOUR + MIN).toISOString(),
    });
  });
});
