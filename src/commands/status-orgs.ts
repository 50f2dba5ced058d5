import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.js';
import type { Config } from '../config.js';
import { auditFollowing } from '../sync/audit-follow.js';

/**
 * A line per organization for `status`: whether its listings follow its audit log (read when an
 * event names a change, completely on the safety-net interval) or are read completely every
 * hour, and why (the audit log answered 403: a plan without audit logs, or a token without the
 * scope).
 */
export async function organizationReadLines(database: Database, config: Config, now: Date): Promise<string[]> {
  const orgs = rowsOf<{ org: string }>(
    await database.db.execute(sql`
      SELECT DISTINCT slice_key AS org FROM dockerhub.sync_runs
      WHERE endpoint IN ('audit_logs', 'org_members') AND slice_key <> '' ORDER BY 1`),
  ).map((row) => row.org);
  const lines: string[] = [];
  for (const org of orgs) {
    const following = await auditFollowing(database.db, config, org, now.getTime());
    lines.push(`${org}: ${following.reason}`);
  }
  return lines;
}
