import { sql } from 'drizzle-orm';
import { describe, expect, inject, it } from 'vitest';
import { rowsOf } from '../../../src/db/client.js';
import { readStoredRepositories } from '../../../src/endpoints/repositories.js';
import type { Executor } from '../../../src/sync/context.js';
import { chainedPasses } from '../../support/chained-passes.js';
import { waitFor } from '../../support/wait.js';

const HOUR_MS = 3_600_000;
const onPglite = inject('dbBackend') === 'pglite';

/**
 * What the chained endpoints read for which repository is their own state (sync_state, slice
 * `namespace/name`), not marks in the list's table or a map carried through the pass.
 */
describe('chaining state of repository details and tags', () => {
  const passes = chainedPasses(['repositories', 'repository_details', 'tags'], { seed: 23, start: Date.parse('2026-06-01T00:00:00Z') });
  const pass = (options: { dryRun?: boolean } = {}) => passes.pass(options);
  const rows = async <T>(statement: ReturnType<typeof sql>) => rowsOf<T>(await passes.database.db.execute(statement));
  const tableState = async () =>
    rows<{ n: string }>(sql`
      SELECT (SELECT count(*) FROM dockerhub.repositories) || '/' || (SELECT count(*) FROM dockerhub.tags WHERE deleted_at IS NULL)
        || '/' || (SELECT coalesce(max(updated_at)::text, '') FROM dockerhub.sync_state) || '/' || (SELECT count(*) FROM dockerhub.changes) AS n`);

  it('keeps, per live repository, what its detail and its tags were read for in sync_state', async () => {
    const state = await rows<{ namespace: string; name: string; last_updated: string | null; changed: string | null; pull_count: string | null; tags: string; details: unknown; tag_state: unknown }>(sql`
      SELECT r.namespace, r.name, r.last_updated::text, coalesce(r.last_modified, r.last_updated)::text AS changed, r.pull_count::text,
        (SELECT count(*) FROM dockerhub.tags t WHERE t.namespace = r.namespace AND t.repository = r.name AND t.deleted_at IS NULL)::text AS tags,
        d.cursor AS details, s.cursor AS tag_state
      FROM dockerhub.repositories r
      LEFT JOIN dockerhub.sync_state d ON d.endpoint = 'repository_details' AND d.slice_key = r.namespace || '/' || r.name
      LEFT JOIN dockerhub.sync_state s ON s.endpoint = 'tags' AND s.slice_key = r.namespace || '/' || r.name
      WHERE r.deleted_at IS NULL`);
    expect(state.length).toBeGreaterThan(3);
    const instant = (value: unknown) => (value === null || value === undefined ? null : new Date(String(value)).getTime());
    for (const repo of state) {
      const details = repo.details as { for: string | null };
      const tags = repo.tag_state as { read: { last_updated: string | null; pull_count: number | null; tags: number } };
      expect(instant(details.for), `${repo.namespace}/${repo.name}`).toBe(instant(repo.changed));
      expect(instant(tags.read.last_updated), `${repo.namespace}/${repo.name}`).toBe(instant(repo.last_updated));
      expect(tags.read.pull_count).toBe(repo.pull_count === null ? null : Number(repo.pull_count));
      expect(tags.read.tags).toBe(Number(repo.tags));
    }
  });

  it('a dry run after a push reads the tags of that repository only, from what its list wrote in the pass, and keeps nothing', async () => {
    const snapshot = passes.emulator.snapshot({ tags: false });
    const namespace = snapshot.orgs[0]!;
    const repository = snapshot.repositories[namespace]![0]!.name;
    passes.emulator.state.addTag(namespace, repository, 'dry-run-push');
    passes.advance(HOUR_MS);
    const before = await tableState();
    const { counts, summary } = await pass({ dryRun: true });
    expect(counts['tags.list']).toBe(1);
    const tags = summary.slices.filter((slice) => slice.endpoint === 'tags');
    expect(tags.map((slice) => slice.slice)).toEqual([`${namespace}/${repository}`]);
    expect(tags[0]!.inserted).toBeGreaterThan(0);
    expect(await tableState()).toEqual(before);

    // The real pass does the same, and then the work is done.
    const real = await pass();
    expect(real.counts['tags.list']).toBe(1);
    expect(real.summary.slices.filter((slice) => slice.endpoint === 'tags').map(({ slice, inserted, updated, deleted }) => ({ slice, inserted, updated, deleted }))).toEqual(
      tags.map(({ slice, inserted, updated, deleted }) => ({ slice, inserted, updated, deleted })),
    );
    passes.advance(HOUR_MS);
    const settled = await pass();
    expect(settled.counts['tags.list'] ?? 0).toBe(0);
    expect(settled.counts['repositories.get'] ?? 0).toBe(0);
  });

  it('reads the tags again of a repository that came back after a listing took it and its tags away', async () => {
    const snapshot = passes.emulator.snapshot();
    const [key, listed] = Object.entries(snapshot.tags).find(([, list]) => list.length >= 2 && list.length <= 100)!;
    const [namespace, repository] = key.split('/') as [string, string];
    // What a complete listing that missed the repository leaves behind: it and its tags deleted.
    await passes.database.db.execute(sql`UPDATE dockerhub.repositories SET deleted_at = now() WHERE namespace = ${namespace} AND name = ${repository}`);
    await passes.database.db.execute(sql`UPDATE dockerhub.tags SET deleted_at = now() WHERE namespace = ${namespace} AND repository = ${repository}`);
    passes.advance(HOUR_MS);
    const { counts, summary } = await pass();
    expect(summary.slices.filter((slice) => slice.endpoint === 'tags').map((slice) => slice.slice)).toEqual([key]);
    // Nothing was pushed or pulled: only the tags the table lost make them due.
    expect(counts['tags.list']).toBe(1);
    const live = await rows<{ name: string }>(sql`
      SELECT name FROM dockerhub.tags WHERE namespace = ${namespace} AND repository = ${repository} AND deleted_at IS NULL ORDER BY name`);
    expect(live.map((tag) => tag.name)).toEqual(listed.map((tag) => tag.name).sort());
    passes.advance(HOUR_MS);
    expect((await pass()).counts['tags.list'] ?? 0).toBe(0);
  });

  // Needs a server: the second merge waits on a row lock in another connection, seen in pg_stat_activity; PGlite has one connection.
  it.skipIf(onPglite)('the list and the detail merge a stored row one at a time: neither writes over what the other committed', async () => {
    const [{ namespace, name } = { namespace: '', name: '' }] = await rows<{ namespace: string; name: string }>(
      sql`SELECT namespace, name FROM dockerhub.repositories WHERE deleted_at IS NULL ORDER BY namespace, name LIMIT 1`,
    );
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let firstRead!: () => void;
    const readFirst = new Promise<void>((resolve) => (firstRead = resolve));
    // The first merge (a detail) reads the row, then writes a field of its own and commits.
    const first = passes.database.db.transaction(async (tx) => {
      const stored = (await readStoredRepositories(tx as unknown as Executor, namespace, [name])).get(name)!;
      firstRead();
      await released;
      await tx.execute(sql`
        UPDATE dockerhub.repositories SET raw = ${JSON.stringify({ ...stored.raw, full_description: 'written by the first' })}::jsonb
        WHERE namespace = ${namespace} AND name = ${name}`);
    });
    await readFirst;
    // The second (a list page) must read what the first commits, not what was there before.
    let secondDone = false;
    const second = passes.database.db
      .transaction(async (tx) => (await readStoredRepositories(tx as unknown as Executor, namespace, [name])).get(name)!)
      .finally(() => (secondDone = true));
    const seen = await waitFor(
      'the second merge to wait for the first, or to read without waiting',
      async () => {
        if (secondDone) return 'read without waiting';
        const waiting = await rows<{ n: number }>(sql`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'`);
        return waiting[0]!.n > 0 ? 'waiting' : undefined;
      },
      60_000,
      50,
    ).finally(release);
    expect(seen).toBe('waiting');
    await first;
    expect((await second).raw.full_description).toBe('written by the first');
  });

  it.runIf(onPglite)('on the embedded database a merge that starts while another holds the row reads what that one commits', async () => {
    const [{ namespace, name } = { namespace: '', name: '' }] = await rows<{ namespace: string; name: string }>(
      sql`SELECT namespace, name FROM dockerhub.repositories WHERE deleted_at IS NULL ORDER BY namespace, name LIMIT 1`,
    );
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let firstRead!: () => void;
    const readFirst = new Promise<void>((resolve) => (firstRead = resolve));
    const order: string[] = [];
    const first = passes.database.db.transaction(async (tx) => {
      const stored = (await readStoredRepositories(tx as unknown as Executor, namespace, [name])).get(name)!;
      firstRead();
      await released;
      await tx.execute(sql`
        UPDATE dockerhub.repositories SET raw = ${JSON.stringify({ ...stored.raw, full_description: 'written by the embedded first' })}::jsonb
        WHERE namespace = ${namespace} AND name = ${name}`);
      order.push('first committed');
    });
    await readFirst;
    // One connection runs one transaction at a time: the second merge begins once the first has ended.
    const second = passes.database.db.transaction(async (tx) => {
      order.push('second read');
      return (await readStoredRepositories(tx as unknown as Executor, namespace, [name])).get(name)!;
    });
    release();
    await first;
    expect((await second).raw.full_description).toBe('written by the embedded first');
    expect(order).toEqual(['first committed', 'second read']);
  });
});
