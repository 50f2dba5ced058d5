/**
 * The performance report: every figure of DESIGN.md's "Performance targets", measured against
 * the emulator, with its target and pass/fail.
 *
 *   npm run bench                     # default size (under 15 minutes on 2 cores)
 *   npm run bench -- --quick          # a first look (a minute or two)
 *   npm run -s bench -- --json > a.json  # the same figures as JSON, to compare runs
 *   npm run bench -- --quick --only freshness   # push → SQL latency (by default and with a webhook) and the daily cost of freshness (bench/freshness.ts)
 *   npm run bench -- --quick --only webhook     # the webhook variant alone (bench/webhook.ts)
 *   npm run bench -- --only usage-memory        # peak memory loading a pull-usage report of 20k and 200k rows (bench/usage-memory.ts)
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench npm run bench
 *
 * BENCH_DATABASE_URL names a database the benchmark may wipe (it drops the `dockerhub` and
 * `drizzle` schemas); without it the sync runs on embedded PGlite and the Postgres write figure
 * is skipped.
 */
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { hubClientFromConfig } from '../src/commands/hub.js';
import { loadConfig, type Config } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { startEmulator } from '../src/emulator/index.js';
import { renderTable } from '../src/format.js';
import { createLogger } from '../src/logger.js';
import { dailyCost, type AccountModel } from './daily-cost.js';
import { freshnessReport, freshnessVariants, type FreshnessReport } from './freshness.js';
import { measureMemory, type MemoryFigures } from './memory.js';
import { measurePacing } from './pacing.js';
import { measureUsageMemory, type UsageMemoryFigures } from './usage-memory.js';
import { changedPassMinimum, firstPassMinimum, listPages, measurePass, mutate, repositoryFacts, type PassFigures } from './requests.js';
import { WEBHOOK } from './webhook.js';
import { measureWrites, tagPages, type WriteFigures } from './writes.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});
const quick = Boolean(values.quick);
const seed = Number(values.seed);
const sections = new Set((values.only ?? 'requests,pacing,writes,memory,usage-memory,daily,freshness,webhook').split(',').map((s) => s.trim()));
const size = quick
  ? { requestScale: 4, writeTags: 1_500, memory: [5, 45], memoryBoxSeconds: 45, usageRows: [10_000, 100_000] }
  : { requestScale: 8, writeTags: 4_000, memory: [45, 250], memoryBoxSeconds: 150, usageRows: [20_000, 200_000] };
const benchUrl = process.env.BENCH_DATABASE_URL;
const logger = createLogger({ level: 'warn', pretty: false });
const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);
const startedAt = performance.now();

interface Figure {
  figure: string;
  measured: string;
  target: string;
  pass: boolean | null;
  value: number | null;
}
const figures: Figure[] = [];
const add = (figure: string, value: number | null, measured: string, target: string, pass: boolean | null) =>
  figures.push({ figure, measured, target, pass, value });
const fmt = (n: number, digits = 2) => n.toFixed(digits);

async function freshDatabase(url: string | undefined): Promise<Database> {
  const database = url ? await openDatabase({ url }) : await openDatabase({ memory: true });
  if (url) {
    await database.db.execute(sql`DROP SCHEMA IF EXISTS dockerhub CASCADE`);
    await database.db.execute(sql`DROP SCHEMA IF EXISTS drizzle CASCADE`);
  }
  await migrateDatabase(database);
  return database;
}

function configFor(url: string, credentials: { username: string; password: string; oat: { org: string }[] }, extra: Record<string, unknown> = {}): Config {
  return loadConfig({
    env: {},
    overrides: {
      'hub.apiUrl': url,
      'hub.username': credentials.username,
      'hub.password': credentials.password,
      namespaces: [credentials.username, ...credentials.oat.map((o) => o.org)],
      logLevel: 'warn',
      ...extra,
    },
  });
}

