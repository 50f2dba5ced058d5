import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { runCli } from '../support/cli.js';
import type { TestDatabase } from '../support/db.js';
import { syncEnv, type RunningEmulator, withEmulatorAndDatabase } from '../support/emulator.js';

async function query<T = Record<string, unknown>>(target: TestDatabase, text: string): Promise<T[]> {
  const database = await target.open();
  try {
    return rowsOf<T>(await database.db.execute(sql.raw(text)));
  } finally {
    await database.close();
  }
}

describe('audit-log backfill from far back', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  withEmulatorAndDatabase((started) => ({ emulator, target } = started));

  it('--backfill --from 0001-01-01 costs a few dozen requests per account and reads every event exactly once', async () => {
    const snapshot = emulator.snapshot({ tags: false });
    const accounts = Object.keys(snapshot.auditLogs).length;
    const allEvents = Object.values(snapshot.auditLogs).flat();
    const env = syncEnv(emulator, target.env, { AUDIT_WINDOW: '7d' });

    emulator.requests.reset();
    // One request per 7-day window would be 105,000 per account; give up long before that.
    const backfill = await runCli(['sync', '--backfill', '--from', '0001-01-01'], { env, timeoutMs: 240_000 });
    const requests = emulator.requests.get('auditlogs.list');
    expect(backfill.code, `exit ${backfill.code} after ${requests} audit-log requests\n${backfill.stderr}`).toBe(0);
    expect(requests, `${requests} audit-log requests for ${accounts} accounts`).toBeLessThanOrEqual(80 * accounts);

    const counts = await query<{ n: number; distinct: number }>(target, 'SELECT count(*)::int AS n, count(DISTINCT event_hash)::int AS distinct FROM dockerhub.audit_logs');
    expect(counts[0]).toEqual({ n: allEvents.length, distinct: allEvents.length });

    // Done is done: the same backfill again reads only what "now" added since, one window per account.
    emulator.requests.reset();
    const repeat = await runCli(['sync', '--backfill', '--from', '0001-01-01'], { env });
    expect(repeat.code, repeat.stderr).toBe(0);
    expect(emulator.requests.get('auditlogs.list')).toBeLessThanOrEqual(accounts);
    const after = await query<{ n: number }>(target, 'SELECT count(*)::int AS n FROM dockerhub.audit_logs');
    expect(after[0]!.n).toBe(allEvents.length);
  });
});
