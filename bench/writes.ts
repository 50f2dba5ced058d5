/**
 * Writes: the sync's upsert path (read stored keys and hashes, diff, insert or update, record
 * `changes`) against the ceiling, a bare multi-row `INSERT … ON CONFLICT DO UPDATE` of the same
 * rows into the same database, page by page (100 tags and their images per transaction, as a
 * tag page is written). Both run twice, interleaved, and the better run of each counts: the
 * machine is shared, and the ratio is what matters.
 */
import { getTableColumns, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../src/db/client.js';
import type { EmulatorSnapshot } from '../src/emulator/index.js';
import { tagImageRows, tagRow } from '../src/endpoints/tags.js';
import { entities } from '../src/sync/entities.js';
import { upsertEntities, type EntitySpec, type Row } from '../src/sync/upsert.js';

export interface WriteFigures {
  rows: number;
  /** Bare multi-row INSERT … ON CONFLICT, rows/s. */
  bare: number;
  /** The sync's upsert path writing the same rows into empty tables, rows/s. */
  sync: number;
  /** The sync's upsert path over the same rows again, nothing changed (no rewrite), rows/s. */
  syncUnchanged: number;
  ratio: number;
}

interface Page {
  tags: Row[];
  images: Row[];
}

/** Tag pages of the emulator's repositories, repeated under other repository names until `wanted` tags. */
export function tagPages(snapshot: EmulatorSnapshot, wanted: number): Page[] {
  const pages: Page[] = [];
  let total = 0;
  for (let copy = 0; total < wanted; copy++) {
    for (const [key, tags] of Object.entries(snapshot.tags)) {
      const [namespace, name] = key.split('/') as [string, string];
      const repository = copy === 0 ? name : `${name}-${copy}`;
      for (let i = 0; i < tags.length && total < wanted; i += 100) {
        const raw = tags.slice(i, i + 100) as unknown as Record<string, unknown>[];
        pages.push({
          tags: raw.map((tag) => tagRow(namespace, repository, tag)),
          images: raw.flatMap((tag) => tagImageRows(namespace, repository, tag)),
        });
        total += raw.length;
      }
      if (total >= wanted) break;
    }
    if (Object.keys(snapshot.tags).length === 0) break;
  }
  return pages;
}

async function clear(database: Database): Promise<void> {
  await database.db.execute(sql`TRUNCATE dockerhub.tags, dockerhub.tag_images, dockerhub.changes`);
}

function bareInsert(tx: { insert: Database['db']['insert'] }, spec: EntitySpec, rows: Row[], now: string) {
  const columns = getTableColumns(spec.table);
  const values = rows.map((row) => ({ ...row, row_hash: '', first_seen_at: now, last_seen_at: now, deleted_at: null }));
  const dataColumns = Object.keys(values[0]!).filter((c) => c in columns && !spec.keys.includes(c) && c !== 'first_seen_at');
  const set = Object.fromEntries(dataColumns.map((c) => [c, sql.raw(`excluded."${c}"`)]));
  return tx
    .insert(spec.table as PgTable)
    .values(values as never)
    .onConflictDoUpdate({ target: spec.keys.map((k) => columns[k]!) as never, set: set as never });
}

async function timed(pages: Page[], write: (page: Page) => Promise<void>): Promise<number> {
  const rows = pages.reduce((n, page) => n + page.tags.length + page.images.length, 0);
  const started = performance.now();
  for (const page of pages) await write(page);
  return rows / ((performance.now() - started) / 1000);
}

export async function measureWrites(database: Database, pages: Page[]): Promise<WriteFigures> {
  const now = new Date().toISOString();
  const options = { runId: null, now, lastSeenGranularityMs: 86_400_000 };
  const bare = (page: Page) =>
    database.db.transaction(async (tx) => {
      await bareInsert(tx, entities.tags, page.tags, now);
      if (page.images.length > 0) await bareInsert(tx, entities.tagImages, page.images, now);
    });
  const upsert = (page: Page) =>
    database.db.transaction(async (tx) => {
      await upsertEntities(tx as never, entities.tags, page.tags, options);
      await upsertEntities(tx as never, entities.tagImages, page.images, options);
    });
  const best = { bare: 0, sync: 0, syncUnchanged: 0 };
  for (let round = 0; round < 2; round++) {
    await clear(database);
    best.bare = Math.max(best.bare, await timed(pages, bare));
    await clear(database);
    best.sync = Math.max(best.sync, await timed(pages, upsert));
    best.syncUnchanged = Math.max(best.syncUnchanged, await timed(pages, upsert));
  }
  await clear(database);
  const rows = pages.reduce((n, page) => n + page.tags.length + page.images.length, 0);
  return { rows, ...best, ratio: best.sync / best.bare };
}
