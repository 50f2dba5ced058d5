import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { loadConfig } from '../../../src/config.js';
import { buildRegistry } from '../../../src/custom/registry.js';
import { rowsOf, type Database } from '../../../src/db/client.js';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import { createLogger } from '../../../src/logger.js';
import { runSync } from '../../../src/sync/runner.js';
import { ROOT } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { startScriptedHub, type ScriptedHub, type ScriptedReply } from '../../support/scripted-hub.js';

// Every YAML sample of docs/pagination.md, loaded as a config file and synced into Postgres
// against an API (scripted, over real HTTP) that pages the way the sample says: the whole list is
// read, a shorter complete list deletes what left it, and a list that loops, repeats itself or
// links to another origin stores what it read and deletes nothing.

const samples = [...readFileSync(path.join(ROOT, 'docs/pagination.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
const nameOf = (text: string) => (parse(text) as { endpoints: { name: string }[] }).endpoints[0]!.name;

/** How a sample's API misbehaves: a loop (a link or token back to page 1), paging ignored, a link to another origin. */
type Fault = 'loop' | 'ignored' | 'foreign' | undefined;

interface FakeApi {
  path: string;
  /** The answer to one request, for `records` in order. */
  reply(url: URL, records: Record<string, unknown>[], fault: Fault): ScriptedReply;
  record(i: number): Record<string, unknown>;
  faults: Fault[];
}

const pageOf = <T>(records: T[], index: number, size: number) => records.slice(index * size, (index + 1) * size);
const size = (url: URL, param: string, fallback: number) => Number(url.searchParams.get(param) ?? fallback);

function fakeApis(hubUrl: string, foreignUrl: string, org: string): Record<string, FakeApi> {
  return {
    shop_orders: {
      path: '/api/orders',
      record: (i) => ({ id: i + 1, status: i % 2 ? 'paid' : 'open' }),
      faults: ['loop', 'foreign'],
      reply(url, records, fault) {
        const page = size(url, 'page', 1);
        const per = size(url, 'page_size', 10);
        const loop = fault === 'loop' && page === 2;
        const more = loop || page * per < records.length;
        const origin = fault === 'foreign' ? foreignUrl : hubUrl;
        return { body: { orders: pageOf(records, page - 1, per), links: { next: more ? `${origin}/api/orders?page=${loop ? 1 : page + 1}&page_size=${per}` : null } } };
      },
    },
    tracker_issues: {
      path: '/api/issues',
      record: (i) => ({ number: i + 1, title: `issue ${i + 1}` }),
      faults: ['loop', 'foreign'],
      reply(url, records, fault) {
        expect(url.searchParams.get('state')).toBe('all');
        const page = size(url, 'page', 1);
        const per = size(url, 'per_page', 30);
        const loop = fault === 'loop' && page === 2;
        const more = loop || page * per < records.length;
        const origin = fault === 'foreign' ? foreignUrl : '';
        const headers: Record<string, string> = more ? { link: `<${origin}/api/issues?state=all&page=${loop ? 1 : page + 1}&per_page=${per}>; rel="next"` } : {};
        return { body: pageOf(records, page - 1, per), headers };
      },
    },
    catalog_items: {
      path: '/api/items',
      record: (i) => ({ sku: `sku-${i}` }),
      faults: ['ignored'],
      reply(url, records, fault) {
        const page = fault === 'ignored' ? 0 : size(url, 'p', 0);
        return { body: { items: pageOf(records, page, size(url, 'page_size', 10)) } };
      },
    },
    billing_invoices: {
      path: '/api/invoices',
      record: (i) => ({ id: `inv-${i}` }),
      faults: ['ignored'],
      reply(url, records, fault) {
        const offset = fault === 'ignored' ? 0 : size(url, 'offset', 0);
        return { body: { invoices: records.slice(offset, offset + size(url, 'limit', 10)), meta: { total: records.length } } };
      },
    },
    usage_reports: {
      path: `/orgs/${org}/reports/usage_pulls/daily`,
      record: (i) => ({ ReportType: 'usage_pulls', Cadence: 'daily', Date: new Date(Date.UTC(2026, 5, 30) - i * 86_400_000).toISOString().slice(0, 10), SizeBytes: 1000 + i, Key: `${org}/usage_pulls/daily/${i}.csv` }),
      faults: ['loop'],
      reply(url, records, fault) {
        const token = url.searchParams.get('page_token');
        const from = token ? Number(Buffer.from(token, 'base64url').toString()) : 0;
        const to = from + size(url, 'page_size', 30);
        // The loop: every later page hands out the token of the second page again.
        const loop = fault === 'loop' && from > 0;
        const next = loop ? size(url, 'page_size', 30) : to;
        return { body: { reports: records.slice(from, to), next_page_token: loop || to < records.length ? Buffer.from(String(next)).toString('base64url') : '' } };
      },
    },
  };
}

describe('the samples of docs/pagination.md, synced against APIs that page that way', () => {
  let emulator: RunningEmulator;
  let hub: ScriptedHub;
  let foreign: ScriptedHub;
  let target: TestDatabase;
  let database: Database;
  let apis: Record<string, FakeApi>;
  let env: NodeJS.ProcessEnv;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-pagination-docs-'));
  const logger = createLogger({ level: 'silent' });

  const live = async (endpoint: string) =>
    rowsOf<{ n: number }>(await database.db.execute(sql`SELECT count(*)::int AS n FROM dockerhub.custom_records WHERE endpoint = ${endpoint} AND deleted_at IS NULL`))[0]!.n;

  async function pass(text: string, name: string) {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, text);
    const config = loadConfig({ env, configFile: file });
    const client = hubClientFromConfig(config, logger);
    try {
      const summary = await runSync({ database, client, logger, config, registry: buildRegistry(config) }, { only: [name] });
      return summary.slices.filter((s) => s.endpoint === name);
    } finally {
      await client.close();
    }
  }

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 26, scale: 1 });
    hub = await startScriptedHub(emulator.url);
    foreign = await startScriptedHub(emulator.url);
    target = await createTestDatabase();
    database = await target.open();
    const org = emulator.state.orgNames[0]!;
    apis = fakeApis(hub.url, foreign.url, org);
    const { credentials } = emulator;
    env = {
      DOCKERHUB_API_URL: hub.url,
      DOCKERHUB_USERNAME: credentials.username,
      DOCKERHUB_PASSWORD: credentials.password,
      DOCKERHUB_NAMESPACES: org,
      LOG_LEVEL: 'silent',
    };
  });
  afterAll(async () => {
    await database?.close();
    await target?.destroy();
    await hub?.close();
    await foreign?.close();
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has a sample for each paginator', () => {
    expect(samples.map(nameOf)).toEqual(['shop_orders', 'tracker_issues', 'catalog_items', 'billing_invoices', 'usage_reports']);
  });

  it.each(samples.map((text) => [nameOf(text), text] as const))('%s', async (name, text) => {
    const api = apis[name]!;
    let records = Array.from({ length: 230 }, (_, i) => api.record(i));
    let fault: Fault;
    hub.answer(api.path, (url: URL) => api.reply(url, records, fault));
    foreign.answer(api.path, () => ({ body: {} }));
    const asked = () => hub.requests.filter((r) => r.startsWith(`${api.path}?`) || r === api.path).length;

    // The whole list, in as many requests as it has pages.
    let before = asked();
    const [first] = await pass(text, name);
    expect(first).toMatchObject({ status: 'succeeded' });
    expect(await live(name)).toBe(230);
    const pageSize = (parse(text) as { endpoints: { pageSize?: number }[] }).endpoints[0]!.pageSize ?? 100;
    expect(asked() - before).toBe(Math.floor(230 / pageSize) + 1);

    // A complete, shorter list: what left it is marked deleted.
    records = records.slice(0, 200);
    expect((await pass(text, name))[0]).toMatchObject({ status: 'succeeded' });
    expect(await live(name)).toBe(200);

    // A list that loops, ignores paging or links elsewhere deletes nothing, however short it looks.
    records = records.slice(0, 150);
    for (const each of api.faults) {
      fault = each;
      before = foreign.requests.length;
      const [slice] = await pass(text, name);
      expect(await live(name), `${name} with the fault ${each}`).toBe(200);
      if (each === 'ignored') {
        const state = rowsOf<{ incomplete: string }>(await database.db.execute(sql`SELECT cursor->>'incomplete' AS incomplete FROM dockerhub.sync_state WHERE endpoint = ${name}`));
        expect(state[0]!.incomplete).toBe('page 2 repeated page 1 (the server ignores paging)');
      } else {
        expect(slice).toMatchObject({ status: 'failed' });
        expect(slice!.error).toMatch(each === 'loop' ? /links to a page already read/ : /not to the API .*Nothing was sent/);
      }
      expect(foreign.requests.length).toBe(before);
    }
  });
});