const report: {
  size: string;
  database: string;
  node: string;
  passes?: PassFigures[];
  mutation?: string;
  pacing?: Awaited<ReturnType<typeof measurePacing>>;
  writes?: Record<string, WriteFigures | null>;
  memory?: MemoryFigures[];
  usageMemory?: UsageMemoryFigures[];
  daily?: { model: AccountModel; before: ReturnType<typeof dailyCost>; after: ReturnType<typeof dailyCost> };
  freshness?: Omit<FreshnessReport, 'lines' | 'figures'>;
  figures: Figure[];
  seconds?: number;
} = { size: quick ? 'quick' : 'default', database: benchUrl ? 'postgres' : 'pglite', node: process.version, figures };

let fixedPerPass = 20;
let tagPagesPerRepository = 1;

if (sections.has('requests') || sections.has('pacing')) {
  const emulator = await startEmulator({ seed, scale: size.requestScale });
  const database = await freshDatabase(benchUrl);
  const config = (url: string, extra: Record<string, unknown> = {}) => configFor(url, emulator.credentials, extra);
  const client = hubClientFromConfig(config(emulator.url), logger);
  const ctx = { emulator, database, client, logger };
  try {
    const facts = repositoryFacts(emulator);
    tagPagesPerRepository =
      [...facts.repos.values()].reduce((n, repo) => n + Math.max(1, Math.ceil(repo.tags / 100)), 0) / Math.max(1, facts.repos.size);
    progress(`first pass: scale ${size.requestScale}, ${facts.repos.size} repositories, ${report.database}`);
    const first = await measurePass(ctx, config(emulator.url), 'first pass', firstPassMinimum(facts));
    progress('unchanged pass');
    const unchanged = await measurePass(ctx, config(emulator.url), 'unchanged pass', listPages(facts));
    fixedPerPass = unchanged.other;
    progress('"fresh" pass');
    const fresh = await measurePass(ctx, config(emulator.url, { 'sync.repositoryListInterval': '1h' }), '"fresh" pass, nothing pushed', facts.namespaces.size);
    const mutation = mutate(emulator, facts, { pushed: 3, pulled: 5 });
    const after = repositoryFacts(emulator);
    progress(`pass after a mutation (${mutation})`);
    const mutated = await measurePass(ctx, config(emulator.url), 'after a mutation', changedPassMinimum(facts, after));
    report.passes = [first, unchanged, fresh, mutated];
    report.mutation = mutation;
    for (const pass of report.passes) {
      add(`requests ÷ minimum: ${pass.pass}`, pass.ratio, `${pass.requests} / ${pass.minimum} = ${fmt(pass.ratio)}`, '1.00', pass.requests === pass.minimum);
    }

    if (sections.has('pacing')) {
      const rate = (first.requests + first.other) / first.seconds;
      progress(`pacing: a --full pass at 180 requests a minute (unpaced ${fmt(rate, 0)} requests/s)`);
      report.pacing = await measurePacing({ seed, scale: size.requestScale, database, config: (url) => config(url), logger, unpacedRequestsPerSecond: rate });
      const p = report.pacing;
      add('paced time ÷ (requests ÷ limit)', p.ratio, `${fmt(p.seconds, 0)} s / ${fmt(p.idealSeconds, 0)} s = ${fmt(p.ratio)}`, '≤ 1.05', p.ratio <= 1.05);
      add('429 after the first window', p.tooManyAfterFirstWindow, `${p.tooManyAfterFirstWindow} (${p.tooManyRequests} in all)`, '0', p.tooManyAfterFirstWindow === 0);
    }
  } finally {
    await client.close();
    await database.close();
    await emulator.close();
  }
}

