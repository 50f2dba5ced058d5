import { describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { createLogger } from '../../../src/logger.js';
import type { JobSpec } from '../../../src/scheduler/jobs.js';
import { createScheduler } from '../../../src/scheduler/scheduler.js';
import { createStatusServer } from '../../../src/server/http.js';
import { createReadinessProbe } from '../../../src/server/probe.js';

// /readyz over HTTP with the real scheduler on an injected clock: a job whose last three ticks
// failed is `failing` and the service answers 503; one successful tick makes it ready again.

const database = {
  db: { execute: async () => ({ rows: [{ present: true, n: 1 }] }) },
} as unknown as Database;

describe('/readyz and a job whose ticks keep failing', () => {
  it('is 503 with the job failing after three failed ticks in a row, 200 again after a success', async () => {
    let now = new Date('2025-01-15T12:00:00Z');
    const outcomes: string[] = [];
    const job = { name: 'repositories', schedule: '*/5 * * * *', endpoints: ['repositories'] } as unknown as JobSpec;
    const logger = createLogger({ level: 'silent' });
    const scheduler = createScheduler({ jobs: [job], logger, now: () => now, runTick: async () => outcomes.shift() ?? 'succeeded' });
    const probe = createReadinessProbe({ database, scheduler, expectedMigrations: 1, shuttingDown: () => false, now: () => now });
    const server = createStatusServer({ readiness: probe, metrics: async () => ({ contentType: 'text/plain', body: '' }), statusPage: async () => '' }, logger);
    const address = await server.listen(0, '127.0.0.1');
    const readyz = async () => {
      const response = await fetch(`http://127.0.0.1:${address.port}/readyz`);
      return { status: response.status, body: (await response.json()) as { ready: boolean; problems: string[]; jobs: { status: string }[] } };
    };
    const tick = async (outcome: string) => {
      outcomes.push(outcome);
      now = new Date(now.getTime() + 5 * 60_000);
      await scheduler.runNow('repositories', now);
    };
    try {
      expect((await readyz()).status).toBe(200);
      await tick('failed');
      await tick('error');
      const two = await readyz();
      expect(two.status).toBe(200);
      expect(two.body.jobs[0]!.status).toBe('ok');

      await tick('failed');
      const three = await readyz();
      expect(three.status).toBe(503);
      expect(three.body.ready).toBe(false);
      expect(three.body.jobs[0]!.status).toBe('failing');
      expect(three.body.problems.join('\n')).toMatch(/repositories.*last 3 ticks failed/);

      // An aborted tick (shutdown) says nothing about the job: still failing.
      await tick('aborted');
      expect((await readyz()).status).toBe(503);

      await tick('succeeded');
      const recovered = await readyz();
      expect(recovered.status).toBe(200);
      expect(recovered.body.jobs[0]!.status).toBe('ok');
    } finally {
      await server.close();
      await scheduler.stop(1000);
    }
  });
});
