import { getTableColumns, getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { JSONPath } from 'jsonpath-plus';
import { z } from 'zod';
import * as schema from '../db/schema/index.js';
import { VIEW_NAMES } from '../db/views.js';
import { cronProblem } from '../scheduler/cron.js';
import { headerProblem } from '../hub/request-rules.js';
import { PAGE_SHAPE_NAMES, PAGINATOR_TYPES, type PageShape, type PaginatorSpec } from '../hub/types.js';
import { macroProblem, placeholdersIn, TIME_UNITS, formatProblem, parseMacro, isTimeMacro, TemplateError, templatePathProblem } from '../templating/template.js';

/**
 * The `endpoints:` section of the config file: user-defined endpoints (the seed's "Configure
 * Manually"). This file holds the schema and every check that can be made before a request is
 * sent; src/custom/compile.ts turns a checked entry into an EndpointDefinition.
 */

export const COLUMN_TYPES = {
  text: 'text',
  integer: 'integer',
  int: 'integer',
  bigint: 'bigint',
  numeric: 'numeric',
  double: 'double precision',
  'double precision': 'double precision',
  float: 'double precision',
  boolean: 'boolean',
  bool: 'boolean',
  timestamptz: 'timestamptz',
  timestamp: 'timestamptz',
  date: 'date',
  jsonb: 'jsonb',
  json: 'jsonb',
} as const;
export type ColumnType = (typeof COLUMN_TYPES)[keyof typeof COLUMN_TYPES];

/** `pagination:` by name: Docker Hub's shapes (PAGE_SHAPES), `auto` (whatever shape comes back) and `none` (one request). */
export const PAGINATIONS = ['auto', 'none', ...PAGE_SHAPE_NAMES] as const;

const param = z.string().trim().min(1, 'must not be empty');
/** `pagination: {type: ...}`: a generic paginator (PaginatorSpec) for an API that does not page like Docker Hub. */
const paginatorSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('next_link'), nextPath: z.string().optional(), sizeParam: param.optional() }),
  z.object({ type: z.literal('page_number'), param: param.optional(), start: z.number().int().min(0).optional(), sizeParam: param.optional() }),
  z.object({ type: z.literal('offset'), offsetParam: param.optional(), limitParam: param.optional(), totalPath: z.string().optional() }),
  z.object({ type: z.literal('cursor'), param: param.optional(), nextPath: z.string().optional(), sizeParam: param.optional() }),
]) satisfies z.ZodType<PaginatorSpec>;

const PAGINATION_RULE = `must be one of ${PAGINATIONS.join(', ')}, or a paginator {type: ${PAGINATOR_TYPES.join(' | ')}, ...} (docs/pagination.md)`;
export const paginationSchema = z.union([z.enum(PAGINATIONS), paginatorSchema], { error: PAGINATION_RULE });
export type Pagination = z.infer<typeof paginationSchema>;

/** The generic paginator an entry names, or undefined for a Docker Hub shape, `auto` and `none`. */
export function paginatorOf(pagination: Pagination): PaginatorSpec | undefined {
  return typeof pagination === 'object' ? pagination : undefined;
}

/** The Docker Hub shape an entry's requests are read as; `object` for one request, `auto` or a generic paginator. */
export function hubShapeOf(pagination: Pagination): PageShape | 'object' {
  return typeof pagination === 'object' || pagination === 'auto' || pagination === 'none' ? 'object' : pagination;
}

/** Columns every generated view has; a declared column may not take these names. */
export const VIEW_FIXED_COLUMNS = ['record_key', 'slice_key', 'data', 'metadata', 'first_seen_at', 'last_seen_at', 'deleted_at'] as const;

/** The default schedule of a custom endpoint without one (and not chained to a parent). */
export const DEFAULT_CUSTOM_SCHEDULE = '0 * * * *';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const columnSpec = z.union([
  z.string(),
  z.object({
    type: z.string(),
    /** Where the value is in the stored record: `$.data.repository` or `repository.name`; default the column's name. */
    path: z.string().optional(),
  }),
]);

