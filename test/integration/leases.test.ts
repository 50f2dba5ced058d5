import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, rowsOf, type Database } from '../../src/db/client.js';
import { isDeadHolder, LeaseLostError, PROCESS_HOLDER, withLease } from '../../src/db/leases.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const onPglite = inject('dbBackend') === 'pglite';

async function leases(database: Database): Promise<{ key: string; holder: string }[]> {
  return rowsOf<{ key: string; holder: string }>(await database.db.execute(sql`SELECT key, holder FROM dockerhub.sync_leases ORDER BY key`));
}

describe('slice leases', () => {
  let target: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    target = await createTestDatabase();
    database = await target.open();
  });
  afterAll(async () => {
    await database?.close();
    await target?.destroy();
  });

  it('one holder at a time within a process; released afterwards', async () => {
    let inner: unknown;
    const outer = await withLease(database, 'k1', async () => {
      expect(await leases(database)).toEqual([{ key: 'k1', holder: PROCESS_HOLDER }]);
      inner = await withLease(database, 'k1', async () => 'ran twice');
      return 'ran';
    });
    expect(outer).toEqual({ acquired: true, value: 'ran' });
    expect(inner).toMatchObject({ acquired: false, holder: PROCESS_HOLDER });
    expect(await leases(database)).toEqual([]);
  });

  // Needs a server: embedded PGlite belongs to one process, so there a lease of another holder is taken over (src/db/leases.ts).
  it.skipIf(onPglite)('a live lease of another holder is respected and named; an expired one is taken over', async () => {
    await database.db.execute(sql`
      INSERT INTO dockerhub.sync_leases (key, holder, expires_at) VALUES
        ('live', 'replica-b', clock_timestamp() + interval '1 minute'),
        ('lapsed', 'replica-c', clock_timestamp() - interval '1 millisecond')`);
    const live = await withLease(database, 'live', async () => 'ran');
    expect(live).toMatchObject({ acquired: false, holder: 'replica-b' });
    expect(live.acquired === false && Date.parse(live.expiresAt!)).toBeGreaterThan(Date.now() - 60_000);
    const lapsed = await withLease(database, 'lapsed', async () => (await leases(database)).find((l) => l.key === 'lapsed')?.holder);
    expect(lapsed).toEqual({ acquired: true, value: PROCESS_HOLDER });
    expect(await leases(database)).toEqual([{ key: 'live', holder: 'replica-b' }]);
    await database.db.execute(sql`DELETE FROM dockerhub.sync_leases`);
  });

  it('a live lease of this process that it could not release (its connection died) is taken again at once', async () => {
    await database.db.execute(sql`
      INSERT INTO dockerhub.sync_leases (key, holder, expires_at) VALUES (${'unreleased'}, ${PROCESS_HOLDER}, clock_timestamp() + interval '1 minute')`);
    expect(await withLease(database, 'unreleased', async () => 'ran')).toEqual({ acquired: true, value: 'ran' });
    expect(await leases(database)).toEqual([]);
  });

  it('a lease taken away while held aborts the work with LeaseLostError, and the other holder keeps it', async () => {
    const result = await withLease(
      database,
      'stolen',
      async (signal) => {
        const aborted = new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
        await database.db.execute(sql`UPDATE dockerhub.sync_leases SET holder = 'replica-d' WHERE key = 'stolen'`);
        return aborted;
      },
      { ttlMs: 60_000, renewEveryMs: 20 },
    );
    expect(result.acquired && result.value).toBeInstanceOf(LeaseLostError);
    expect(await leases(database)).toEqual([{ key: 'stolen', holder: 'replica-d' }]);
    await database.db.execute(sql`DELETE FROM dockerhub.sync_leases`);
  });
});

describe('slice leases on embedded PGlite', () => {
  it('a lease left by an earlier process (PGlite has one process at a time) is taken over at once', async () => {
    const database = await openDatabase({ memory: true });
    try {
      await migrateDatabase(database);
      await database.db.execute(sql`
        INSERT INTO dockerhub.sync_leases (key, holder, expires_at) VALUES ('k', 'earlier-process', clock_timestamp() + interval '1 hour')`);
      expect(await withLease(database, 'k', async () => 'ran')).toEqual({ acquired: true, value: 'ran' });
      expect(await leases(database)).toEqual([]);
    } finally {
      await database.close();
    }
  });
});

describe('holders that died on this machine', () => {
  it('are recognized by pid space and pid, and only those', () => {
    const [host, space] = PROCESS_HOLDER.split('/');
    const alive = (pid: number) => pid !== 424242;
    expect(isDeadHolder(`${host}/${space}/424242/abcd`, alive)).toBe(process.platform === 'linux');
    expect(isDeadHolder(`${host}/${space}/424243/abcd`, alive)).toBe(false); // alive
    expect(isDeadHolder(`${host}/other-space/424242/abcd`, alive)).toBe(false); // another container or host
    expect(isDeadHolder(PROCESS_HOLDER, () => false)).toBe(false);
    expect(isDeadHolder('replica-b', alive)).toBe(false);
  });
});
