import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobSpec } from '../../../src/scheduler/jobs.js';
import { createScheduler, type Scheduler, type Tick } from '../../../src/scheduler/scheduler.js';
import { tickOutcome, tickTotals } from '../../../src/scheduler/tick.js';
import type { SliceReport } from '../../../src/sync/runner.js';

const logger = pino({ level: 'silent' });
const job = (name: string, schedule = '* * * * * *'): JobSpec => ({ name, schedule, scheduleSource: 'test', endpoints: [name] });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Real croner on fake timers: time moves only when the test says so, so a busy machine cannot
// add or drop a tick. Half a second past a whole second, so every tick falls at a known time.
const START = new Date('2025-01-15T12:00:00.500Z');

describe('createScheduler (real croner, second-level schedules, fake timers)', () => {
  let scheduler: Scheduler | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ now: START });
  });
  afterEach(async () => {
    const stopping = scheduler?.stop(100);
    await vi.advanceTimersByTimeAsync(100);
    await stopping;
    scheduler = undefined;
    vi.useRealTimers();
  });

  it('warns once per overrunning tick, however many ticks it makes miss; counts every one', async () => {
    const lines: { level: number; msg: string }[] = [];
    const recording = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
    scheduler = createScheduler({ jobs: [job('first_pass')], logger: recording, runTick: () => sleep(3800).then(() => 'succeeded') });
    scheduler.start();
    // :01 runs to :04.8 and makes :02, :03 and :04 miss; :05 runs to :08.8 and makes :06-:08 miss.
    await vi.advanceTimersByTimeAsync(8_000);
    const missed = lines.filter((line) => line.msg.startsWith('tick missed'));
    expect(missed.map((line) => line.level)).toEqual([40, 20, 20, 40, 20, 20]);
    expect(scheduler.states()[0]!.missedTicks).toBe(6);
  });

  it('runs each tick in a run group named after the scheduled second, never overlapping itself', async () => {
    const ticks: Tick[] = [];
    const missed: string[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    scheduler = createScheduler({
      jobs: [job('slow')],
      logger,
      onMissedTick: (j, at) => missed.push(`${j.name}@${at.toISOString()}`),
      runTick: async (tick) => {
        ticks.push(tick);
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await sleep(1500); // longer than the 1 s period: the next tick must be skipped, not stacked
        concurrent--;
        return 'succeeded';
      },
    });
    scheduler.start();
    // Ticks at :01 (runs to :02.5), :02 missed, :03 (runs to :04.5), :04 missed.
    await vi.advanceTimersByTimeAsync(3600);
    expect(maxConcurrent).toBe(1);
    expect(ticks.map((tick) => tick.scheduledAt.toISOString())).toEqual(['2025-01-15T12:00:01.000Z', '2025-01-15T12:00:03.000Z']);
    expect(missed).toEqual(['slow@2025-01-15T12:00:02.000Z', 'slow@2025-01-15T12:00:04.000Z']);
    for (const tick of ticks) {
      expect(tick.scheduledAt.getMilliseconds()).toBe(0);
      expect(tick.runGroup).toBe(`slow@${tick.scheduledAt.toISOString().replace('.000Z', 'Z')}`);
      expect(tick.reason).toBe('schedule');
    }
    expect(scheduler.states()[0]!.missedTicks).toBe(missed.length);
    // A missed tick is named by its own time, not the running one's.
    const ran = new Set(ticks.map((tick) => `slow@${tick.scheduledAt.toISOString()}`));
    for (const name of missed) expect(ran.has(name)).toBe(false);
  });

  it('a catch-up tick blocks the scheduled one of the same job', async () => {
    const groups: string[] = [];
    let release!: () => void;
    scheduler = createScheduler({
      jobs: [job('catchup')],
      logger,
      runTick: async (tick) => {
        groups.push(`${tick.reason}:${tick.runGroup}`);
        if (tick.reason === 'catch-up') await new Promise<void>((resolve) => (release = resolve));
        return 'succeeded';
      },
    });
    scheduler.start();
    const done = scheduler.runNow('catchup', new Date('2025-01-15T12:00:00Z'));
    await vi.advanceTimersByTimeAsync(2200);
    expect(groups).toEqual(['catch-up:catchup@2025-01-15T12:00:00Z']);
    expect(scheduler.states()[0]!.running?.runGroup).toBe('catchup@2025-01-15T12:00:00Z');
    release();
    await done;
    expect(scheduler.states()[0]).toMatchObject({ running: null, lastCompleted: { outcome: 'succeeded' } });
    // The ticks at :01 and :02 came while the catch-up ran.
    expect(scheduler.states()[0]!.missedTicks).toBe(2);
  });

  it('stop aborts the running tick through its signal and waits for it', async () => {
    let sawAbort = false;
    scheduler = createScheduler({
      jobs: [job('abortable')],
      logger,
      runTick: async (_tick, signal) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        sawAbort = true;
        await sleep(100); // the current page's transaction finishing
        return 'aborted';
      },
    });
    void scheduler.runNow('abortable', new Date());
    const stopped = scheduler.stop(5000);
    await vi.advanceTimersByTimeAsync(100);
    const result = await stopped;
    expect(result).toEqual({ drained: true, stillRunning: [] });
    expect(sawAbort).toBe(true);
    expect(scheduler.states()[0]!.lastCompleted?.outcome).toBe('aborted');
    expect(scheduler.stopping).toBe(true);
  });

  it('stop gives up after the timeout and names what is still running', async () => {
    scheduler = createScheduler({ jobs: [job('stuck')], logger, runTick: () => new Promise(() => undefined) });
    void scheduler.runNow('stuck', new Date());
    const stopped = scheduler.stop(200);
    await vi.advanceTimersByTimeAsync(200);
    expect(await stopped).toEqual({ drained: false, stillRunning: ['stuck'] });
  });

  it('no tick starts after stop', async () => {
    let ran = 0;
    scheduler = createScheduler({ jobs: [job('late')], logger, runTick: async () => (ran++, 'succeeded') });
    scheduler.start();
    await scheduler.stop(100);
    await scheduler.runNow('late', new Date());
    await vi.advanceTimersByTimeAsync(1200);
    expect(ran).toBe(0);
  });

  it('a runner that throws is recorded as an error outcome', async () => {
    scheduler = createScheduler({ jobs: [job('boom')], logger, runTick: async () => Promise.reject(new Error('bug')) });
    await scheduler.runNow('boom', new Date());
    expect(scheduler.states()[0]!.lastCompleted?.outcome).toBe('error');
  });

  it('tells the next run without running anything', () => {
    scheduler = createScheduler({ jobs: [job('hourly', '0 * * * *')], logger, runTick: async () => 'succeeded' });
    expect(scheduler.nextRun('hourly')).toBeNull();
    scheduler.start();
    expect(scheduler.nextRun('hourly')!.toISOString()).toBe('2025-01-15T13:00:00.000Z');
  });
});

describe('tick totals and outcome', () => {
  const report = (status: SliceReport['status'], rows = 0): SliceReport => ({
    endpoint: 'tags', slice: 'a/b', status, requests: 2, pages: 1, inserted: rows, updated: 1, deleted: 0, invalid: 0, waitedMs: 0, durationMs: 5,
  });
  it.each([
    ['nothing to do', [], false, 'succeeded'],
    ['all succeeded', [report('succeeded', 3), report('skipped')], false, 'succeeded'],
    ['one failed', [report('succeeded'), report('failed')], false, 'failed'],
    ['one aborted', [report('succeeded'), report('aborted')], false, 'aborted'],
    ['signal aborted between slices', [report('succeeded')], true, 'aborted'],
  ] as const)('%s → %s', (_name, slices, aborted, expected) => {
    expect(tickOutcome(tickTotals(slices), aborted)).toBe(expected);
  });
  it('sums the numbers of the slices that ran', () => {
    expect(tickTotals([report('succeeded', 3), report('skipped'), report('failed')])).toMatchObject({
      slices: 3, ran: 2, skipped: 1, failed: 1, inserted: 3, updated: 3, pages: 3, requests: 6,
    });
  });
});