export const customEndpointSchema = z.object({
  name: z.string(),
  title: z.string().optional(),
  method: z.enum(['GET', 'POST'], { error: 'must be GET or POST' }).default('GET'),
  path: z.string().min(1, 'must not be empty'),
  query: z.record(z.string(), scalar).default({}),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.unknown().optional(),
  schedule: z.string().trim().optional(),
  pagination: paginationSchema.default('auto'),
  /** page_size sent with paginated requests (default 100, Hub's maximum); null sends none. */
  pageSize: z.number().int().min(1).max(1000).nullable().optional(),
  dataPath: z.string().optional(),
  metadataPath: z.string().optional(),
  key: z.union([z.string(), z.array(z.string()).min(1, 'must name at least one field')]).optional(),
  cursor: z.string().optional(),
  refreshWhen: z.string().optional(),
  includeFromParent: z.array(z.string()).optional(),
  columns: z.record(z.string(), columnSpec).default({}),
  allowHosts: z.array(z.string()).default([]),
  timeUnit: z.enum(TIME_UNITS, { error: `must be one of ${TIME_UNITS.join(', ')}` }).optional(),
  dateFormat: z.string().optional(),
});

export type CustomEndpointConfig = z.infer<typeof customEndpointSchema>;

/**
 * The `endpoints:` section. Absent (undefined) is not the same as empty: only a config that has
 * the section manages the custom_* views (an empty one drops them all; none leaves them alone).
 */
export const customEndpointsSchema = z.array(customEndpointSchema).optional();

/** A built-in endpoint as the checks see it: its name and the table its rows land in. */
export interface BuiltinParent {
  name: string;
  tables: readonly string[];
}

const tablesByName = new Map<string, PgTable>();
for (const value of Object.values(schema) as unknown[]) {
  if (is(value, PgTable)) tablesByName.set(getTableName(value), value);
}

/** The columns of a built-in endpoint's table: the fields a child may read from its rows. */
export function builtinFields(parent: BuiltinParent): string[] {
  const table = tablesByName.get(parent.tables[0] ?? '');
  if (!table) return [];
  return Object.keys(getTableColumns(table)).filter((c) => !['raw', 'row_hash'].includes(c));
}

export const NAME_RE = /^[a-z][a-z0-9_]{0,47}$/;

