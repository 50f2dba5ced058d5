import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubClientsFromConfig } from '../../../src/commands/hub.js';
import { loadConfig } from '../../../src/config.js';
import { rowsOf, type Database } from '../../../src/db/client.js';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import { endpoints } from '../../../src/endpoints/index.js';
import type { HubClientSet } from '../../../src/hub/client-set.js';
import { createLogger } from '../../../src/logger.js';
import { runSync, type SyncSummary } from '../../../src/sync/runner.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

/**
 * Pull-usage reports of the Enterprise Data API against the emulator over HTTP: the emulator makes
 * the reports from its own pull events, its object-storage stand-in (another port) records any
 * request that arrives with a credential. Time moves on the emulator's clock: a daily report
 * exists once its day has ended.
 */

const DAY = 86_400_000;
const ONLY = ['pull_usage_reports', 'pull_usage'];

describe('pull-usage reports (Enterprise Data API)', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let database: Database;
  let clients: HubClientSet;
  let shift = 0;
  const logLines: Record<string, unknown>[] = [];
  let org: string;
  let otherOrg: string;

  beforeAll(async () => {
    const today = Math.floor(Date.now() / DAY) * DAY;
    emulator = await startEmulator({ seed: 11, scale: 1, epochMs: today, clock: { now: () => Date.now() + shift } });
    target = await createTestDatabase();
    database = await target.open();
    const [first, second] = emulator.credentials.oat;
    if (!first || !second) throw new Error('the emulator needs two organizations');
    org = first.org;
    otherOrg = second.org;
    // The second organization has no Docker Enterprise: the Data API answers it 403.
    emulator.state.usage.withoutEnterprise.add(otherOrg);
    const env = { FIRST_OAT: first.token, SECOND_OAT: second.token };
    const config = loadConfig({
      env: { DOCKERHUB_API_URL: emulator.url, LOG_LEVEL: 'debug', ...env },
      overrides: {
        'hub.credentials': [
          { username: org, kind: 'oat', secretEnv: 'FIRST_OAT', namespaces: [org] },
          { username: otherOrg, kind: 'oat', secretEnv: 'SECOND_OAT', namespaces: [otherOrg] },
        ],
      },
    });
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) } });
    clientsWith = (cap) => hubClientsFromConfig({ ...config, hub: { ...config.hub, maxResponseBytes: cap } }, env, logger);
    clients = hubClientsFromConfig(config, env, logger);
    passDeps = { database, client: clients.fallback.client, clients, logger, config, registry: endpoints };
  });

  let passDeps: Parameters<typeof runSync>[0];
  /** Clients whose response size cap is `cap` bytes. */
  let clientsWith: (cap: number) => HubClientSet;
  /** Passes made so far, by `pass()`. */
  let passes = 0;
  const pass = (): Promise<SyncSummary> => {
    passes++;
    return runSync(passDeps, { only: ONLY });
  };

  afterAll(async () => {
    await clients?.close();
    await database?.close();
    await target?.destroy();
    await emulator?.close();
  });

  const query = async <T>(text: string): Promise<T[]> => rowsOf<T>(await database.db.execute(sql.raw(text)));
  const loadedDaily = async () =>
    new Map(
      (await query<{ k: string; n: string }>(`SELECT repository || ':' || tag AS k, sum(pull_count)::text AS n FROM dockerhub.pull_usage WHERE org = '${org}' AND cadence = 'daily' GROUP BY 1`)).map(
        (r) => [r.k, Number(r.n)],
      ),
    );
  const startOfEmulatorDay = () => Math.floor((Date.now() + shift) / DAY) * DAY;
  const pull = (repository: string, count: number, tag?: string) => emulator.state.bumpPulls(org, repository, count, tag);
  const repositoriesOf = (namespace: string) => emulator.snapshot({ tags: false }).repositories[namespace]!.map((r) => r.name);

  it('loads every report once, equal to the pulls the emulator saw, with nothing sent to the storage host with a credential', async () => {
    const [a, b] = repositoriesOf(org);
    pull(a!, 7);
    pull(b!, 3);
    pull(a!, 2);
    shift += DAY; // today's pulls are in a report once the day has ended

    const first = await pass();
    expect(first.slices.filter((s) => s.status === 'failed'), JSON.stringify(first.slices)).toEqual([]);
    const expected = emulator.state.usage.totals(org, startOfEmulatorDay());
    expect(await loadedDaily()).toEqual(expected);
    const reports = ['daily', 'weekly'].flatMap((cadence) => emulator.state.usage.reports(org, 'usage_pulls', cadence) ?? []);
    expect(reports.length).toBeGreaterThan(1);
    expect(emulator.storage.downloads.length).toBe(reports.length);
    const [loads] = await query<{ n: number; errors: number }>(`SELECT count(*)::int AS n, count(error)::int AS errors FROM dockerhub.pull_usage_loads WHERE org = '${org}'`);
    expect(loads).toEqual({ n: reports.length, errors: 0 });
    const [view] = await query<{ pulls: string }>(`SELECT sum(pulls)::text AS pulls FROM dockerhub.pulls_daily WHERE org = '${org}'`);
    expect(Number(view!.pulls)).toBe([...expected.values()].reduce((x, y) => x + y, 0));

    const rowsBefore = await query<{ n: number }>('SELECT count(*)::int AS n FROM dockerhub.pull_usage');
    const second = await pass();
    expect(second.failed).toBe(0);
    expect(emulator.storage.downloads.length, 'a second pass downloads nothing').toBe(reports.length);
    expect(await query<{ n: number }>('SELECT count(*)::int AS n FROM dockerhub.pull_usage')).toEqual(rowsBefore);
    expect(emulator.storage.violations).toEqual([]);
    // From here on one report a day: the counts below need no week to end meanwhile.
    emulator.state.usage.withoutWeekly.add(org);
  });

  it('adds up the pulls of a repository and tag a report lists twice for one day', async () => {
    const [a, b] = repositoriesOf(org);
    pull(a!, 9);
    pull(b!, 4);
    shift += DAY;
    emulator.state.usage.corrupt(org, 'daily', new Date(startOfEmulatorDay() - DAY).toISOString().slice(0, 10), 'repeated-rows');
    const summary = await pass();
    expect(summary.slices.filter((s) => s.status === 'failed'), JSON.stringify(summary.slices)).toEqual([]);
    expect(await loadedDaily()).toEqual(emulator.state.usage.totals(org, startOfEmulatorDay()));
  });

  it('asks for a fresh link when the signed one had expired', async () => {
    pull(repositoriesOf(org)[0]!, 5);
    shift += DAY;
    const downloads = emulator.storage.downloads.length;
    emulator.storage.expireNextLinks(1);
    const summary = await pass();
    expect(summary.failed).toBe(0);
    expect(emulator.storage.expired).toHaveLength(1);
    expect(emulator.storage.downloads.length).toBe(downloads + 1);
    expect(await loadedDaily()).toEqual(emulator.state.usage.totals(org, startOfEmulatorDay()));
    expect(emulator.storage.violations).toEqual([]);
  });

  it('refuses a report whose CSV has a column its schema does not list, or lacks one, and loads the others', async () => {
    const [a] = repositoriesOf(org);
    const days: string[] = [];
    for (let i = 0; i < 3; i++) {
      days.push(new Date(startOfEmulatorDay()).toISOString().slice(0, 10));
      pull(a!, 4 + i);
      shift += DAY;
    }
    emulator.state.usage.corrupt(org, 'daily', days[0]!, 'extra-column');
    emulator.state.usage.corrupt(org, 'daily', days[1]!, 'missing-column');
    const summary = await pass();
    const failed = summary.slices.filter((s) => s.status === 'failed');
    expect(failed.map((s) => s.slice).sort()).toEqual([`${org}/usage_pulls/daily/${days[0]}`, `${org}/usage_pulls/daily/${days[1]}`]);
    expect(failed.find((s) => s.slice.endsWith(days[0]!))?.error).toMatch(/column region that its schema does not list/);
    expect(failed.find((s) => s.slice.endsWith(days[1]!))?.error).toMatch(/lacks column tag that its schema lists/);
    const byDay = await query<{ event_date: string; n: number }>(
      `SELECT event_date::text, count(*)::int AS n FROM dockerhub.pull_usage WHERE org = '${org}' AND cadence = 'daily' AND event_date IN ('${days.join("','")}') GROUP BY 1`,
    );
    expect(byDay).toEqual([{ event_date: days[2], n: 1 }]);
    const refused = await query<{ date: string; error: string }>(`SELECT date::text, error FROM dockerhub.pull_usage_loads WHERE error IS NOT NULL ORDER BY date`);
    expect(refused.map((r) => r.date)).toEqual(days.slice(0, 2));

    // A refused file is not downloaded again until the listing shows another key or size.
    const downloads = emulator.storage.downloads.length;
    expect((await pass()).failed).toBe(0);
    expect(emulator.storage.downloads.length).toBe(downloads);
  });

  it('skips an organization without Docker Enterprise with one warning, whatever the passes', async () => {
    const warnings = logLines.filter((line) => line.level === 40 && String(line.msg).includes('pull-usage reports skipped'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ org: otherOrg, reason: 'plan-limited' });
    expect(String(warnings[0]!.msg)).toMatch(/Docker Enterprise subscription.*Report Read/);
    const [rows] = await query<{ n: number }>(`SELECT count(*)::int AS n FROM dockerhub.pull_usage_reports WHERE org = '${otherOrg}'`);
    expect(rows!.n).toBe(0);
    // Every pass asked once and succeeded: the refusal is a plan limit, not a failure.
    const runs = await query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM dockerhub.sync_runs WHERE endpoint = 'pull_usage_reports' AND slice_key = '${otherOrg}' GROUP BY status`);
    expect(runs).toEqual([{ status: 'succeeded', n: passes }]);
    expect(logLines.some((line) => JSON.stringify(line).includes(emulator.credentials.oat[0]!.token))).toBe(false);
  });

  it('leaves a report larger than DOCKERHUB_MAX_RESPONSE_BYTES undownloaded, saying what to raise', async () => {
    pull(repositoriesOf(org)[0]!, 9);
    shift += DAY;
    const downloads = emulator.storage.downloads.length;
    const small = { ...passDeps.config, hub: { ...passDeps.config.hub, maxResponseBytes: 10 } };
    const summary = await runSync({ ...passDeps, config: small }, { only: ONLY });
    const failed = summary.slices.filter((s) => s.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error).toMatch(/more than the 10 one response may have \(DOCKERHUB_MAX_RESPONSE_BYTES\)/);
    expect(emulator.storage.downloads.length).toBe(downloads);
    // With the default cap the same report loads.
    expect((await pass()).failed).toBe(0);
    expect(emulator.storage.downloads.length).toBe(downloads + 1);
  });

  const today = () => new Date(startOfEmulatorDay()).toISOString().slice(0, 10);
  const reportRows = async (date: string) =>
    (await query<{ n: number; pulls: string }>(`SELECT count(*)::int AS n, coalesce(sum(pull_count), 0)::text AS pulls FROM dockerhub.pull_usage WHERE org = '${org}' AND cadence = 'daily' AND report_date = '${date}'`))[0]!;
  const pullsOn = (date: string) => {
    let sum = 0;
    for (const e of emulator.state.usage.events) if (e.namespace === org && new Date(e.atMs).toISOString().startsWith(date)) sum += e.count;
    return sum;
  };

  it('streams a large report from storage into the database, a batch at a time in one transaction, and keeps it whole when a later file has a bad row mid-file', async () => {
    // 60 000 rows (a CSV of about 1.6 MB), sent without Content-Length: the bytes are counted as they come.
    const day = today();
    emulator.state.usage.bulk(org, { date: day, repositories: 300, tags: 200, seed: 'large-report' });
    shift += DAY;
    emulator.storage.chunked = true;
    try {
      const summary = await pass();
      expect(summary.slices.filter((s) => s.status === 'failed'), JSON.stringify(summary.slices)).toEqual([]);
      expect(await reportRows(day)).toEqual({ n: 60_000, pulls: String(pullsOn(day)) });
      const [load] = await query<{ rows: number; error: string | null }>(`SELECT rows, error FROM dockerhub.pull_usage_loads WHERE org = '${org}' AND cadence = 'daily' AND date = '${day}'`);
      expect(load).toEqual({ rows: 60_000, error: null });

      // The file changes and its middle record (30 000, after 60 inserted batches) is bad: the
      // report is refused, the new rows rolled back and the loaded ones kept.
      const before = await reportRows(day);
      emulator.state.usage.corrupt(org, 'daily', day, 'bad-value');
      const refused = await pass();
      const failed = refused.slices.filter((s) => s.status === 'failed');
      expect(failed.map((s) => s.slice)).toEqual([`${org}/usage_pulls/daily/${day}`]);
      expect(failed[0]!.error).toMatch(/record \d+ was refused: column pull_count \(integer\): "not-a-number" is not an integer/);
      expect(await reportRows(day)).toEqual(before);
      const [refusal] = await query<{ error: string | null }>(`SELECT error FROM dockerhub.pull_usage_loads WHERE org = '${org}' AND cadence = 'daily' AND date = '${day}'`);
      expect(refusal!.error).toMatch(/not-a-number/);
      expect(emulator.storage.violations).toEqual([]);
    } finally {
      emulator.storage.chunked = false;
    }
  });

  it('stops a download that passes the response size cap as it streams, though its listing said less, and loads nothing of it', async () => {
    const day = today();
    pull(repositoriesOf(org)[0]!, 3);
    shift += DAY;
    expect((await runSync(passDeps, { only: ['pull_usage_reports'] })).failed).toBe(0);
    const [listed] = await query<{ size_bytes: number }>(`SELECT size_bytes::int FROM dockerhub.pull_usage_reports WHERE org = '${org}' AND cadence = 'daily' AND date = '${day}'`);
    // The file grows after it was listed, past the cap the listed size was checked against.
    emulator.state.usage.bulk(org, { date: day, repositories: 50, tags: 20, seed: 'grown' });
    expect(Buffer.byteLength(emulator.state.usage.csv(org, 'daily', day))).toBeGreaterThan(listed!.size_bytes + 10_000);
    const cap = listed!.size_bytes + 1000;
    const small = clientsWith(cap);
    emulator.storage.chunked = true;
    try {
      const config = { ...passDeps.config, hub: { ...passDeps.config.hub, maxResponseBytes: cap } };
      const summary = await runSync({ ...passDeps, config, clients: small, client: small.fallback.client }, { only: ['pull_usage'] });
      const failed = summary.slices.filter((s) => s.status === 'failed');
      expect(failed.map((s) => s.slice)).toEqual([`${org}/usage_pulls/daily/${day}`]);
      expect(failed[0]!.error).toMatch(new RegExp(`is larger than the ${cap} bytes one response may have \\(DOCKERHUB_MAX_RESPONSE_BYTES\\); the read was stopped`));
      expect(failed[0]!.error, 'a signed link stays out of messages').not.toMatch(/Signature/);
      expect(await reportRows(day)).toEqual({ n: 0, pulls: '0' });
      expect(emulator.storage.violations).toEqual([]);
    } finally {
      emulator.storage.chunked = false;
      await small.close();
    }
    // The next pass lists the new size and loads the report whole.
    expect((await pass()).failed).toBe(0);
    expect(await reportRows(day)).toEqual({ n: 1001, pulls: String(pullsOn(day)) });
  });
});
