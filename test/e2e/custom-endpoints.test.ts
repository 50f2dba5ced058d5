import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { normalizeTimestamp } from '../../src/sync/hash.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestEmulator, syncEnv, type RunningEmulator } from '../support/emulator.js';

type Json = Record<string, unknown>;

async function query<T = Json>(target: TestDatabase, text: string): Promise<T[]> {
  return target.query<T>(text);
}

const ENDPOINTS = [
  {
    name: 'tag_pushes',
    path: '/v2/auditlogs/{org}',
    query: { action: 'repo.tag.push', from: '{now-7d}', to: '{now}' },
    pagination: 'logs',
    dataPath: '$.logs[*]',
    key: ['$.timestamp', '$.name', '$.data.tag'],
    cursor: '$.timestamp',
    columns: { timestamp: 'timestamptz', actor: 'text', name: 'text', tag: { type: 'text', path: '$.data.tag' } },
  },
  {
    name: 'repo_tags',
    path: '/v2/namespaces/{repositories.namespace}/repositories/{repositories.name}/tags',
    refreshWhen: 'repositories.last_updated',
    dataPath: '$.results[*]',
    metadataPath: '$.count',
    key: '$.name',
    columns: { name: 'text', full_size: 'bigint', last_updated: 'timestamptz', repository: { type: 'text', path: '_parent.name' } },
  },
];

