import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { loadConfig, type Config } from '../../../src/config.js';
import { isCustomEndpoint } from '../../../src/custom/compile.js';
import { buildRegistry } from '../../../src/custom/registry.js';
import { syncCustomViews } from '../../../src/custom/views.js';
import { rowsOf, type Database } from '../../../src/db/client.js';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import type { HubClient } from '../../../src/hub/client.js';
import { createLogger } from '../../../src/logger.js';
import { runSync } from '../../../src/sync/runner.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { startScriptedHub, type ScriptedHub } from '../../support/scripted-hub.js';

// User-defined endpoints against answers the emulator never gives: a renamed field, values no
// declared column can hold, a key listed twice, a parent row that was deleted.

const THINGS = { name: 'things', path: '/custom/things', pagination: 'none', dataPath: '$.results[*]', metadataPath: '$.note', key: '$.id', columns: { id: 'text', label: 'text' } };
const SHAPES = { name: 'shapes', path: '/custom/shapes', pagination: 'none', dataPath: '$.results[*]', key: '$.id', columns: { id: 'text' } };
const RECORD = { name: 'record', path: '/custom/record', pagination: 'none', dataPath: '$.data', key: '$.id', columns: { id: 'text' } };
const TYPED = {
  name: 'typed',
  path: '/custom/typed',
  pagination: 'none',
  dataPath: '$.results[*]',
  key: '$.id',
  columns: { id: 'text', day: 'date', at: 'timestamptz', amount: 'numeric', ratio: 'double', big: 'bigint', small: 'integer', flag: 'boolean', note: 'text' },
};
const TEAM_PEOPLE = { name: 'team_people', path: '/v2/orgs/{teams.org}/groups/{teams.name}/members', key: '$.username', columns: { username: 'text' } };
const PARTS = { name: 'parts', path: '/custom/things/{things.id}/parts', pagination: 'none', dataPath: '$.results[*]', key: '$.part', columns: { part: 'text' } };

