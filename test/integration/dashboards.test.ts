import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { READER_ROLE } from '../../src/db/views.js';
import { ROOT } from '../support/cli.js';
import { syncedEmulator, type SyncedEmulator } from '../support/synced-emulator.js';

/**
 * Every query of every shipped dashboard runs against a database filled by a real sync, as the
 * read-only role Grafana logs in with, after the Grafana macros and variables are expanded the
 * way Grafana's Postgres data source expands them. A query that only Grafana would notice is
 * broken (a renamed view column, a missing grant) fails here.
 */

type Json = Record<string, any>;
const DASHBOARDS = path.join(ROOT, 'deploy/grafana/dashboards');
const files = readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'));
const quote = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** The dashboard's time range in the test: wide enough for the emulator's (old) data and today's. */
const FROM = new Date(Date.UTC(2015, 0, 1)).toISOString();
const TO = new Date(Date.now() + 86_400_000).toISOString();

/** Grafana's Postgres macros used by the dashboards; anything else is an error so the test keeps up. */
function expandMacros(text: string, variables: Record<string, string[]>): string {
  let out = text
    .replace(/\$__timeFilter\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g, (_m, column: string) => `${column.trim()} BETWEEN ${quote(FROM)} AND ${quote(TO)}`)
    .replace(/\$__timeFrom\(\)/g, quote(FROM))
    .replace(/\$__timeTo\(\)/g, quote(TO));
  const unknownMacro = /\$__\w+/.exec(out);
  if (unknownMacro) throw new Error(`macro ${unknownMacro[0]} is not expanded by this test; add it here`);
  out = out.replace(/\$\{(\w+)\}|\$(\w+)/g, (match, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const values = variables[name];
    if (!values) throw new Error(`dashboard variable $${name} is not defined`);
    return values.map((v) => (/^-?\d+(\.\d+)?$/.test(v) ? v : quote(v))).join(',');
  });
  return out;
}

describe('Grafana dashboards against a synced database', () => {
  let f: SyncedEmulator;

  beforeAll(async () => {
    f = await syncedEmulator({ seed: 11 });
  }, 600_000);
  afterAll(async () => {
    await f?.close();
  });

  /** Run one statement as dockerhub_reader (what Grafana's login is a member of). */
  async function asReader(statement: string): Promise<Json[]> {
    return f.database.db.transaction(async (tx) => {
      await tx.execute(sql.raw(`SET LOCAL ROLE ${READER_ROLE}`));
      return rowsOf<Json>(await tx.execute(sql.raw(statement)));
    });
  }

  it.each(files)('%s: every variable and panel query runs and returns rows', async (file) => {
    const dashboard = JSON.parse(readFileSync(path.join(DASHBOARDS, file), 'utf8')) as Json;
    const variables: Record<string, string[]> = {};
    for (const variable of (dashboard.templating?.list ?? []) as Json[]) {
      if (variable.type === 'query') {
        const rows = await asReader(expandMacros(String(variable.query), variables));
        const values = rows.map((row) => String(Object.values(row)[0]));
        expect(values.length, `variable ${variable.name}`).toBeGreaterThan(0);
        // "All" selected: Grafana substitutes every value.
        variables[variable.name] = values;
      } else if (variable.type === 'custom') {
        variables[variable.name] = [String(variable.current?.value ?? String(variable.query).split(',')[0])];
      } else {
        throw new Error(`variable type ${variable.type} is not handled by this test`);
      }
    }
    expect(variables.namespace).toEqual(expect.arrayContaining([...f.after.namespaces]));

    const panels = (dashboard.panels as Json[]).filter((p) => p.type !== 'row');
    for (const panel of panels) {
      for (const target of panel.targets as Json[]) {
        const statement = expandMacros(String(target.rawSql), variables);
        const rows = await asReader(statement).catch((error: Error & { cause?: Error }) => {
          throw new Error(`panel "${panel.title}": ${error.cause?.message ?? error.message}\n${statement}`);
        });
        expect(rows.length, `panel "${panel.title}" returns rows`).toBeGreaterThan(0);
        if (target.format === 'time_series') {
          const columns = Object.keys(rows[0]!);
          expect(columns, `panel "${panel.title}" has a time column`).toContain('time');
          expect(columns.some((c) => c !== 'time' && c !== 'metric'), `panel "${panel.title}" has a value`).toBe(true);
        }
      }
    }
  });
});