/** `https://host:port` at the start of an absolute path: what follows is the path. */
export const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\/[^/\\?#]*/i;
/**
 * Tables and views of the dockerhub schema that the product makes itself: an endpoint's view
 * (`custom_<name>`) may not take one of these names (`name: records` would be custom_records).
 */
export const PRODUCT_RELATIONS: ReadonlySet<string> = new Set([...tablesByName.keys(), ...VIEW_NAMES]);

/** Why a JSONPath cannot be used, or undefined. Plain field names (`name`, `data.repo`) are accepted as `$.name`. */
export function jsonPathProblem(path: string): string | undefined {
  const text = path.trim();
  if (text === '') return 'is empty';
  const expression = toJsonPath(text);
  let depth = 0;
  let quote: string | undefined;
  for (const ch of expression) {
    if (quote) {
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '[' || ch === '(') depth++;
    else if (ch === ']' || ch === ')') {
      depth--;
      if (depth < 0) return `"${path}" is not a JSONPath: "${ch}" closes nothing`;
    }
  }
  if (quote) return `"${path}" is not a JSONPath: a quote is not closed`;
  if (depth !== 0) return `"${path}" is not a JSONPath: a bracket is not closed`;
  if (/\.\.\.|\.$|\[\]/.test(expression)) return `"${path}" is not a JSONPath`;
  try {
    JSONPath({ path: expression, json: { a: [{ b: 1 }] }, wrap: true });
  } catch (error) {
    return `"${path}" is not a JSONPath (${(error as Error).message})`;
  }
  return undefined;
}

/** A field name or dotted path as a JSONPath; a JSONPath as it is. */
export function toJsonPath(path: string): string {
  const text = path.trim();
  if (text.startsWith('$')) return text;
  return `$.${text}`;
}

/** The parent a dotted macro names (`repositories.name` → repositories), or undefined for a plain name. */
function parentOf(name: string): { parent: string; field: string } | undefined {
  const dot = name.indexOf('.');
  if (dot <= 0) return undefined;
  return { parent: name.slice(0, dot), field: name.slice(dot + 1) };
}

/** Every macro name (not time macros) used in an endpoint's templates. */
export function macroNames(entry: Pick<CustomEndpointConfig, 'path' | 'query' | 'headers' | 'body'>): string[] {
  const expressions = [...placeholdersIn(entry.path), ...placeholdersIn(entry.query ?? {}), ...placeholdersIn(entry.headers ?? {}), ...placeholdersIn(entry.body ?? null)];
  return expressions.flatMap((e) => parseMacro(e).alternatives).filter((a) => a !== '' && !isTimeMacro(a));
}

/** The parent an entry is chained to (from its macros or refreshWhen), if any. */
export function parentName(entry: Pick<CustomEndpointConfig, 'path' | 'query' | 'headers' | 'body' | 'refreshWhen'>): string | undefined {
  try {
    for (const name of macroNames(entry)) {
      const p = parentOf(name);
      if (p) return p.parent;
    }
  } catch {
    // a template that does not parse is reported by the checks
  }
  return entry.refreshWhen ? parentOf(entry.refreshWhen)?.parent : undefined;
}

export interface CheckContext {
  builtins: readonly BuiltinParent[];
  /** The configured API base (hub.apiUrl). */
  apiUrl: string;
  now: Date;
}

/**
 * Every problem with the `endpoints:` section, each naming its key (`endpoints[1].path`).
 * Runs on the raw input so it is reported together with the schema's own errors.
 */
export function customEndpointProblems(raw: unknown, context: CheckContext, where: (key: string) => string = (k) => k): string[] {
  if (!Array.isArray(raw)) return [];
  const problems: string[] = [];
  const entries = raw.map((item) => (item !== null && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : {}));
  const names = new Map<string, number>();
  entries.forEach((entry, index) => {
    if (typeof entry.name === 'string' && !names.has(entry.name)) names.set(entry.name, index);
  });
  const section: SectionFacts = {
    context,
    names,
    customByName: new Map([...names].map(([name, index]) => [name, entries[index]!])),
    builtinByName: new Map(context.builtins.map((b) => [b.name, b])),
    apiHost: safeUrl(context.apiUrl)?.host,
    say: (index, key, message) => problems.push(`${where(`endpoints[${index}]${key ? `.${key}` : ''}`)}: ${message}`),
  };
  entries.forEach((entry, index) => {
    const check: EntryCheck = { ...section, entry, index, name: entry.name, macros: { usedNames: [], parentProblem: false } };
    for (const rule of ENTRY_RULES) rule(check);
  });
  parentCycleRule(section);
  return problems;
}

/** What every check of the section can read. */
interface SectionFacts {
  context: CheckContext;
  /** Each name and the first entry that has it. */
  names: Map<string, number>;
  customByName: Map<string, Record<string, unknown>>;
  builtinByName: Map<string, BuiltinParent>;
  apiHost: string | undefined;
  say: (index: number, key: string | undefined, message: string) => void;
}

/** One entry under check. `macros` is filled in by the template rule, which runs before the rules that read it. */
interface EntryCheck extends SectionFacts {
  entry: Record<string, unknown>;
  index: number;
  name: unknown;
  macros: { parent?: string; parentProblem: boolean; usedNames: string[] };
}

type EntryRule = (check: EntryCheck) => void;

/** A name the view can take, used once, no built-in's and no table's or view's of the product. */
const nameRule: EntryRule = ({ name, index, say, builtinByName, names }) => {
  if (typeof name !== 'string') return;
  if (!NAME_RE.test(name)) {
    say(index, 'name', `"${name}" is not a usable name: lower-case letters, digits and _, starting with a letter, at most 48 characters (it names the view dockerhub.custom_${name})`);
  } else if (builtinByName.has(name)) {
    say(index, 'name', `"${name}" is a built-in endpoint; choose another name`);
  } else if (PRODUCT_RELATIONS.has(`custom_${name}`)) {
    say(index, 'name', `"${name}" would name its view dockerhub.custom_${name}, which is a ${tablesByName.has(`custom_${name}`) ? 'table' : 'view'} of dockerhub-sync; choose another name`);
  } else if (names.get(name) !== index) {
    say(index, 'name', `"${name}" is used twice (also endpoints[${names.get(name)}])`);
  }
};

/** Templates must parse, and every macro must mean something here (one parent at most). */
const templateRule: EntryRule = (check) => {
  const { entry, index, say, macros } = check;
  const templates: { key: string; value: unknown }[] = [
    { key: 'path', value: entry.path },
    { key: 'query', value: entry.query ?? {} },
    { key: 'headers', value: entry.headers ?? {} },
    { key: 'body', value: entry.body ?? null },
  ];
  for (const { key, value } of templates) {
    let expressions: string[];
    try {
      expressions = placeholdersIn(value);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      say(index, key, error.message);
      continue;
    }
    for (const expression of expressions) {
      const problem = macroProblem(expression, (macro) => macroVerdict(check, macro));
      if (!problem) continue;
      if (problem.includes('parent')) macros.parentProblem = true;
      say(index, key, problem);
    }
  }
};

function macroVerdict(check: EntryCheck, macro: string): true | string {
  const { macros } = check;
  macros.usedNames.push(macro);
  if (['org', 'namespace', 'cursor', 'last_run'].includes(macro)) return true;
  const p = parentOf(macro);
  if (!p) return `unknown macro "${macro}" (known: now, now-7d, now+1h, cursor, last_run, org, namespace, <parent>.<field>)`;
  if (macros.parent && p.parent !== macros.parent) return `"${macro}" names a second parent (${macros.parent} is already used); an endpoint reads one parent`;
  macros.parent = p.parent;
  return fieldVerdict(p.parent, p.field, check.name, check.customByName, check.builtinByName);
}

/** One slice dimension: {org}, {namespace} or a parent's field. */
const sliceMacroRule: EntryRule = ({ index, say, macros: { usedNames, parent } }) => {
  if (usedNames.includes('org') && usedNames.includes('namespace')) {
    say(index, 'path', 'uses both {org} and {namespace}; use one (requests are made once per organization or once per namespace)');
  }
  if (parent && (usedNames.includes('org') || usedNames.includes('namespace'))) {
    say(index, 'path', `uses {org} or {namespace} with the parent ${parent}; take the value from the parent row instead (e.g. {${parent}.namespace})`);
  }
};

/** Path: relative to the API base, or an absolute URL to the API's own host or an allowed one. */
const pathRule: EntryRule = ({ entry, index, say, apiHost, context }) => {
  if (typeof entry.path !== 'string') return;
  const path = entry.path.trim();
  const absolute = ABSOLUTE_URL.exec(path);
  if (!absolute) {
    const problem = templatePathProblem(path);
    if (problem) say(index, 'path', `${problem}; or write an http(s) URL`);
    return;
  }
  const url = safeUrl(path.replace(/\{[^}]*\}/g, 'x'));
  const allowed = Array.isArray(entry.allowHosts) ? entry.allowHosts.map(String) : [];
  const rest = path.slice(absolute[0].length);
  if (!url || !/^https?:$/.test(url.protocol)) say(index, 'path', `"${path}" is not an http(s) URL`);
  else if (url.host !== apiHost && !allowed.includes(url.host) && !allowed.includes(url.hostname)) {
    say(index, 'path', `"${path}" goes to ${url.host}, not to the API (${apiHost ?? context.apiUrl}); requests to another host are refused unless allowHosts names it (they are sent without the Docker Hub credentials)`);
  } else if (rest !== '') {
    const problem = templatePathProblem(rest);
    if (problem) say(index, 'path', `the path of "${path}": ${problem}`);
  }
};