describe('custom endpoints from the config file', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let dir: string;
  let configFile: string;
  let env: NodeJS.ProcessEnv;

  const cli = async (args: string[], file = configFile) => runCli([...args, '--config', file], { env });
  const sync = async (only: string) => {
    const result = await cli(['sync', '--only', only]);
    if (result.code !== 0) throw new Error(`sync exited ${result.code}\n${result.stdout}\n${result.stderr}`);
    return result;
  };
  const writeConfig = (name: string, config: unknown) => {
    const file = path.join(dir, name);
    writeFileSync(file, stringify(config));
    return file;
  };

  beforeAll(async () => {
    // Data dated up to now, so a window of the last 7 days holds events.
    emulator = await startTestEmulator({ epochMs: Date.now() });
    target = await createTestDatabase();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-custom-'));
    configFile = writeConfig('config.yaml', { endpoints: ENDPOINTS });
    env = syncEnv(emulator, target.env);
  });
  afterAll(async () => {
    await emulator?.close();
    await target?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lands exactly the audit events of one action in the window, and one request per live repository', async () => {
    const before = Date.now();
    emulator.requests.reset();
    await sync('repositories,tag_pushes,repo_tags');
    const after = Date.now();
    const snapshot = emulator.snapshot();

    // tag_pushes: the push events of the last 7 days, per organization, nothing else.
    const orgs = emulator.credentials.oat.map((o) => o.org);
    const stored = await query<{ slice_key: string; data: Json }>(target, `SELECT slice_key, data FROM dockerhub.custom_records WHERE endpoint = 'tag_pushes' AND deleted_at IS NULL`);
    const storedKeys = new Set(stored.map((r) => `${r.slice_key} ${normalizeTimestamp(r.data.timestamp)} ${String(r.data.name)} ${String((r.data.data as Json).tag)}`));
    const expected = new Set<string>();
    for (const org of orgs) {
      for (const event of snapshot.auditLogs[org] ?? []) {
        const at = Date.parse(String(event.timestamp));
        // Events right at the window's edge may fall either way (the CLI's "now" is between before and after).
        if (event.action !== 'repo.tag.push' || at < before - 7 * 86_400_000) continue;
        if (at < after - 7 * 86_400_000) continue;
        expected.add(`${org} ${normalizeTimestamp(event.timestamp)} ${event.name} ${String((event.data as Json).tag)}`);
      }
    }
    expect(expected.size).toBeGreaterThan(0);
    expect(stored.every((r) => r.data.action === 'repo.tag.push')).toBe(true);
    for (const key of expected) expect(storedKeys.has(key), key).toBe(true);
    expect(stored.length).toBe(expected.size);

    // repo_tags: one request per live repository (each has fewer than 100 tags: one page).
    const repos = Object.values(snapshot.repositories).flat();
    expect(Object.values(snapshot.tags).every((tags) => tags.length <= 100)).toBe(true);
    expect(emulator.requests.get('tags.list')).toBe(repos.length);
    const tagRows = await query<{ slice_key: string; record_key: string; data: Json; metadata: unknown; raw: Json }>(
      target,
      `SELECT slice_key, record_key, data, metadata, raw FROM dockerhub.custom_records WHERE endpoint = 'repo_tags'`,
    );
    const expectedTags = Object.entries(snapshot.tags).flatMap(([repo, tags]) => tags.map((tag) => ({ repo, tag })));
    expect(tagRows.length).toBe(expectedTags.length);
    // Data and metadata paths shape the record: the tag itself, the parent's fields under _parent, the page's count as metadata.
    const byKey = new Map(tagRows.map((r) => [`${r.slice_key}/${r.record_key}`, r]));
    for (const { repo, tag } of expectedTags) {
      const row = byKey.get(`${repo}/${tag.name}`);
      expect(row, `${repo}:${tag.name}`).toBeDefined();
      expect(row!.raw).toEqual(tag);
      const [namespace, name] = repo.split('/');
      expect(row!.data).toEqual({ ...tag, _parent: { namespace, name, last_updated: expect.anything() } });
      expect(row!.metadata).toBe(snapshot.tags[repo]!.length);
    }
  });

  it('gives each endpoint a view with the declared column types', async () => {
    const columns = await query<{ column_name: string; data_type: string }>(
      target,
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'dockerhub' AND table_name = 'custom_repo_tags' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => [c.column_name, c.data_type])).toEqual([
      ['record_key', 'text'],
      ['slice_key', 'text'],
      ['name', 'text'],
      ['full_size', 'bigint'],
      ['last_updated', 'timestamp with time zone'],
      ['repository', 'text'],
      ['data', 'jsonb'],
      ['metadata', 'jsonb'],
      ['first_seen_at', 'timestamp with time zone'],
      ['last_seen_at', 'timestamp with time zone'],
      ['deleted_at', 'timestamp with time zone'],
    ]);
    const rows = await query<{ name: string; full_size: string | number | null; last_updated: unknown; repository: string; slice_key: string }>(
      target,
      `SELECT name, full_size, last_updated, repository, slice_key FROM dockerhub.custom_repo_tags`,
    );
    const snapshot = emulator.snapshot();
    expect(rows.length).toBe(Object.values(snapshot.tags).flat().length);
    for (const row of rows) {
      const tag = snapshot.tags[row.slice_key]!.find((t) => t.name === row.name)!;
      expect(row.repository).toBe(row.slice_key.split('/')[1]);
      expect(row.full_size === null ? null : Number(row.full_size)).toBe(tag.full_size ?? null);
      const lastUpdated = row.last_updated instanceof Date ? row.last_updated.toISOString() : row.last_updated;
      expect(lastUpdated === null ? null : Date.parse(String(lastUpdated))).toBe(tag.last_updated ? Date.parse(tag.last_updated) : null);
    }
    const pushes = await query<{ n: number; typed: number }>(
      target,
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE pg_typeof(timestamp)::text = 'timestamp with time zone' AND tag IS NOT NULL)::int AS typed FROM dockerhub.custom_tag_pushes`,
    );
    expect(pushes[0]!.n).toBeGreaterThan(0);
    expect(pushes[0]!.typed).toBe(pushes[0]!.n);
  });

  it('leaves the custom views alone on a sync without --config, or with a config that has no endpoints section', async () => {
    const customViews = async () =>
      (await query<{ name: string }>(target, `SELECT table_name AS name FROM information_schema.views WHERE table_schema = 'dockerhub' AND table_name LIKE 'custom%' ORDER BY 1`)).map((v) => v.name);
    const before = await customViews();
    expect(before).toEqual(['custom_repo_tags', 'custom_tag_pushes']);
    const plain = await runCli(['sync', '--only', 'org_settings'], { env });
    expect(plain.code, plain.stderr).toBe(0);
    expect(await customViews()).toEqual(before);
    const other = writeConfig('no-endpoints.yaml', { schedules: { org_settings: '0 * * * *' } });
    const withConfig = await cli(['sync', '--only', 'org_settings'], other);
    expect(withConfig.code, withConfig.stderr).toBe(0);
    expect(await customViews()).toEqual(before);
    const rows = await query<{ n: number }>(target, `SELECT count(*)::int AS n FROM dockerhub.custom_repo_tags`);
    expect(rows[0]!.n).toBeGreaterThan(0);
  });

  it('writes no row on a second pass over unchanged data, and re-reads only repositories whose refreshWhen field moved', async () => {
    const state = async () =>
      query<{ records: string; changes: number }>(
        target,
        `SELECT (SELECT md5(string_agg(to_jsonb(r)::text, '' ORDER BY endpoint, slice_key, record_key)) FROM dockerhub.custom_records r) AS records,
                (SELECT count(*)::int FROM dockerhub.changes) AS changes`,
      );
    const first = await state();
    emulator.requests.reset();
    await sync('repositories,tag_pushes,repo_tags');
    expect(emulator.requests.get('tags.list')).toBe(0);
    expect(emulator.requests.get('auditlogs.list')).toBeGreaterThan(0);
    expect(await state()).toEqual(first);

    // A push to one repository moves its last_updated: only its tags are read again.
    const [namespace, repoName] = Object.keys(emulator.snapshot().tags)[0]!.split('/');
    const pushed = await fetch(`${emulator.url}/_emulator/repositories/${namespace}/${repoName}/tags`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'custom-e2e' }),
    });
    expect(pushed.status).toBe(201);
    emulator.requests.reset();
    await sync('repositories,repo_tags');
    expect(emulator.requests.get('tags.list')).toBe(1);
    const added = await query<{ n: number }>(
      target,
      `SELECT count(*)::int AS n FROM dockerhub.custom_records WHERE endpoint = 'repo_tags' AND slice_key = '${namespace}/${repoName}' AND record_key = 'custom-e2e'`,
    );
    expect(added[0]!.n).toBe(1);
    const inserts = await query<{ n: number }>(
      target,
      `SELECT count(*)::int AS n FROM dockerhub.changes WHERE entity = 'custom_records' AND op = 'insert' AND entity_key->>'record_key' = 'custom-e2e'`,
    );
    expect(inserts[0]!.n).toBe(1);
  });

  it('drops the view of an endpoint that left the config', async () => {
    const only = writeConfig('only-pushes.yaml', { endpoints: [ENDPOINTS[0]] });
    const result = await cli(['sync', '--only', 'tag_pushes'], only);
    expect(result.code, result.stderr).toBe(0);
    const views = await query<{ name: string }>(target, `SELECT table_name AS name FROM information_schema.views WHERE table_schema = 'dockerhub' AND table_name LIKE 'custom%' ORDER BY 1`);
    expect(views.map((v) => v.name)).toEqual(['custom_tag_pushes']);
  });

  it('status lists the custom endpoints', async () => {
    const result = await cli(['status']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^repo_tags\s/m);
    expect(result.stdout).toMatch(/^tag_pushes\s/m);
  });

  it('reports every problem of the endpoints section at once, naming each key', async () => {
    const bad = writeConfig('bad.yaml', {
      endpoints: [
        { name: 'Bad Name', path: '/v2/orgs/{org}/members' },
        { name: 'x1', path: '/v2/{orgg}/members', dataPath: '$.results[' },
        { name: 'x2', path: 'https://elsewhere.example.com/v2/x' },
        { name: 'x3', path: '/v2/namespaces/{repositories.namespace}/repositories/{repositories.nam}', columns: { size: 'varchar' } },
        { name: 'x4', path: '/v2/{x5.id}', columns: { id: 'text' } },
        { name: 'x5', path: '/v2/{x4.id}', columns: { id: 'text' } },
        { name: 'repositories', path: '/v2/x', schedule: 'every day' },
        { name: 'x6', path: '/v2/{unknownparent.id}', refreshWhen: 'repositories.last_updated' },
        { name: 'records', path: '/v2/x' },
        { name: 'tags', path: '/v2/y' },
      ],
    });
    const result = await cli(['sync'], bad);
    expect(result.code).toBe(2);
    const lines = result.stderr;
    expect(lines).toContain(`endpoints[0].name in ${bad}: "Bad Name" is not a usable name`);
    expect(lines).toContain(`endpoints[1].path in ${bad}: {orgg}: unknown macro "orgg"`);
    expect(lines).toContain(`endpoints[1].dataPath in ${bad}: "$.results[" is not a JSONPath`);
    expect(lines).toContain(`endpoints[2].path in ${bad}: "https://elsewhere.example.com/v2/x" goes to elsewhere.example.com`);
    expect(lines).toContain(`endpoints[3].path in ${bad}: {repositories.nam}: unknown field "nam" of repositories`);
    expect(lines).toContain(`endpoints[3].columns.size in ${bad}: "varchar" is not a column type`);
    expect(lines).toMatch(/endpoints\[4\]\.path in .*: parents form a cycle: x4 → x5 → x4/);
    expect(lines).toContain(`endpoints[6].name in ${bad}: "repositories" is a built-in endpoint`);
    expect(lines).toContain(`endpoints[6].schedule in ${bad}: "every day" is not a usable cron expression`);
    expect(lines).toContain(`endpoints[7].path in ${bad}: {unknownparent.id}: unknown parent "unknownparent"`);
    expect(lines).toContain(`endpoints[8].name in ${bad}: "records" would name its view dockerhub.custom_records, which is a table of dockerhub-sync; choose another name`);
    expect(lines).toContain(`endpoints[9].name in ${bad}: "tags" is a built-in endpoint`);
  });

  it('test-endpoint --path prints the expanded URL, records and $.results[*] among the suggested data paths', async () => {
    const namespace = emulator.credentials.oat[0]!.org;
    emulator.requests.reset();
    const result = await cli(['test-endpoint', '--path', '/v2/namespaces/{namespace}/repositories', '--query', 'page_size=2', '--namespace', namespace, '--metadata-path', '$.count']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`GET ${emulator.url}/v2/namespaces/${namespace}/repositories?page_size=2 → 200`);
    expect(result.stdout).toMatch(/^ {2}\$\.results\[\*\] {2}\(2 item\(s\); fields: /m);
    expect(result.stdout).toContain(`Metadata ($.count):\n${emulator.snapshot().repositories[namespace]!.length}`);
    expect(result.stdout).toContain('Nothing was written.');
    expect(emulator.requests.get('repositories.list')).toBe(1);

    const positional = await cli(['test-endpoint', '/v2/orgs/{org}/members', '--namespace', namespace, '--data-path', '$.results[*]', '--limit', '1']);
    expect(positional.code, positional.stderr).toBe(0);
    expect(positional.stdout).toContain(`GET ${emulator.url}/v2/orgs/${namespace}/members → 200`);
    expect(positional.stdout).toContain('Data path: $.results[*]');
    const typo = await cli(['test-endpoint', '--path', '/v2/orgs/{orgg}/members']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('--path: {orgg}: unknown macro "orgg"');

    const configured = await cli(['test-endpoint', 'tag_pushes', '--limit', '1']);
    expect(configured.code, configured.stderr).toBe(0);
    expect(configured.stdout).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/v2\/auditlogs\/[a-z0-9-]+\?action=repo\.tag\.push&from=\d{4}-\d{2}-\d{2}T[^&]+&to=\d{4}-\d{2}-\d{2}T\S+ → 200/);
    expect(configured.stdout).toContain('$.logs[*]');
  });
  it('serve schedules a custom endpoint like a built-in, and makes its view', async () => {
    const file = writeConfig('serve.yaml', {
      // Built-in jobs far away: only the custom endpoint's schedule matters here.
      schedules: { repositories: '0 0 1 1 *', audit_logs: '0 0 1 1 *', audit_log_actions: '0 0 1 1 *', organization: '0 0 1 1 *', watched_tags: '0 0 1 1 *' },
      endpoints: [{ name: 'served_members', path: '/v2/orgs/{org}/members', key: '$.username', columns: { username: 'text' }, schedule: '*/2 * * * * *' }],
    });
    // Wait for serve to say a slice of the custom endpoint succeeded, stop it, then look: the
    // embedded database cannot be opened while serve holds it, so the check comes after the exit.
    let child: ChildProcess | undefined;
    let finished!: () => void;
    const served = new Promise<void>((resolve) => (finished = resolve));
    let log = '';
    const exited = runCli(['serve', '--config', file], {
      env: { ...env, PORT: '0', LOG_LEVEL: 'info' },
      onSpawn: (spawned) => {
        child = spawned;
        spawned.stderr?.on('data', (chunk: Buffer) => {
          log += chunk.toString();
          for (const line of log.split('\n')) {
            if (line.includes('"slice finished"') && line.includes('"served_members"') && line.includes('"status":"succeeded"')) finished();
          }
        });
      },
    });
    try {
      await Promise.race([
        served,
        exited.then((early) => {
          throw new Error(`serve exited (${String(early.code)}) before a served_members slice succeeded: ${early.stderr.slice(-2000)}`);
        }),
      ]);
    } finally {
      child?.kill('SIGTERM');
    }
    const result = await exited;
    expect(result.stderr).not.toMatch(/"level":(50|60)/);
    const found = await query<{ n: number }>(target, `SELECT count(*)::int AS n FROM dockerhub.custom_records WHERE endpoint = 'served_members'`);
    const rows = found[0]!.n;
    expect(rows).toBeGreaterThan(0);
    const view = await query<{ n: number }>(target, `SELECT count(*)::int AS n FROM dockerhub.custom_served_members WHERE username IS NOT NULL`);
    expect(view[0]!.n).toBe(rows);
  });

  it('endpoints show prints every built-in as an entry the config takes; a copied one reads what the built-in reads', async () => {
    const listed = await cli(['endpoints', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    const builtins = [...listed.stdout.matchAll(/^([a-z_]+)\s+built-in\s/gm)].map((match) => match[1]!);
    expect(builtins).toContain('watched_tags');
    // `endpoints show` reads only the config (no database, no request): one child per built-in, side by side.
    const shown = await Promise.all(builtins.map((name) => cli(['endpoints', 'show', name])));
    const entries: Record<string, unknown>[] = [];
    for (const [i, name] of builtins.entries()) {
      const { code, stdout, stderr } = shown[i]!;
      expect(code, `${name}: ${stderr}`).toBe(0);
      const parsed = parse(stdout) as { endpoints: Record<string, unknown>[] };
      expect(parsed.endpoints.map((entry) => entry.name), name).toEqual([`my_${name}`]);
      entries.push(...parsed.endpoints);
    }
    const copies = writeConfig('copies.yaml', { endpoints: entries });
    const loaded = await cli(['endpoints', 'list'], copies);
    expect(loaded.code, loaded.stderr).toBe(0);
    for (const name of builtins) expect(loaded.stdout).toMatch(new RegExp(`^my_${name}\\s+custom\\s`, 'm'));

    const result = await cli(['sync', '--only', 'org_members,my_org_members'], copies);
    expect(result.code, result.stderr).toBe(0);
    const counts = await query<{ builtin: number; copy: number }>(
      target,
      `SELECT (SELECT count(*)::int FROM dockerhub.org_members WHERE deleted_at IS NULL) AS builtin,
              (SELECT count(*)::int FROM dockerhub.custom_records WHERE endpoint = 'my_org_members' AND deleted_at IS NULL) AS copy`,
    );
    expect(counts[0]!.copy).toBeGreaterThan(0);
    expect(counts[0]!.copy).toBe(counts[0]!.builtin);
  });
});
