import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { embeddedClient, runQuery, type QueryTarget } from '../../src/db/sql.js';
import { formatResult } from '../../src/db/sql-format.js';
import { DEFAULT_READER_ROLE, ensureReaderRole } from '../../src/db/reader-role.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

// What `sql` prints, from what each real backend sends: duplicate column names, json numbers
// beyond what a double holds, and control characters in the aligned table.

let embedded: Database;
let server: TestDatabase | undefined;
const targets: [string, () => QueryTarget][] = [];

beforeAll(async () => {
  embedded = await openDatabase({ memory: true });
  // Queries without --write run as the read-only role: the schema and the role are all they need here.
  await embedded.db.execute(sql.raw('CREATE SCHEMA dockerhub'));
  await ensureReaderRole(embedded, DEFAULT_READER_ROLE);
  targets.push(['pglite', () => ({ kind: 'pglite', pglite: embeddedClient(embedded) })]);
  const database = await createTestDatabase();
  if (database.url) {
    server = database;
    targets.push(['postgres', () => ({ kind: 'postgres', url: database.url! })]);
  } else {
    await database.destroy();
  }
});
afterAll(async () => {
  await embedded?.close();
  await server?.destroy();
});

async function print(text: string, format: 'table' | 'csv' | 'json'): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, target] of targets) out[name] = formatResult(await runQuery(target(), text, { write: false }), format);
  return out;
}

describe('sql output on every backend', () => {
  it('--json keeps every column when names repeat: the second a becomes a_2, the third a_3', async () => {
    for (const [backend, text] of Object.entries(await print('SELECT 1 AS a, 2 AS a, 3 AS a', 'json'))) {
      expect(Object.keys((JSON.parse(text) as object[])[0]!), backend).toEqual(['a', 'a_2', 'a_3']);
      expect(JSON.parse(text), backend).toEqual([{ a: 1, a_2: 2, a_3: 3 }]);
    }
    // A suffix another column already has is skipped: that column keeps its own name.
    for (const [backend, text] of Object.entries(await print('SELECT 1 AS a, 2 AS a, 3 AS a_2', 'json'))) {
      expect(JSON.parse(text), backend).toEqual([{ a: 1, a_3: 2, a_2: 3 }]);
    }
  });

  it('--csv and the table keep the names as Postgres sent them', async () => {
    for (const [backend, text] of Object.entries(await print('SELECT 1 AS a, 2 AS a', 'csv'))) expect(text, backend).toBe('a,a\n1,2\n');
    for (const [backend, text] of Object.entries(await print('SELECT 1 AS a, 2 AS a', 'table'))) expect(text.split('\n')[0], backend).toBe('a  a');
  });

  it('--json prints json and jsonb as the text Postgres sent: no digit of a number is lost', async () => {
    const query = `SELECT '{"n":12345678901234567890,"f":1.10,"e":1E+400}'::jsonb AS b, '{"n": 98765432109876543210, "f": 2.50}'::json AS j, '[0.1000000000000000055511151231257827]'::jsonb AS arr`;
    for (const [backend, text] of Object.entries(await print(query, 'json'))) {
      expect(text, backend).toContain('12345678901234567890');
      expect(text, backend).toContain('1.10');
      expect(text, backend).toContain('98765432109876543210');
      expect(text, backend).toContain('2.50');
      expect(text, backend).toContain('0.1000000000000000055511151231257827');
      const rows = JSON.parse(text) as { b: { n: number }; j: { f: number } }[];
      expect(rows[0]!.j.f, backend).toBe(2.5);
    }
  });

  it('the aligned table shows a tab, a line break and other control characters escaped, so columns stay aligned', async () => {
    const query = `SELECT E'a\\tb' AS x, E'c\\nd' AS y, E'e\\x01f' AS z, 'g' AS w UNION ALL SELECT 'h', 'i', 'j', 'k'`;
    for (const [backend, text] of Object.entries(await print(query, 'table'))) {
      const lines = text.split('\n');
      expect(lines[2], backend).toBe('a\\tb  c\\nd  e\\x01f  g');
      expect(lines[3], backend).toBe('h     i     j       k');
      expect(text, backend).not.toMatch(/[\t\u0001]/);
    }
  });
});