const allowHostsRule: EntryRule = ({ entry, index, say }) => {
  if (!Array.isArray(entry.allowHosts)) return;
  entry.allowHosts.forEach((host, i) => {
    if (typeof host !== 'string' || !/^[a-z0-9.-]+(:\d+)?$/i.test(host)) say(index, `allowHosts[${i}]`, `"${String(host)}" is not a host name (like api.example.com or api.example.com:8443)`);
  });
};

const bodyRule: EntryRule = ({ entry, index, say }) => {
  if (entry.body !== undefined && entry.method !== 'POST') say(index, 'body', 'a body is sent only with method: POST');
};

/** The rule write-back headers pass too (request-rules.ts); filled-in values are checked again per request. */
const headersRule: EntryRule = ({ entry, index, say }) => {
  if (!entry.headers || typeof entry.headers !== 'object' || Array.isArray(entry.headers)) return;
  for (const [header, value] of Object.entries(entry.headers as Record<string, unknown>)) {
    const problem = headerProblem(header, typeof value === 'string' ? value : '');
    if (problem) say(index, `headers.${header}`, problem);
  }
};

const jsonPathsRule: EntryRule = ({ entry, index, say }) => {
  for (const key of ['dataPath', 'metadataPath', 'cursor'] as const) {
    if (typeof entry[key] !== 'string') continue;
    const problem = jsonPathProblem(entry[key]);
    if (problem) say(index, key, problem);
  }
};

