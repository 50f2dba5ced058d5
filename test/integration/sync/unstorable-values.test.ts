// A page whose items carry values the spec allows but the columns cannot hold: each such item
// lands in sync_errors with its payload and issues, the rest of the page is stored, and the
// slice succeeds. Served over real HTTP, written to real Postgres.
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { loadConfig } from '../../../src/config.js';
import { rowsOf, type Database } from '../../../src/db/client.js';
import type { HubClient } from '../../../src/hub/client.js';
import type { SliceRun } from '../../../src/sync/context.js';
import { runSlice, runSync, type SyncSummary } from '../../../src/sync/runner.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { json, startServer, type ScriptedServer } from '../../unit/hub/support.js';
import { endpoints } from '../../../src/endpoints/index.js';

const good = (name: string, fields: Record<string, unknown> = {}) => ({
  name,
  namespace: 'acme',
  star_count: 3,
  pull_count: 4458863048586661,
  last_updated: '2025-01-02T03:04:05.123456Z',
  ...fields,
});

const HOSTILE_REPOSITORIES = [
  good('stars-beyond-integer', { star_count: 4458863048586661 }),
  good('stars-2-31', { star_count: 2 ** 31 }),
  good('pulls-2-63', { pull_count: 2 ** 63 }),
  good('pulls-float', { pull_count: 12.5 }),
  good('status-nan', { status: 'NaN' }),
  good('year-zero', { last_updated: '0000-01-01T00:00:00Z' }),
  good('year-10000', { date_registered: '10000-01-01T00:00:00Z' }),
  good('february-30', { last_modified: '2025-02-30T00:00:00Z' }),
  good('nul-byte', { description: 'a\u0000b' }),
  good('broken-surrogate', { extra: { note: 'x\ud800' } }),
  good('n'.repeat(10_000)),
];
const GOOD_REPOSITORIES = [
  good('plain'),
  good('negative-but-fits', { star_count: -1, storage_size: -5 }),
  good('huge-description', { description: 'd'.repeat(1024 * 1024) }),
  good('far-dates', { last_updated: '0001-01-01T00:00:00Z', last_modified: '9999-12-31T23:59:59.999999Z' }),
];
const HOSTILE_TEAMS = [
  { id: -71660984.6, name: 'fractional-id' },
  { id: 2 ** 63, name: 'id-2-63' },
  { id: 9, name: 'members-2-31', member_count: 2 ** 31 },
];
const GOOD_TEAMS = [{ id: -71660984, name: 'negative-id', member_count: 2 }];

let server: ScriptedServer;
let target: TestDatabase;
let database: Database;
let client: HubClient;
let summary: SyncSummary;
let logs = '';

beforeAll(async () => {
  server = await startServer((hit) => {
    if (hit.path === '/v2/namespaces/acme/repositories') {
      return json({ count: HOSTILE_REPOSITORIES.length + GOOD_REPOSITORIES.length, next: null, previous: null, results: [...HOSTILE_REPOSITORIES, ...GOOD_REPOSITORIES] });
    }
    if (hit.path === '/v2/orgs/acme/groups') return json({ count: 4, next: null, previous: null, results: [...HOSTILE_TEAMS, ...GOOD_TEAMS] });
    // A page that cannot be parsed at all.
    if (hit.path === '/v2/orgs/acme/members') return { status: 200, headers: { 'content-type': 'application/json' }, text: '{"count": 2, "results": [{"id": "u1"' };
    return json({ detail: 'Not found' }, 404);
  });
  target = await createTestDatabase();
  database = await target.open();
  const config = loadConfig({
    env: { DOCKERHUB_API_URL: server.url, DOCKERHUB_NAMESPACES: 'acme', DOCKERHUB_ORGS: 'acme', LOG_LEVEL: 'silent' },
  });
  const logger = pino({ level: 'warn' }, { write: (line: string) => void (logs += line) });
  client = hubClientFromConfig(config, logger);
  summary = await runSync({ database, client, logger, config, registry: endpoints }, { only: ['repositories', 'org_members', 'teams'] });
});

afterAll(async () => {
  await client?.close();
  await database?.close();
  await target?.destroy();
  await server?.close();
});

