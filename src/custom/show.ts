import { getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { primaryKeyColumns } from '../db/keys.js';
import { stringify } from 'yaml';
import * as schema from '../db/schema/index.js';
import type { EndpointDefinition } from '../sync/context.js';
import { PAGE_SHAPES } from '../hub/types.js';
import { isCustomEndpoint } from './compile.js';
import type { Partition } from '../sync/partition.js';

/**
 * `endpoints show <name>`: any endpoint in the syntax of the config's `endpoints:` section, so a
 * built-in is a starting point to copy (change the query, the data path, add columns).
 */

/** Where a copy reads its parameters from: the endpoint's parent, or the parent its list declares for a copy. */
interface Chain {
  parent: string;
  params: Readonly<Record<string, string>>;
  literals: Readonly<Record<string, string>>;
}

function chainOf(partition: Partition | undefined): Chain | undefined {
  if (!partition) return undefined;
  if ('parent' in partition) return { parent: partition.parent.endpoint, params: partition.parent.params, literals: {} };
  if ('list' in partition && partition.copyAs) return { parent: partition.copyAs.parent, params: partition.copyAs.params, literals: partition.copyAs.literals ?? {} };
  return undefined;
}

/** What each slice parameter of a built-in stands for in a custom endpoint: a macro, or a literal to edit. */
function macroFor(param: string, partition: Partition | undefined, chain: Chain | undefined): string {
  const field = chain?.params[param];
  if (chain && field !== undefined) return `{${chain.parent}.${field}}`;
  const literal = chain?.literals[param];
  if (literal !== undefined) return literal;
  if (partition && 'per' in partition && partition.per !== 'pass' && partition.param === param) return partition.per === 'namespace' ? '{namespace}' : '{org}';
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


/** A template's placeholders as the macros a custom endpoint writes; a time window's own are left out. */
function asMacros(text: string, partition: Partition | undefined, chain: Chain | undefined): string | undefined {
  if (/\{window\./.test(text)) return undefined;
  return text.replace(/\{([a-z_]+)\}/g, (_m, name: string) => macroFor(name, partition, chain));
}

/** The parent field whose movement makes a copy read a row again (the built-in's first reason). */
function refreshWhenOf(partition: Partition | undefined): string | undefined {
  if (!partition || !('parent' in partition)) return undefined;
  const field = partition.parent.refreshWhen?.moved[0]?.fields[0];
  return field ? `${partition.parent.endpoint}.${field}` : undefined;
}

/** A built-in's definition (its request template) as a config entry (plain data, for YAML). */
export function builtinAsConfig(endpoint: EndpointDefinition): Record<string, unknown> {
  const template = endpoint.template;
  if (!template) throw new Error(`endpoint ${endpoint.name} has no request template`);
  const { partition } = endpoint;
  const chain = chainOf(partition);
  const query = Object.entries(template.query ?? {}).flatMap(([k, v]) => {
    const value = typeof v === 'string' ? asMacros(v, partition, chain) : v;
    return value === undefined ? [] : [[k, value] as const];
  });
  const key = keyOf(endpoint.tables[0]);
  const entry: Record<string, unknown> = {
    name: `my_${endpoint.name}`,
    title: endpoint.title,
    method: 'GET',
    path: asMacros(template.path, partition, chain),
    ...(query.length > 0 ? { query: Object.fromEntries(query) } : {}),
    pagination: template.shape === 'object' ? 'none' : template.shape,
    dataPath: template.shape === 'object' ? '$' : PAGE_SHAPES[template.shape].records,
    ...(key && key.length > 0 ? { key } : {}),
    // A chained copy runs right after its parent, as the built-in does.
    ...(endpoint.parent ? {} : { schedule: endpoint.job?.schedule ?? endpoint.schedule }),
  };
  const refreshWhen = refreshWhenOf(partition);
  if (refreshWhen) entry.refreshWhen = refreshWhen;
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