const keyRule: EntryRule = ({ entry, index, say }) => {
  const keys = typeof entry.key === 'string' ? [entry.key] : Array.isArray(entry.key) ? entry.key : [];
  keys.forEach((k, i) => {
    if (typeof k !== 'string') return;
    const problem = jsonPathProblem(k);
    if (problem) say(index, typeof entry.key === 'string' ? 'key' : `key[${i}]`, problem);
  });
};

/** refreshWhen: a field of the parent this endpoint is chained to. */
const refreshWhenRule: EntryRule = ({ entry, index, say, name, customByName, builtinByName, macros: { parent, parentProblem } }) => {
  if (typeof entry.refreshWhen !== 'string') return;
  const p = parentOf(entry.refreshWhen);
  if (!p) say(index, 'refreshWhen', `"${entry.refreshWhen}" must be <parent>.<field>, e.g. repositories.last_updated`);
  else if (parent && p.parent !== parent) say(index, 'refreshWhen', `names ${p.parent}, but the path reads ${parent}`);
  else if (!parent && !parentProblem) say(index, 'refreshWhen', `names ${p.parent}, but no macro of the path reads it (e.g. {${p.parent}.name})`);
  else {
    const verdict = fieldVerdict(p.parent, p.field, name, customByName, builtinByName);
    if (verdict !== true) say(index, 'refreshWhen', verdict);
  }
};

const includeFromParentRule: EntryRule = ({ entry, index, say, name, customByName, builtinByName, macros: { parent } }) => {
  if (!Array.isArray(entry.includeFromParent)) return;
  if (!parent) {
    say(index, 'includeFromParent', 'needs a parent: use a <parent>.<field> macro in the path');
    return;
  }
  entry.includeFromParent.forEach((field, i) => {
    if (typeof field !== 'string') return;
    const verdict = fieldVerdict(parent, field, name, customByName, builtinByName);
    if (verdict !== true) say(index, `includeFromParent[${i}]`, verdict);
  });
};

/** Columns of the view: a usable name that is not one every view has, a known type, a plain path. */
const columnsRule: EntryRule = ({ entry, index, say }) => {
  if (!entry.columns || typeof entry.columns !== 'object' || Array.isArray(entry.columns)) return;
  for (const [column, spec] of Object.entries(entry.columns as Record<string, unknown>)) {
    const at = `columns.${column}`;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(column)) say(index, at, `"${column}" is not a usable column name (lower-case letters, digits and _)`);
    else if ((VIEW_FIXED_COLUMNS as readonly string[]).includes(column)) say(index, at, `"${column}" is a column every view has (${VIEW_FIXED_COLUMNS.join(', ')}); choose another name`);
    const type = typeof spec === 'string' ? spec : spec && typeof spec === 'object' ? (spec as { type?: unknown }).type : undefined;
    if (typeof type === 'string' && !(type.trim().toLowerCase() in COLUMN_TYPES)) {
      say(index, at, `"${type}" is not a column type (use ${Object.keys(COLUMN_TYPES).join(', ')})`);
    }
    const columnPath = spec && typeof spec === 'object' ? (spec as { path?: unknown }).path : undefined;
    if (typeof columnPath === 'string') {
      const problem = jsonPathProblem(columnPath) ?? (viewPathSegments(columnPath) ? undefined : `"${columnPath}" must be a plain path of fields ($.a.b or a.b) to be a view column`);
      if (problem) say(index, `${at}.path`, problem);
    }
  }
};

