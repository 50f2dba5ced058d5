import type { z } from 'zod';
import type { PageShape, Query } from '../hub/types.js';
import type { EntitySpec, Row, SliceRun } from '../sync/context.js';
import type { EndpointDefinition } from './types.js';
import { deletionsAllowed } from '../sync/completeness.js';
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
 * its own transaction, and only when the listing is proven complete and had no invalid item mark
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
  for await (const { value: page, last, end } of withLast(pages)) {
    run.pageFetched();
    await run.transaction(async (tx) => {
      const checked = await run.validate(tx, options.schema, page.items, page.url);
      invalid += checked.invalid;
      const rows = checked.valid.map((item) => options.toRow(item.raw, item.parsed));
      for (const row of rows) seen.add(String(row[options.keyColumn]));
      await run.upsert(tx, options.spec, rows);
      if (last) {
        const verdict = deletionsAllowed(run, end, invalid, options.endpointLabel);
        if (verdict.allowed) await run.markMissing(tx, options.spec, options.scope, options.keyColumn, seen);
        await run.setCursor(
          tx,
          { rows: seen.size, invalid, ...(verdict.allowed ? {} : { incomplete: verdict.reason }) },
          { complete: verdict.allowed },
        );
      }
    });
  }
}

export interface OrgSnapshotEndpoint<S extends z.ZodType> {
  name: string;
  title: string;
  reference: string;
  table: string;
  schedule: string;
  path(org: string): string;
  shape: PageShape;
  pageSize?: number | null;
  schema: S;
  spec: EntitySpec;
  keyColumn: string;
  toRow(org: string, raw: Record<string, unknown>): Row;
  label(org: string): string;
}

/** An endpoint that is one full snapshot listing per organization. */
export function orgSnapshotEndpoint<S extends z.ZodType>(def: OrgSnapshotEndpoint<S>): EndpointDefinition {
  return {
    name: def.name,
    title: def.title,
    reference: def.reference,
    tables: [def.table],
    schedule: def.schedule,
    async slices(plan) {
      return plan.orgs.map((org) => ({ key: org, params: { org } }));
    },
    run: (run) => {
      const org = run.slice.params.org!;
      return syncSnapshotList(run, {
        path: def.path(org),
        shape: def.shape,
        ...(def.pageSize !== undefined ? { pageSize: def.pageSize } : {}),
        schema: def.schema,
        spec: def.spec,
        scope: { org },
        keyColumn: def.keyColumn,
        toRow: (raw) => def.toRow(org, raw),
        endpointLabel: def.label(org),
      });
    },
    request(slice) {
      return { path: def.path(slice.params.org!), shape: def.shape, schema: def.schema };
    },
  };
}
