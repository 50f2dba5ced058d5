import { readStatus } from '../db/status.js';
import { endpointNames } from '../endpoints/index.js';
import { relativeTime, renderTable } from '../format.js';
import { openMigratedDatabase, type CommandContext } from './context.js';

export async function statusCommand(ctx: CommandContext, flags: { json?: boolean | undefined }): Promise<number> {
  const database = await openMigratedDatabase(ctx);
  try {
    const rows = await readStatus(database, endpointNames);
    if (flags.json) {
      ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    const never = rows.every((row) => row.last_run_at === null);
    ctx.stdout.write(
      `${renderTable(
        ['endpoint', 'slice', 'last run', 'result', 'rows', 'last success', 'cursor'],
        rows.map((row) => [
          row.endpoint,
          row.slice_key || '-',
          row.last_run_at ? relativeTime(row.last_run_at) : 'never synced',
          row.last_status ?? '-',
          row.rows_written ?? '-',
          row.last_success_at ? relativeTime(row.last_success_at) : '-',
          summarizeCursor(row.cursor),
        ]),
      )}\n`,
    );
    if (never) ctx.stdout.write(`\nNothing has been synced into ${database.location} yet. Run \`dockerhub-sync sync\`.\n`);
    return 0;
  } finally {
    await database.close();
  }
}

function summarizeCursor(cursor: unknown): string {
  if (cursor === null || cursor === undefined) return '-';
  const text = typeof cursor === 'string' ? cursor : JSON.stringify(cursor);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