const scheduleRule: EntryRule = ({ entry, index, say, context }) => {
  if (typeof entry.schedule !== 'string') return;
  const problem = cronProblem(entry.schedule.trim(), context.now);
  if (problem) say(index, 'schedule', `"${entry.schedule}" is not a usable cron expression (${problem}). Use 5 fields (e.g. "*/15 * * * *") or 6 with seconds first.`);
};

const dateFormatRule: EntryRule = ({ entry, index, say }) => {
  if (typeof entry.dateFormat !== 'string') return;
  const problem = formatProblem(entry.dateFormat);
  if (problem) say(index, 'dateFormat', problem);
};

/** A generic paginator's JSONPaths (its other settings are the schema's). */
const paginationRule: EntryRule = ({ entry, index, say }) => {
  const pagination = entry.pagination;
  if (!pagination || typeof pagination !== 'object' || Array.isArray(pagination)) return;
  for (const key of ['nextPath', 'totalPath'] as const) {
    const path = (pagination as Record<string, unknown>)[key];
    if (typeof path !== 'string') continue;
    const problem = jsonPathProblem(path);
    if (problem) say(index, `pagination.${key}`, problem);
  }
};

/** Each entry's checks, in the order their problems are listed. */
const ENTRY_RULES: readonly EntryRule[] = [
  nameRule,
  templateRule,
  sliceMacroRule,
  pathRule,
  allowHostsRule,
  bodyRule,
  headersRule,
  jsonPathsRule,
  keyRule,
  refreshWhenRule,
  includeFromParentRule,
  columnsRule,
  scheduleRule,
  dateFormatRule,
  paginationRule,
];

/** Parents must not form a cycle. */
function parentCycleRule({ names, customByName, say }: SectionFacts): void {
  for (const [name, index] of names) {
    const seen = [name];
    let current = parentName(customByName.get(name) as CustomEndpointConfig);
    while (current && customByName.has(current)) {
      if (seen.includes(current)) {
        if (current === name) say(index, 'path', `parents form a cycle: ${[...seen, current].join(' → ')}`);
        break;
      }
      seen.push(current);
      current = parentName(customByName.get(current) as CustomEndpointConfig);
    }
  }
}

function fieldVerdict(
  parent: string,
  field: string,
  self: unknown,
  custom: Map<string, Record<string, unknown>>,
  builtins: Map<string, BuiltinParent>,
): true | string {
  if (parent === self) return `"${parent}.${field}": an endpoint cannot be its own parent`;
  const builtin = builtins.get(parent);
  if (builtin) {
    const fields = builtinFields(builtin);
    if (fields.length === 0) return `${parent} cannot be a parent (its rows are not in one table)`;
    if (!fields.includes(field)) return `unknown field "${field}" of ${parent} (fields: ${fields.join(', ')})`;
    return true;
  }
  const entry = custom.get(parent);
  if (entry) {
    const columns = entry.columns && typeof entry.columns === 'object' ? Object.keys(entry.columns) : [];
    if (!columns.includes(field)) {
      return `unknown field "${field}" of ${parent}: a custom parent's fields are the columns it declares (${columns.length > 0 ? columns.join(', ') : 'none'})`;
    }
    return true;
  }
  return `unknown parent "${parent}" (built-in endpoints: ${[...builtins.keys()].join(', ')}${custom.size > 0 ? `; custom: ${[...custom.keys()].join(', ')}` : ''})`;
}

/** `$.a.b` / `a.b` → ['a', 'b'] for `data #>> '{a,b}'`; undefined when the path is more than plain fields. */
export function viewPathSegments(path: string): string[] | undefined {
  const text = path.trim().replace(/^\$\.?/, '');
  if (text === '') return undefined;
  const segments = text.split('.');
  return segments.every((s) => /^[A-Za-z0-9_-]+$/.test(s)) ? segments : undefined;
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
