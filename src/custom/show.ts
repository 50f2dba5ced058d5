import { getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { primaryKeyColumns } from '../db/keys.js';
import { stringify } from 'yaml';
import * as schema from '../db/schema/index.js';
import type { EndpointDefinition } from '../sync/context.js';
import { isCustomEndpoint } from './compile.js';

/**
 * `endpoints show <name>`: any endpoint in the syntax of the config's `endpoints:` section, so a
 * built-in is a starting point to copy (change the query, the data path, add columns).
 */

/**
 * The parent a custom copy of a built-in is chained to: its own, or the repositories for one
 * that reads a repository's path from elsewhere (watched tags come from the configuration).
 */
function parentOf(endpoint: EndpointDefinition): string | undefined {
  if (endpoint.parent) return endpoint.parent;
  return endpoint.template && /\{repository\}/.test(endpoint.template.path) ? 'repositories' : undefined;
}

/** What each slice parameter of a built-in stands for in a custom endpoint: a macro, or a literal to edit. */
function macroFor(param: string, parent: string | undefined): string {
  if (parent === 'repositories') {
    if (param === 'repository') return '{repositories.name}';
    if (param === 'namespace') return '{repositories.namespace}';
    // One tag of each repository (a watched tag comes from the configuration; a custom endpoint names it).
    if (param === 'tag') return 'latest';
  }
  if (parent === 'teams') return param === 'team' ? '{teams.name}' : param === 'org' ? '{teams.org}' : `{${param}}`;
  if (param === 'account') return '{org}';
  return `{${param}}`;
}

const SCOPE_COLUMNS = new Set(['namespace', 'org', 'account', 'repository', 'team']);

function keyOf(tableName: string | undefined): string[] | undefined {
  for (const value of Object.values(schema) as unknown[]) {
    if (!is(value, PgTable) || getTableName(value) !== tableName) continue;
    const columns = primaryKeyColumns(value).map((c) => c.name);
    const own = columns.filter((c) => !SCOPE_COLUMNS.has(c));
    return own.includes('event_hash') ? [] : own.map((c) => `$.${c}`);
  }
  return undefined;
}

const DATA_PATHS: Record<string, string> = {
  results: '$.results[*]',
  total: '$.results[*]',
  logs: '$.logs[*]',
  data: '$.data[*]',
  array: '$[*]',
  scim: '$.Resources[*]',
  object: '$',
};

/** A template's placeholders as the macros a custom endpoint writes; a time window's own are left out. */
function asMacros(text: string, parent: string | undefined): string | undefined {
  if (/\{window\./.test(text)) return undefined;
  return text.replace(/\{([a-z_]+)\}/g, (_m, name: string) => macroFor(name, parent));
}

/** A built-in's definition (its request template) as a config entry (plain data, for YAML). */
export function builtinAsConfig(endpoint: EndpointDefinition): Record<string, unknown> {
  const template = endpoint.template;
  if (!template) throw new Error(`endpoint ${endpoint.name} has no request template`);
  const parent = parentOf(endpoint);
  const query = Object.entries(template.query ?? {}).flatMap(([k, v]) => {
    const value = typeof v === 'string' ? asMacros(v, parent) : v;
    return value === undefined ? [] : [[k, value] as const];
  });
  const key = keyOf(endpoint.tables[0]);
  const entry: Record<string, unknown> = {
    name: `my_${endpoint.name}`,
    title: endpoint.title,
    method: 'GET',
    path: asMacros(template.path, parent),
    ...(query.length > 0 ? { query: Object.fromEntries(query) } : {}),
    pagination: template.shape === 'object' ? 'none' : template.shape,
    dataPath: DATA_PATHS[template.shape] ?? '$',
    ...(key && key.length > 0 ? { key } : {}),
    schedule: endpoint.schedule,
  };
  if (parent === 'repositories') entry.refreshWhen = 'repositories.last_updated';
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