describe('custom endpoints keep what an unreadable answer does not disprove', () => {
  let emulator: RunningEmulator;
  let hub: ScriptedHub;
  let target: TestDatabase;
  let database: Database;
  let client: HubClient;
  let config: Config;
  const logger = createLogger({ level: 'silent' });
  const rows = async <T>(text: string) => rowsOf<T>(await database.db.execute(sql.raw(text)));
  const live = async (endpoint: string) =>
    (await rows<{ slice_key: string; record_key: string }>(`SELECT slice_key, record_key FROM dockerhub.custom_records WHERE endpoint = '${endpoint}' AND deleted_at IS NULL ORDER BY 1, 2`)).map((r) =>
      r.slice_key ? `${r.slice_key}:${r.record_key}` : r.record_key,
    );
  const errors = async (endpoint: string) => rows<{ kind: string; message: string; payload: unknown }>(`SELECT kind, message, payload FROM dockerhub.sync_errors WHERE endpoint = '${endpoint}' ORDER BY id`);
  const pass = async (only: string[], full = false) => {
    const summary = await runSync({ database, client, logger, config, registry: buildRegistry(config) }, { only, full });
    const failed = summary.slices.filter((slice) => slice.status === 'failed');
    if (failed.length > 0) throw new Error(`sync failed: ${failed.map((f) => `${f.endpoint} ${f.slice}: ${f.error}`).join('; ')}`);
    return summary;
  };

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 9, scale: 1 });
    hub = await startScriptedHub(emulator.url);
    target = await createTestDatabase();
    database = await target.open();
    const { credentials } = emulator;
    config = loadConfig({
      env: {
        DOCKERHUB_API_URL: hub.url,
        DOCKERHUB_USERNAME: credentials.username,
        DOCKERHUB_PASSWORD: credentials.password,
        DOCKERHUB_NAMESPACES: [credentials.username, emulator.state.orgNames[0]].join(','),
        LOG_LEVEL: 'silent',
      },
      overrides: { endpoints: [THINGS, SHAPES, RECORD, TYPED, PARTS, TEAM_PEOPLE] },
    });
    client = hubClientFromConfig(config, logger);
  });
  afterAll(async () => {
    await client?.close();
    await database?.close();
    await target?.destroy();
    await hub?.close();
    await emulator?.close();
  });

  it('a page whose dataPath matches nothing deletes nothing and names the path and the keys the page had', async () => {
    hub.answer('/custom/things', { results: [{ id: 'a', label: 'A' }, { id: 'b', label: 'B' }, { id: 'c', label: 'C' }] });
    await pass(['things']);
    expect(await live('things')).toEqual(['a', 'b', 'c']);

    // The API renamed the field.
    hub.answer('/custom/things', { items: [{ id: 'a' }, { id: 'b' }, { id: 'c' }], total: 3 });
    await pass(['things']);
    expect(await live('things')).toEqual(['a', 'b', 'c']);
    const [error] = await errors('things');
    expect(error).toMatchObject({ kind: 'page', payload: { dataPath: '$.results[*]', top_level_keys: ['items', 'total'] } });
    expect(error!.message).toBe('dataPath $.results[*] matched nothing in the page: $.results is not there (its top-level keys are items, total)');
    const state = await rows<{ incomplete: string }>(`SELECT cursor->>'incomplete' AS incomplete FROM dockerhub.sync_state WHERE endpoint = 'things'`);
    expect(state[0]!.incomplete).toContain('dataPath $.results[*] matched nothing');

    // An empty list is a listing of nothing: then, and only then, the records are gone.
    hub.answer('/custom/things', { results: [{ id: 'a', label: 'A' }] });
    await pass(['things']);
    expect(await live('things')).toEqual(['a']);

    // Metadata kept with each record may hold what jsonb cannot (a NUL): it is stored with U+FFFD.
    hub.answer('/custom/things', '{"results": [{"id": "a", "label": "A"}], "note": "x\\u0000y"}');
    await pass(['things']);
    expect(await rows<{ metadata: unknown }>(`SELECT metadata FROM dockerhub.custom_records WHERE endpoint = 'things' AND record_key = 'a'`)).toEqual([{ metadata: 'x\ufffdy' }]);
  });

  it('a list path that finds a scalar or an object, and a record path that finds a scalar, are page problems too', async () => {
    hub.answer('/custom/shapes', { results: [{ id: 's1' }, { id: 's2' }] });
    await pass(['shapes']);
    for (const [body, said] of [
      [{ results: 'maintenance' }, 'dataPath $.results[*]: $.results is a string ("maintenance"), not a list of records'],
      [{ results: { s1: { id: 's1' } } }, 'dataPath $.results[*]: $.results is an object, not a list of records'],
      [{ results: null }, 'dataPath $.results[*]: $.results is null, not a list of records'],
    ] as const) {
      hub.answer('/custom/shapes', body);
      await pass(['shapes']);
      expect(await live('shapes')).toEqual(['s1', 's2']);
      expect((await errors('shapes')).filter((e) => e.kind === 'page').at(-1)!.message).toContain(said);
    }

    hub.answer('/custom/record', { data: { id: 'r1' } });
    await pass(['record']);
    hub.answer('/custom/record', { data: 'gone for maintenance' });
    await pass(['record']);
    expect(await live('record')).toEqual(['r1']);
    expect((await errors('record')).find((e) => e.kind === 'page')!.message).toBe('dataPath $.data found a string ("gone for maintenance") where a record (an object) belongs (its top-level keys are data)');
  });

  it('records each record whose key the listing already showed, stores the first, and deletes nothing', async () => {
    hub.answer('/custom/things', { results: [{ id: 'a', label: 'first' }, { id: 'a', label: 'second' }, { id: 'd', label: 'D' }, { id: 'a', label: 'third' }] });
    await pass(['things']);
    expect(await live('things')).toEqual(['a', 'd']);
    const stored = await rows<{ label: string }>(`SELECT data->>'label' AS label FROM dockerhub.custom_records WHERE endpoint = 'things' AND record_key = 'a'`);
    expect(stored).toEqual([{ label: 'first' }]);
    const duplicates = (await errors('things')).filter((e) => e.kind === 'duplicate_key');
    expect(duplicates.map((d) => (d.payload as { label: string }).label)).toEqual(['second', 'third']);
    expect(duplicates[0]!.message).toBe('key a is listed more than once in things; the first one is stored');
  });

  it('a value its declared column cannot hold sends that record to sync_errors; the rest of the page is stored and the view selects', async () => {
    // 12,000 characters that do not compress (a repeated letter would fit the index compressed).
    const long = Array.from({ length: 12_000 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz0123456789'[(i * 7919 + ((i * i) % 97)) % 36]).join('');
    // Raw JSON: 1e-400 and 1e21 as the API wrote them.
    hub.answer(
      '/custom/typed',
      `{"results": [
        {"id": "good", "day": "2025-01-01", "at": "2025-01-01T10:00:00Z", "amount": "12.50", "ratio": 0.5, "big": 9007199254740993, "small": 7, "flag": "yes", "note": "fine"},
        {"id": "bad-day", "day": "2025-01-01garbage"},
        {"id": "bad-at", "at": 1e20},
        {"id": "bad-amount", "amount": "0x10"},
        {"id": "bad-ratio", "ratio": "1e-400"},
        {"id": "bad-big", "big": 1e21},
        {"id": "bad-small", "small": 2147483648},
        {"id": "bad-flag", "flag": "maybe"},
        {"id": "nul-note", "note": "a\\u0000b"},
        {"id": "nul\\u0000key"},
        {"id": "${long}"},
        {"id": "also-good", "at": 1735725600, "day": "2025-02-28"}
      ]}`,
    );
    await pass(['typed']);
    expect(await live('typed')).toEqual(['also-good', 'good']);
    const messages = (await errors('typed')).map((e) => e.message);
    expect(messages).toHaveLength(10);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringContaining('column day (date): "2025-01-01garbage" is not a date'),
        expect.stringContaining('column at (timestamptz): 100000000000000000000 is not a timestamp'),
        expect.stringContaining('column amount (numeric): "0x10" is not a number'),
        expect.stringContaining('column ratio (double precision): "1e-400" is out of range for double precision'),
        expect.stringContaining('column big (bigint): 1e+21 is out of range for bigint'),
        expect.stringContaining('column small (integer): 2147483648 is out of range for integer'),
        expect.stringContaining('column flag (boolean): "maybe" is not a boolean'),
        expect.stringContaining('contains a NUL character'),
        expect.stringContaining('is longer than the 882 bytes a record key can hold'),
      ]),
    );
    await syncCustomViews(database, buildRegistry(config).filter(isCustomEndpoint));
    const view = await rows<Record<string, unknown>>(`SELECT id, day::text, at, amount::text, ratio, big::text, small, flag, note FROM dockerhub.custom_typed ORDER BY id`);
    expect(view.map((r) => r.id)).toEqual(['also-good', 'good']);
    expect(view[1]).toMatchObject({ day: '2025-01-01', amount: '12.50', ratio: 0.5, big: '9007199254740992', small: 7, flag: true, note: 'fine' });
  });

  it('a view selects over rows stored before values were checked: what a column cannot hold reads as NULL', async () => {
    const bad = { id: 'old', day: '2025-01-01garbage', at: 1e20, amount: '1,5', ratio: '1e-400', big: '1e21', small: '2147483648', flag: 'maybe' };
    const text = ['2025-13-01', '2025-01-01T25:00:00Z', 'NaNx', '1e999', '99999999999999999999', '12.5', 'tru e'];
    await database.db.execute(sql`INSERT INTO dockerhub.custom_records (endpoint, slice_key, record_key, data, raw, row_hash) VALUES
      ('typed', '', 'old', ${JSON.stringify(bad)}::jsonb, '{}'::jsonb, 'x'),
      ('typed', '', 'older', ${JSON.stringify({ id: 'older', day: text[0], at: text[1], amount: text[2], ratio: text[3], big: text[4], small: text[5], flag: text[6] })}::jsonb, '{}'::jsonb, 'x')`);
    await syncCustomViews(database, buildRegistry(config).filter(isCustomEndpoint));
    const view = await rows<Record<string, unknown>>(`SELECT id, day, at, amount, ratio, big, small, flag FROM dockerhub.custom_typed WHERE id IN ('old', 'older') ORDER BY id`);
    expect(view).toEqual([
      { id: 'old', day: null, at: null, amount: null, ratio: null, big: null, small: null, flag: null },
      { id: 'older', day: null, at: null, amount: null, ratio: null, big: null, small: null, flag: null },
    ]);
    // A cast that catches its error starts a subtransaction, which no parallel worker may: the
    // functions must keep the planner from running the view in parallel.
    const functions = await rows<{ name: string; parallel: string }>(`SELECT proname AS name, proparallel AS parallel FROM pg_proc WHERE proname LIKE 'try\\_cast\\_%' ORDER BY 1`);
    expect(functions.map((f) => f.name)).toEqual(['try_cast_bigint', 'try_cast_boolean', 'try_cast_date', 'try_cast_double', 'try_cast_integer', 'try_cast_numeric', 'try_cast_timestamptz', 'try_cast_unix_seconds']);
    expect(functions.filter((f) => f.parallel !== 'u')).toEqual([]);
  });

  it('records chained from a parent row that was deleted are deleted too, also on a full pass', async () => {
    hub.answer('/custom/things', { results: [{ id: 'p1' }, { id: 'p2' }, { id: 'p3' }] });
    for (const id of ['p1', 'p2', 'p3']) hub.answer(`/custom/things/${id}/parts`, { results: [{ part: `${id}-x` }, { part: `${id}-y` }] });
    await pass(['things', 'parts'], true);
    expect(await live('parts')).toEqual(['p1:p1-x', 'p1:p1-y', 'p2:p2-x', 'p2:p2-y', 'p3:p3-x', 'p3:p3-y']);

    hub.answer('/custom/things', { results: [{ id: 'p1' }, { id: 'p3' }] });
    await pass(['things', 'parts'], true);
    expect(await live('parts')).toEqual(['p1:p1-x', 'p1:p1-y', 'p3:p3-x', 'p3:p3-y']);
    const changes = await rows<{ key: string }>(`SELECT entity_key->>'record_key' AS key FROM dockerhub.changes WHERE entity = 'custom_records' AND op = 'delete' AND entity_key->>'endpoint' = 'parts' ORDER BY 1`);
    expect(changes.map((c) => c.key)).toEqual(['p2-x', 'p2-y']);

    // An incremental pass after the parent went: the same.
    hub.answer('/custom/things', { results: [{ id: 'p1' }] });
    await pass(['things']);
    await pass(['parts']);
    expect(await live('parts')).toEqual(['p1:p1-x', 'p1:p1-y']);

    // The parent comes back: its records are read again.
    hub.answer('/custom/things', { results: [{ id: 'p1' }, { id: 'p2' }] });
    await pass(['things', 'parts']);
    expect(await live('parts')).toEqual(['p1:p1-x', 'p1:p1-y', 'p2:p2-x', 'p2:p2-y']);
  });

  it('records chained from a built-in parent go with a deleted row of it (a team and its members)', async () => {
    const org = emulator.state.orgNames[0] as string;
    await pass(['teams', 'team_people'], true);
    const snapshot = emulator.snapshot({ tags: false });
    const gone = snapshot.teams[org]!.find((t) => snapshot.teamMembers[`${org}/${t.name}`]!.length > 0)!;
    const before = await live('team_people');
    expect(before.filter((r) => r.startsWith(`${org}/${gone.name}:`))).toHaveLength(snapshot.teamMembers[`${org}/${gone.name}`]!.length);

    emulator.state.deleteTeam(org, gone.name, emulator.credentials.username);
    await pass(['teams'], true);
    await pass(['team_people']);
    const after = await live('team_people');
    expect(after.filter((r) => r.startsWith(`${org}/${gone.name}:`))).toEqual([]);
    expect(after).toEqual(before.filter((r) => !r.startsWith(`${org}/${gone.name}:`)));
  });
});
