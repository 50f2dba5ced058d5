import { getTableName, is } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { stringify } from 'yaml';
import * as schema from '../db/schema/index.js';
import type { EndpointDefinition } from '../endpoints/types.js';
import type { SyncPlan } from '../sync/context.js';
import { isCustomEndpoint } from './compile.js';

/**
 * `endpoints show <name>`: any endpoint in the syntax of the config's `endpoints:` section, so a
 * built-in is a starting point to copy (change the query, the data path, add columns).
 */

const MARK = '\u0001';

/** What each slice parameter of a built-in stands for, as a macro. */
function macroFor(param: string, parent: string | undefined): string {
  if (parent === 'repositories') return param === 'repository' ? 'repositories.name' : param === 'namespace' ? 'repositories.namespace' : param;
  if (parent === 'teams') return param === 'team' ? 'teams.name' : param === 'org' ? 'teams.org' : param;
  if (param === 'account') return 'org';
  return param;
}

const SCOPE_COLUMNS = new Set(['namespace', 'org', 'account', 'repository', 'team']);

function keyOf(tableName: string | undefined): string[] | undefined {
  for (const value of Object.values(schema) as unknown[]) {
    if (!is(value, PgTable) || getTableName(value) !== tableName) continue;
    const config = getTableConfig(value);
    const columns = config.primaryKeys[0]?.columns.map((c) => c.name) ?? config.columns.filter((c) => c.primary).map((c) => c.name);
    const own = columns.filter((c) => !SCOPE_COLUMNS.has(c));
    return own.includes('event_hash') ? [] : own.map((c) => `$.${c}`);
  }
  return undefined;
}

const DATA_PATHS: Record<string, string> = { results: '$.results[*]', total: '$.results[*]', logs: '$.logs[*]', data: '$.data[*]', array: '$[*]', object: '$' };

/** A built-in's definition as a config entry (plain data, for YAML). */
export function builtinAsConfig(endpoint: EndpointDefinition): Record<string, unknown> {
  const params = new Proxy({} as Record<string, string>, { get: (_t, key) => (typeof key === 'string' ? `${MARK}${key}${MARK}` : undefined) });
  const plan: SyncPlan = { namespaces: [], orgs: [], user: `${MARK}user${MARK}`, full: false, dryRun: true, backfill: undefined, changedRepositories: new Map() };
  const request = endpoint.request({ key: '', params }, plan);
  const unmark = (text: string) =>
    text
      .replace(new RegExp(`%01([a-z_]+)%01`, 'g'), (_m, name: string) => `{${macroFor(name, endpoint.parent)}}`)
      .replace(new RegExp(`${MARK}([a-z_]+)${MARK}`, 'g'), (_m, name: string) => `{${macroFor(name, endpoint.parent)}}`);
  const key = keyOf(endpoint.tables[0]);
  const entry: Record<string, unknown> = {
    name: `my_${endpoint.name}`,
    title: endpoint.title,
    method: 'GET',
    path: unmark(request.path),
    ...(request.query && Object.keys(request.query).length > 0 ? { query: Object.fromEntries(Object.entries(request.query).map(([k, v]) => [k, typeof v === 'string' ? unmark(v) : v])) } : {}),
    pagination: request.shape === 'object' ? 'none' : request.shape,
    dataPath: DATA_PATHS[request.shape] ?? '$',
    ...(key && key.length > 0 ? { key } : {}),
    schedule: endpoint.schedule,
  };
  if (endpoint.parent === 'repositories') entry.refreshWhen = 'repositories.last_updated';
  return entry;
}

export function renderEndpoint(endpoint: EndpointDefinition): string {
  if (isCustomEndpoint(endpoint)) {
    return `# ${endpoint.name}: a custom endpoint of the config (view dockerhub.custom_${endpoint.name})\n${stringify({ endpoints: [endpoint.custom.config] })}`;
  }
  const entry = builtinAsConfig(endpoint);
  return [
    `# ${endpoint.name}: ${endpoint.title}`,
    `# Reference: ${endpoint.reference}`,
    `# Built-in; its rows land in ${endpoint.tables.join(', ')}. As a custom endpoint (rows in dockerhub.custom_records,`,
    `# view dockerhub.custom_${String(entry.name)}), it reads:`,
    stringify({ endpoints: [entry] }).trimEnd(),
    ...(keyOf(endpoint.tables[0])?.length === 0 ? ['# No key: each record is identified by a hash of its fields (events have no id).'] : []),
    '# Add `columns: { field: type }` for typed columns in the view (text, bigint, timestamptz, jsonb, ...).',
  ].join('\n');
}

export function listEndpoints(registry: readonly EndpointDefinition[]): string[][] {
  return registry.map((e) => [e.name, isCustomEndpoint(e) ? 'custom' : 'built-in', e.parent ?? '-', e.schedule, e.title]);
}