if (sections.has('writes')) {
  const emulator = await startEmulator({ seed, scale: Math.max(1, size.writeTags / 950) });
  const pages = tagPages(emulator.snapshot(), size.writeTags);
  await emulator.close();
  report.writes = {};
  for (const kind of ['postgres', 'pglite'] as const) {
    if (kind === 'postgres' && !benchUrl) {
      report.writes[kind] = null;
      add('upsert ÷ bare INSERT rows/s, postgres', null, 'skipped: set BENCH_DATABASE_URL', '≥ 0.80', null);
      continue;
    }
    progress(`writes: ${size.writeTags} tags and their images, ${kind}`);
    const database = await freshDatabase(kind === 'postgres' ? benchUrl : undefined);
    try {
      const w = await measureWrites(database, pages);
      report.writes[kind] = w;
      add(`upsert ÷ bare INSERT rows/s, ${kind}`, w.ratio, `${fmt(w.sync, 0)} / ${fmt(w.bare, 0)} = ${fmt(w.ratio)}`, '≥ 0.80', w.ratio >= 0.8);
    } finally {
      await database.close();
    }
  }
}

if (sections.has('memory')) {
  report.memory = [];
  for (const scale of size.memory) {
    const emulator = await startEmulator({ seed, scale });
    const facts = repositoryFacts(emulator);
    await emulator.close();
    const accountTags = [...facts.repos.values()].reduce((n, repo) => n + repo.tags, 0);
    progress(`memory: sync of ${accountTags} tags in a child process (at most ${size.memoryBoxSeconds} s)`);
    const m = await measureMemory({ scale, seed, accountTags, databaseUrl: benchUrl, timeBoxSeconds: size.memoryBoxSeconds });
    report.memory.push(m);
    const scope = `${m.tagsWritten} tags written in ${fmt(m.seconds, 0)} s${m.complete ? ', complete' : ', time-boxed'}`;
    add(`peak RSS, ${Math.round(accountTags / 1000)}k tags`, m.peakRssMb, `${fmt(m.peakRssMb, 0)} MB (${scope})`, '≤ 300 MB', m.peakRssMb <= 300);
  }
  const [small, large] = report.memory;
  if (small && large) {
    const growth = large.peakRssMb / small.peakRssMb;
    add('peak RSS growth, larger ÷ smaller account', growth, fmt(growth), '≤ 1.20 (flat)', growth <= 1.2);
  }
}

if (sections.has('usage-memory')) {
  report.usageMemory = [];
  for (const rows of size.usageRows) {
    progress(`usage-memory: a pull-usage report of ${rows} rows loaded by the CLI in a child process, ${report.database}`);
    const u = await measureUsageMemory({ seed, repositories: rows / 200, tags: 200, databaseUrl: benchUrl });
    report.usageMemory.push(u);
    const scope = `live heap ${fmt(u.peakLiveHeapMb, 0)} MB, heap in use ${fmt(u.peakHeapMb, 0)} MB; ${fmt(u.reportBytes / 1024 / 1024, 1)} MB CSV, ${u.rowsLoaded} rows in ${fmt(u.seconds, 1)} s`;
    add(`peak RSS, pull-usage report of ${Math.round(rows / 1000)}k rows`, u.peakRssMb, `${fmt(u.peakRssMb, 0)} MB (${scope})`, '≤ 300 MB', u.peakRssMb <= 300);
  }
  const [small, large] = report.usageMemory;
  if (small && large) {
    // RSS and the heap in use follow V8's lazy collection (they grow with the rows allocated meanwhile); the live heap is what the load holds.
    const growth = large.peakLiveHeapMb / small.peakLiveHeapMb;
    const rss = large.peakRssMb / small.peakRssMb;
    add('peak live heap growth, 10× the report rows', growth, `${fmt(growth)} (RSS ${fmt(rss)}, heap in use ${fmt(large.peakHeapMb / small.peakHeapMb)})`, '≤ 1.20 (flat)', growth <= 1.2);
  }
}

if (sections.has('daily')) {
  const model: AccountModel = {
    repositories: 10_000,
    namespaces: 1,
    pulledPerHour: 50,
    pushedPerHour: 5,
    tagPagesPerRepository,
    fixedPerPass,
    passesPerDay: 24,
    completeListingEveryHours: 6,
    limitPerMinute: 180,
  };
  const before = dailyCost(model, 'before');
  const after = dailyCost(model, 'after');
  report.daily = { model, before, after };
  add(
    'modelled daily cost (requests, budget minutes)',
    after.requestsPerDay,
    `${before.requestsPerDay} → ${after.requestsPerDay}; ${fmt(before.budgetMinutesPerDay, 0)} → ${fmt(after.budgetMinutesPerDay, 0)} min`,
    'tag reads follow activity',
    after.tagRequests < before.tagRequests,
  );
}