const names = async (query: string) => rowsOf<{ name: string }>(await database.db.execute(sql.raw(query))).map((r) => r.name).sort();

describe('values the database cannot hold', () => {
  it('every slice succeeds, never failing on a database error; a page that cannot be parsed fails its slice only', () => {
    expect(summary.slices.map((s) => [s.endpoint, s.status, s.error])).toEqual([
      ['repositories', 'succeeded', undefined],
      ['org_members', 'failed', 'GET /v2/orgs/acme/members (members of acme) answered 200 with a body that is not valid JSON'],
      ['teams', 'succeeded', undefined],
    ]);
    expect(logs).toContain('org_members acme failed: GET /v2/orgs/acme/members (members of acme) answered 200 with a body that is not valid JSON');
    expect(logs).not.toMatch(/out of range|invalid input syntax|unsupported Unicode|index row size/);
  });

  it('the items that fit are stored', async () => {
    expect(await names('SELECT name FROM dockerhub.repositories')).toEqual(GOOD_REPOSITORIES.map((r) => r.name).sort());
    expect(await names('SELECT name FROM dockerhub.teams')).toEqual(['negative-id']);
    const [row] = rowsOf<{ pull_count: string | number; star_count: number }>(
      await database.db.execute(sql`SELECT pull_count, star_count FROM dockerhub.repositories WHERE name = 'plain'`),
    );
    expect(Number(row?.pull_count)).toBe(4458863048586661);
  });

  it('each item that does not fit is in sync_errors with its payload and issues', async () => {
    const errors = rowsOf<{ endpoint: string; payload: Record<string, unknown>; message: string; issues: unknown[] }>(
      await database.db.execute(sql`SELECT endpoint, payload, message, issues FROM dockerhub.sync_errors ORDER BY id`),
    );
    expect(errors.filter((e) => e.endpoint === 'repositories')).toHaveLength(HOSTILE_REPOSITORIES.length);
    expect(errors.filter((e) => e.endpoint === 'teams')).toHaveLength(HOSTILE_TEAMS.length);
    for (const error of errors) expect(error.issues.length).toBeGreaterThan(0);
    const byName = new Map(errors.map((e) => [String(e.payload.name), e]));
    expect(byName.get('stars-beyond-integer')?.message).toContain('star_count: must be a whole number from -2147483648 to 2147483647 to fit the integer column star_count');
    expect(byName.get('fractional-id')?.payload.id).toBe(-71660984.6);
    expect(byName.get('nul-byte')?.payload.description).toBe('a\ufffdb');
    expect(byName.get('year-zero')?.message).toContain('last_updated');
  });

  it('a listing with refused items decides no deletions', () => {
    expect(logs).toContain('deletions skipped');
  });
});

describe('a slice that fails on the database', () => {
  it('is recorded as failed with the database error, not a dump of the statement, even when the error quotes a NUL byte', async () => {
    const config = loadConfig({ env: { DOCKERHUB_API_URL: server.url, DOCKERHUB_NAMESPACES: 'acme', LOG_LEVEL: 'silent' } });
    const logger = pino({ level: 'silent' });
    const endpoint = {
      name: 'probe',
      title: 'probe',
      reference: '',
      tables: [],
      schedule: '* * * * *',
      slices: async () => [],
      run: (run: SliceRun) =>
        run.transaction(async (tx) => {
          await tx.execute(sql`SELECT ${`a\u0000b${'x'.repeat(5000)}`}::text`);
        }),
      request: () => ({ path: '/', shape: 'object' as const, schema: z.unknown() }),
    };
    const plan = { namespaces: ['acme'], orgs: [], user: undefined, full: false, dryRun: false, backfill: undefined };
    const report = await runSlice({ database, client, logger, config, registry: endpoints }, endpoint as never, { key: 'nul', params: {} }, plan, {});
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/^database error 22021: invalid byte sequence for encoding "UTF8": 0x00/);
    const [run] = rowsOf<{ status: string; error: string }>(
      await database.db.execute(sql`SELECT status, error FROM dockerhub.sync_runs WHERE endpoint = 'probe' ORDER BY id DESC LIMIT 1`),
    );
    expect(run).toEqual({ status: 'failed', error: report.error });
  });
});
