import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { isCustomEndpoint } from '../../src/custom/compile.js';
import { buildRegistry } from '../../src/custom/registry.js';
import { syncCustomViews } from '../../src/custom/views.js';
import { rowsOf, type Database } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { codeBlocks, docFiles, readDoc, type CodeBlock } from '../support/docs.js';

/**
 * Every SQL sample of the docs runs on a migrated database, inside a transaction that is rolled
 * back. The views' example queries are run with data by test/integration/views.test.ts; this
 * file runs the rest: the query of a custom endpoint's view, the reader-role statements for BI
 * tools and administrators, and the ownership hand-over of an old Compose volume.
 */

const blocks = docFiles()
  .flatMap(codeBlocks)
  .filter((b) => b.lang === 'sql')
  // The views' sections (headings named after a view) are run by views.test.ts.
  .filter((b) => !(b.file === 'docs/tables-and-views.md' && b.heading.startsWith('`')));

/** The statements of a sample, comments dropped. */
function statements(code: string): string[] {
  return code
    .replace(/^\s*--.*$/gm, '')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

class Rollback extends Error {}

describe('the SQL samples of the docs', () => {
  let target: TestDatabase;
  let database: Database;
  let dir: string;

  beforeAll(async () => {
    target = await createTestDatabase();
    database = await target.open();
    // The custom endpoints' views exist once their config is loaded: load the worked examples.
    dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-doc-sql-'));
    const doc = readDoc('docs/endpoints-and-macros.md');
    const examples = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    // One config with every example's endpoints: a view sync drops the views of endpoints it is not given.
    const endpoints = examples.flatMap((text) => (parseYaml(text) as { endpoints: unknown[] }).endpoints);
    const file = path.join(dir, 'examples.yaml');
    writeFileSync(file, stringifyYaml({ endpoints }));
    const config = loadConfig({ env: {}, configFile: file });
    const result = await syncCustomViews(database, buildRegistry(config).filter(isCustomEndpoint));
    expect(result.created).toContain('custom_repo_tags');
  });
  afterAll(async () => {
    await database?.close();
    await target?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('are found: a custom view query, the reader-role statements, the owner hand-over', () => {
    expect(blocks.map((b) => b.heading)).toEqual(
      expect.arrayContaining(['Storage and the views', 'Read-only access: `dockerhub_reader` and BI tools', 'Deploy with Docker Compose']),
    );
  });

  it.each(blocks.map((b) => [`${b.file}:${b.line}`, b] as [string, CodeBlock]))('%s runs', async (_, block) => {
    const { db } = database;
    const [{ current_user: me, current_database: databaseName }] = rowsOf<{ current_user: string; current_database: string }>(
      await db.execute(sql`SELECT current_user, current_database()`),
    ) as [{ current_user: string; current_database: string }];
    // A role another deployment may already have made gets a name of its own here (the statements
    // are the same for any DATABASE_READER_ROLE); placeholders take this session's values.
    const unique = `doc_${process.pid}_${block.line}`;
    const text = block.code
      .replace(/CREATE ROLE dockerhub_reader NOLOGIN/, `CREATE ROLE ${unique} NOLOGIN`)
      .replace(/TO dockerhub_reader\b/g, block.code.includes('CREATE ROLE dockerhub_reader') ? `TO ${unique}` : 'TO dockerhub_reader')
      .replaceAll('<service_role>', `"${me}"`)
      .replace(/ALTER DATABASE dockerhub /, `ALTER DATABASE "${databaseName}" `);
    let ran = 0;
    await expect(
      db.transaction(async (tx) => {
        for (const statement of statements(text)) {
          if (statement.endsWith('\\gexec')) {
            // psql's \gexec: run the query, then each value it returns as a statement.
            const generated = rowsOf<Record<string, string>>(await tx.execute(sql.raw(statement.slice(0, -'\\gexec'.length))));
            for (const row of generated) await tx.execute(sql.raw(Object.values(row)[0]!));
          } else {
            await tx.execute(sql.raw(statement));
          }
          ran++;
        }
        throw new Rollback();
      }),
    ).rejects.toBeInstanceOf(Rollback);
    expect(ran).toBeGreaterThan(0);
  });
});
