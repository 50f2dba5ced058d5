import { auditLogEventSchema } from '../hub/schemas.js';
import type { Row, SliceRun } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { auditEventHash } from '../sync/hash.js';
import { withLast } from '../sync/lookahead.js';
import { backfillStart, incrementalStart, readGrowingWindows, type AuditCursor, type BackfillCursor, type Window, type WindowOutcome } from '../sync/windows.js';
import { auditLogs } from '../db/schema/index.js';
import { rowMapper } from '../sync/mapping.js';
import { enc, type EndpointDefinition } from './types.js';

const mapEvent = rowMapper(auditLogs, {
  // Events carry no id: the hash of their own fields keys them.
  columns: { event_hash: (item, context) => auditEventHash(String(context.account), item) },
});

export function auditLogRow(account: string, raw: Record<string, unknown>): Row {
  return mapEvent(raw, { account });
}

/**
 * Reads one window page by page; the cursor moves past the window only with its last page. A
 * grown window (see readGrowingWindows) that turns out to hold more than one page is left before
 * anything is written: it is read again in shorter windows.
 */
async function readWindow(
  run: SliceRun,
  account: string,
  window: Window,
  grown: boolean,
  cursorAfter: { value: unknown; sliceKey?: string },
): Promise<WindowOutcome> {
  const pages = run.deps.client.paginate({
    path: `/v2/auditlogs/${enc(account)}`,
    query: { from: window.from, to: window.to },
    shape: 'logs',
    endpoint: `audit logs of ${account}`,
  });
  let events = 0;
  for await (const { value: page, last } of withLast(pages)) {
    run.pageFetched();
    if (grown && !last) return 'spilled';
    events += page.items.length;
    await run.transaction(async (tx) => {
      const checked = await run.validate(tx, auditLogEventSchema, page.items, page.url);
      await run.upsert(tx, entities.auditLogs, checked.valid.map((item) => auditLogRow(account, item.raw)));
      if (last) {
        await run.setCursor(tx, cursorAfter.value, { complete: true, ...(cursorAfter.sliceKey ? { sliceKey: cursorAfter.sliceKey } : {}) });
      }
    });
  }
  return events === 0 ? 'empty' : 'events';
}

async function run(run: SliceRun): Promise<void> {
  const account = run.slice.params.account!;
  const { config } = run.deps;
  const nowMs = Date.parse(run.now());
  const windowMs = config.sync.auditWindow;
  if (run.plan.backfill) {
    const { from, to } = run.plan.backfill;
    const sliceKey = `${account}#backfill`;
    const cursor = await run.getCursor<BackfillCursor>(sliceKey);
    const start = backfillStart(cursor, from, to);
    const read = await readGrowingWindows(start, Date.parse(to), windowMs, (window, grown) =>
      readWindow(run, account, window, grown, { value: { from, to, doneUntil: window.to } satisfies BackfillCursor, sliceKey }),
    );
    run.logger.info({ account, from, to, resumedAt: new Date(start).toISOString(), ...read }, 'audit-log backfill');
    return;
  }
  const cursor = await run.getCursor<AuditCursor>();
  const start = incrementalStart(cursor, nowMs, {
    overlapMs: config.sync.auditOverlap,
    initialLookbackMs: config.sync.auditInitialLookback,
    full: run.plan.full,
  });
  await readGrowingWindows(start, nowMs, windowMs, (window, grown) => {
    // A full re-read never moves the cursor backwards.
    const until = cursor && run.plan.full && Date.parse(cursor.until) > Date.parse(window.to) ? cursor.until : window.to;
    return readWindow(run, account, window, grown, { value: { until } satisfies AuditCursor });
  });
}

export const auditLogsEndpoint: EndpointDefinition = {
  name: 'audit_logs',
  title: 'Audit log events',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/audit-logs/operation/AuditLogs_ListAuditLogs',
  tables: ['audit_logs'],
  schedule: '*/5 * * * *',
  async slices(plan) {
    return plan.orgs.map((account) => ({ key: account, params: { account } }));
  },
  run,
  request(slice) {
    return { path: `/v2/auditlogs/${enc(slice.params.account!)}`, shape: 'logs', schema: auditLogEventSchema };
  },
};
