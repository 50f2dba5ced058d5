import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { rowsOf } from '../../../src/db/client.js';
import { tagRow } from '../../../src/endpoints/tags.js';
import { entities } from '../../../src/sync/entities.js';
import { markMissing, upsertEntities, type Executor } from '../../../src/sync/upsert.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const HOUR = 3_600_000;

describe('upsertEntities / markMissing on a real Postgres', () => {
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
  beforeEach(async () => {
    await database.db.execute(sql`TRUNCATE dockerhub.tags, dockerhub.changes`);
  });

  const opts = (now: string) => ({ runId: null, now, lastSeenGranularityMs: 24 * HOUR });
  const tx = () => database.db as unknown as Executor;
  const tags = (names: string[], extra: Record<string, unknown> = {}) =>
    names.map((name) => tagRow('acme', 'api', { name, digest: `sha256:${name}`, last_updated: '2024-01-01T00:00:00.123456Z', ...extra }));
  const query = async <T>(q: ReturnType<typeof sql>) => rowsOf<T>(await database.db.execute(q));

  it('inserts new rows and records them in changes', async () => {
    const result = await upsertEntities(tx(), entities.tags, tags(['a', 'b']), opts('2025-01-01T00:00:00Z'));
    expect(result).toMatchObject({ inserted: 2, updated: 0, unchanged: 0 });
    const rows = await query<{ name: string; last_updated: string }>(
      sql`SELECT name, to_char(last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS last_updated FROM dockerhub.tags ORDER BY name`,
    );
    expect(rows).toEqual([
      { name: 'a', last_updated: '2024-01-01T00:00:00.123456' },
      { name: 'b', last_updated: '2024-01-01T00:00:00.123456' },
    ]);
    const changes = await query<{ op: string; entity: string }>(sql`SELECT op, entity FROM dockerhub.changes`);
    expect(changes).toEqual([
      { op: 'insert', entity: 'tags' },
      { op: 'insert', entity: 'tags' },
    ]);
  });

  it('stores every value as its column type says, text and JSON exactly as given, and records changes in page order', async () => {
    const text = 'quote " backslash \\ newline \n tab \t unicode é ✓ 🐳 <>&\'';
    const layers = [{ digest: 'sha256:x', size: 9_007_199_254_740_991, instruction: text }, 'a string', null, true, 1.5];
    const rows = [
      ...tags(['z-first'], { last_updater_username: text, full_size: 9_007_199_254_740_991, v2: false, last_updated: '2024-02-29T23:59:59.999999Z' }),
      ...tags(['a-second'], { last_updater_username: null, full_size: 0, v2: true, last_updated: null }),
    ];
    await upsertEntities(tx(), entities.tags, rows, opts('2025-01-01T00:00:00Z'));
    const images = [{ namespace: 'acme', repository: 'api', tag: 'z-first', digest: 'sha256:x', os: text, size: 42, layers, raw: { digest: 'sha256:x', note: text } }];
    await upsertEntities(tx(), entities.tagImages, images, opts('2025-01-01T00:00:00Z'));
    const stored = await query<Record<string, unknown>>(sql`
      SELECT name, last_updater_username, full_size::text AS full_size, v2,
        to_char(last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS last_updated, raw->>'last_updater_username' AS raw_text
      FROM dockerhub.tags ORDER BY name`);
    expect(stored).toEqual([
      { name: 'a-second', last_updater_username: null, full_size: '0', v2: true, last_updated: null, raw_text: null },
      { name: 'z-first', last_updater_username: text, full_size: '9007199254740991', v2: false, last_updated: '2024-02-29T23:59:59.999999', raw_text: text },
    ]);
    const image = await query<Record<string, unknown>>(sql`SELECT os, size::text AS size, layers, raw FROM dockerhub.tag_images`);
    expect(image).toEqual([{ os: text, size: '42', layers, raw: { digest: 'sha256:x', note: text } }]);
    const order = await query<{ name: string }>(sql`SELECT entity_key->>'name' AS name FROM dockerhub.changes WHERE entity = 'tags' ORDER BY id`);
    expect(order.map((row) => row.name)).toEqual(['z-first', 'a-second']);
    await database.db.execute(sql`TRUNCATE dockerhub.tag_images`);
  });

  it('does not rewrite unchanged rows (no new tuple, no change row)', async () => {
    await upsertEntities(tx(), entities.tags, tags(['a']), opts('2025-01-01T00:00:00Z'));
    const before = await query<{ xmin: string }>(sql`SELECT xmin::text FROM dockerhub.tags WHERE name = 'a'`);
    const result = await upsertEntities(tx(), entities.tags, tags(['a']), opts('2025-01-01T01:00:00Z'));
    expect(result).toMatchObject({ inserted: 0, updated: 0, unchanged: 1, touched: 0 });
    const after = await query<{ xmin: string }>(sql`SELECT xmin::text FROM dockerhub.tags WHERE name = 'a'`);
    expect(after).toEqual(before);
    expect(await query(sql`SELECT 1 FROM dockerhub.changes WHERE op <> 'insert'`)).toEqual([]);
  });

  it('refreshes last_seen_at of unchanged rows at most once per granularity', async () => {
    await upsertEntities(tx(), entities.tags, tags(['a']), opts('2025-01-01T00:00:00Z'));
    const later = await upsertEntities(tx(), entities.tags, tags(['a']), opts('2025-01-02T01:00:00Z'));
    expect(later.touched).toBe(1);
    const [row] = await query<{ seen: string }>(sql`SELECT to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24') AS seen FROM dockerhub.tags`);
    expect(row?.seen).toBe('2025-01-02 01');
  });

  it('updates changed rows and records the changed fields old → new', async () => {
    await upsertEntities(tx(), entities.tags, tags(['a']), opts('2025-01-01T00:00:00Z'));
    const result = await upsertEntities(tx(), entities.tags, tags(['a'], { tag_status: 'inactive' }), opts('2025-01-01T01:00:00Z'));
    expect(result).toMatchObject({ updated: 1 });
    const [change] = await query<{ op: string; changed: unknown; entity_key: unknown }>(
      sql`SELECT op, changed, entity_key FROM dockerhub.changes WHERE op = 'update'`,
    );
    expect(change).toEqual({ op: 'update', changed: { tag_status: { old: null, new: 'inactive' } }, entity_key: { namespace: 'acme', repository: 'api', name: 'a' } });
    const [row] = await query<{ tag_status: string; first: string }>(
      sql`SELECT tag_status, to_char(first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24') AS first FROM dockerhub.tags`,
    );
    expect(row).toEqual({ tag_status: 'inactive', first: '2025-01-01 00' });
  });

  it('marks rows missing from a complete listing deleted, and restores them when they return', async () => {
    await upsertEntities(tx(), entities.tags, tags(['a', 'b', 'c']), opts('2025-01-01T00:00:00Z'));
    const deleted = await markMissing(tx(), entities.tags, { namespace: 'acme', repository: 'api' }, 'name', ['a'], opts('2025-01-01T01:00:00Z'));
    expect(deleted.map((d) => d.name).sort()).toEqual(['b', 'c']);
    // A second pass deletes nothing more and records nothing more.
    expect(await markMissing(tx(), entities.tags, { namespace: 'acme', repository: 'api' }, 'name', ['a'], opts('2025-01-01T02:00:00Z'))).toEqual([]);
    const restored = await upsertEntities(tx(), entities.tags, tags(['b']), opts('2025-01-01T03:00:00Z'));
    expect(restored).toMatchObject({ restored: 1 });
    const live = await query<{ name: string }>(sql`SELECT name FROM dockerhub.tags WHERE deleted_at IS NULL ORDER BY name`);
    expect(live.map((r) => r.name)).toEqual(['a', 'b']);
    const ops = await query<{ op: string; n: number }>(sql`SELECT op, count(*)::int AS n FROM dockerhub.changes GROUP BY op ORDER BY op`);
    expect(ops).toEqual([
      { op: 'delete', n: 2 },
      { op: 'insert', n: 3 },
      { op: 'restore', n: 1 },
    ]);
  });

  it('never touches rows outside the scope', async () => {
    await upsertEntities(tx(), entities.tags, tags(['a']), opts('2025-01-01T00:00:00Z'));
    await upsertEntities(
      tx(),
      entities.tags,
      [tagRow('acme', 'other', { name: 'a' })],
      opts('2025-01-01T00:00:00Z'),
    );
    await markMissing(tx(), entities.tags, { namespace: 'acme', repository: 'api' }, 'name', [], opts('2025-01-01T01:00:00Z'));
    const live = await query<{ repository: string }>(sql`SELECT repository FROM dockerhub.tags WHERE deleted_at IS NULL`);
    expect(live).toEqual([{ repository: 'other' }]);
  });

  it('handles a batch larger than one statement chunk', async () => {
    const many = tags(Array.from({ length: 1500 }, (_, i) => `t${i}`));
    const result = await upsertEntities(tx(), entities.tags, many, opts('2025-01-01T00:00:00Z'));
    expect(result.inserted).toBe(1500);
    const again = await upsertEntities(tx(), entities.tags, many, opts('2025-01-01T00:10:00Z'));
    expect(again.unchanged).toBe(1500);
  });
});
