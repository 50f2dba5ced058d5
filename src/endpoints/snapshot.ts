import type { z } from 'zod';
import type { PageShape, Query } from '../hub/types.js';
import type { EntitySpec, Row, SliceRun } from '../sync/context.js';
import { withLast } from '../sync/lookahead.js';

export interface SnapshotListOptions<S extends z.ZodType> {
  path: string;
  query?: Query;
  shape: PageShape;
  schema: S;
  spec: EntitySpec;
  /** Columns that bound the listing (e.g. { org }); rows of the scope missing from it are deleted. */
  scope: Record<string, unknown>;
  /** The key column that is not in the scope. */
  keyColumn: string;
  toRow(raw: Record<string, unknown>, parsed: z.output<S>): Row;
  pageSize?: number | null;
  endpointLabel: string;
}

/**
 * The small organization resources are full snapshots: read every page, upsert each page in
 * its own transaction, and only when the whole listing arrived without an invalid item mark
 * the rows it did not show as deleted (in the same transaction as the last page).
 */
export async function syncSnapshotList<S extends z.ZodType>(run: SliceRun, options: SnapshotListOptions<S>): Promise<void> {
  const seen = new Set<string>();
  let invalid = 0;
  const pages = run.deps.client.paginate({
    path: options.path,
    ...(options.query ? { query: options.query } : {}),
    shape: options.shape,
    endpoint: options.endpointLabel,
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
  });
  for await (const { value: page, last } of withLast(pages)) {
    run.pageFetched();
    await run.transaction(async (tx) => {
      const checked = await run.validate(tx, options.schema, page.items, page.url);
      invalid += checked.invalid;
      const rows = checked.valid.map((item) => options.toRow(item.raw, item.parsed));
      for (const row of rows) seen.add(String(row[options.keyColumn]));
      await run.upsert(tx, options.spec, rows);
      if (last) {
        if (invalid === 0) {
          await run.markMissing(tx, options.spec, options.scope, options.keyColumn, seen);
        } else {
          run.logger.warn(
            { invalid },
            'listing had invalid items; deletions are not decided from it (see sync_errors)',
          );
        }
        await run.setCursor(tx, { rows: seen.size, invalid }, { complete: invalid === 0 });
      }
    });
  }
}