let freshnessLines: string[] = [];
// The webhook is a freshness variant; `--only webhook` measures it alone.
if (sections.has('freshness') || sections.has('webhook')) {
  const variants = sections.has('freshness') ? freshnessVariants : [WEBHOOK];
  const fresh = await freshnessReport({ quick, seed, database: () => freshDatabase(benchUrl), logger, progress, tagPagesPerRepository, variants });
  for (const f of fresh.figures) add(f.figure, f.value, f.measured, f.target, f.pass);
  const { lines, figures: _figures, ...rest } = fresh;
  report.freshness = rest;
  freshnessLines = lines;
}

report.seconds = (performance.now() - startedAt) / 1000;

if (values.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const verdict = (f: Figure) => (f.pass === null ? 'n/a' : f.pass ? 'pass' : 'FAIL');
  const out: string[] = [
    `dockerhub-sync performance report (${report.size} size, ${report.database}, Node ${process.version}, ${fmt(report.seconds, 0)} s)`,
    '',
    renderTable(['figure', 'measured', 'target', 'result'], figures.map((f) => [f.figure, f.measured, f.target, verdict(f)])),
  ];
  if (report.passes) {
    out.push('', `Requests per pass (emulator scale ${size.requestScale}; mutation: ${report.mutation}); "other" = login, organization listings, audit windows:`);
    out.push(
      renderTable(
        ['pass', 'repository requests', 'minimum', 'other', 'seconds', 'rows written'],
        report.passes.map((p) => [p.pass, p.requests, p.minimum, p.other, fmt(p.seconds, 1), p.rowsWritten]),
      ),
    );
  }
  if (report.pacing) {
    const p = report.pacing;
    out.push('', `Pacing: ${p.requests} requests at ${p.limitPerMinute}/min, emulated clock ${p.speed}× the wall clock (a window lasts ${fmt(60 / p.speed, 1)} s).`);
  }
  if (report.writes) {
    out.push('', 'Writes (rows/s, tags and their images, one transaction per 100 tags; best of two):');
    out.push(
      renderTable(
        ['database', 'rows', 'bare INSERT … ON CONFLICT', 'upsert path', 'upsert path, unchanged rows', 'ratio'],
        Object.entries(report.writes).map(([kind, w]) =>
          w ? [kind, w.rows, fmt(w.bare, 0), fmt(w.sync, 0), fmt(w.syncUnchanged, 0), fmt(w.ratio)] : [kind, '-', '-', '-', '-', 'skipped'],
        ),
      ),
    );
  }
  if (report.daily) {
    const { model, before, after } = report.daily;
    out.push(
      '',
      `Daily request cost, modelled: ${model.repositories} repositories, ${model.pulledPerHour} pulled and ${model.pushedPerHour} pushed an hour, ` +
        `hourly passes, complete list every ${model.completeListingEveryHours} h ("fresh" list in between), ` +
        `${fmt(model.tagPagesPerRepository)} tag pages a repository, ${model.fixedPerPass} fixed requests a pass, ${model.limitPerMinute} requests/min:`,
    );
    out.push(
      renderTable(
        ['rule', 'list', 'details', 'tags', 'fixed', 'requests/day', 'budget min/day'],
        [before, after].map((c) => [c.rule, c.listRequests, c.detailRequests, c.tagRequests, c.fixedRequests, c.requestsPerDay, fmt(c.budgetMinutesPerDay, 0)]),
      ),
    );
  }
  if (freshnessLines.length > 0) out.push('', ...freshnessLines);
  out.push('', 'Timings depend on the machine and whatever else runs on it; compare runs on the same machine.');
  process.stdout.write(`${out.join('\n')}\n`);
}
