// A small checker of values against the official OpenAPI documents: resolves $ref and allOf, then
// checks types, nullability, enums, patterns, formats (date, date-time, uri), integer bounds and
// `required` lists, either against a named component or against the answer an operation documents
// for a status (path template, method, status or `default`, `#/components/responses/…`, declared
// headers). Deliberately independent of the project's zod schemas, so the emulator cannot drift
// from the spec along with them.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export type SchemaObject = {
  $ref?: string;
  allOf?: SchemaObject[];
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  required?: string[] | boolean;
  properties?: Record<string, SchemaObject>;
  additionalProperties?: SchemaObject | boolean;
  items?: SchemaObject;
};

interface ResponseObject {
  $ref?: string;
  content?: Record<string, { schema?: SchemaObject }>;
  headers?: Record<string, { schema?: SchemaObject }>;
}

interface OpenApiDocument {
  servers?: { url: string }[];
  paths?: Record<string, Record<string, { operationId?: string; responses?: Record<string, ResponseObject> }>>;
  components: { schemas: Record<string, SchemaObject>; responses?: Record<string, ResponseObject> };
}

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SPEC_DIRS = ['docs/hub-api', 'hub-api', '../shared/hub-api'];

function firstMatch(dirs: string[], test: (name: string) => boolean): string | undefined {
  for (const dir of dirs) {
    const full = resolve(ROOT, dir);
    if (!existsSync(full)) continue;
    const file = readdirSync(full).sort().find(test);
    if (file) return join(full, file);
  }
  return undefined;
}

/** The spec file: $HUB_OPENAPI_SPEC, else `latest-*.yaml` in docs/hub-api, hub-api, or ../shared/hub-api. */
export function findSpec(): string | undefined {
  const fromEnv = process.env.HUB_OPENAPI_SPEC;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return firstMatch(SPEC_DIRS, (name) => /^latest-.*\.ya?ml$/.test(name));
}

/** The texts the contract test checks against; a missing one is undefined (its checks are skipped). */
export interface SpecFiles {
  /** docker/docs 0073bb6 (or $HUB_OPENAPI_SPEC). */
  latest: string | undefined;
  /** The newest "2-beta" text of the Hub API, docker/docs c95ded2. */
  newest: string | undefined;
  /** The Enterprise Data API, docker/docs c95ded2. */
  enterpriseData: string | undefined;
}

export const NEWEST_SPEC = 'spec-2beta-c95ded2.yaml';
export const ENTERPRISE_DATA_SPEC = 'enterprise-data-c95ded2.yaml';

/** The three texts, looked up beside $HUB_OPENAPI_SPEC first, then where findSpec looks. */
export function findSpecs(): SpecFiles {
  const latest = findSpec();
  const dirs = [...(process.env.HUB_OPENAPI_SPEC ? [dirname(resolve(process.env.HUB_OPENAPI_SPEC))] : []), ...SPEC_DIRS];
  return {
    latest,
    newest: firstMatch(dirs, (name) => name === NEWEST_SPEC),
    enterpriseData: firstMatch(dirs, (name) => name === ENTERPRISE_DATA_SPEC),
  };
}

/** One answer checked against the operation that describes it. */
export interface ReplyCheck {
  /** `GET /v2/orgs/{org_name}/members 200` (the status the spec documents, or `default`). */
  operation: string;
  problems: string[];
}

const FORMATS: Record<string, (value: string) => boolean> = {
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)),
  'date-time': (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)),
  uri: (v) => URL.canParse(v),
};

export class SpecChecker {
  private readonly schemas: Record<string, SchemaObject>;
  private readonly doc: OpenApiDocument;
  /** The servers' path prefix (`/enterprise-data/v1`), stripped from request paths. */
  readonly basePath: string;

  /** `extra` adds components the file lacks (the repository schemas of the newer "2-beta" spec). */
  constructor(file: string, extra: Record<string, SchemaObject> = {}) {
    this.doc = parse(readFileSync(file, 'utf8')) as OpenApiDocument;
    this.schemas = { ...this.doc.components.schemas, ...extra };
    const server = this.doc.servers?.[0]?.url;
    this.basePath = server ? new URL(server, 'http://x').pathname.replace(/\/$/, '') : '';
  }

  has(name: string): boolean {
    return name in this.schemas;
  }

  /** Every `METHOD template` the document describes. */
  operations(): string[] {
    return Object.entries(this.doc.paths ?? {}).flatMap(([template, item]) =>
      Object.keys(item)
        .filter((key) => ['get', 'put', 'post', 'patch', 'delete', 'head'].includes(key))
        .map((method) => `${method.toUpperCase()} ${template}`),
    );
  }

  /** The path template a request path falls under (the one with the most literal segments wins), or undefined. */
  template(method: string, pathname: string): string | undefined {
    let path = pathname.replace(/\/$/, '');
    if (this.basePath) {
      if (!path.startsWith(`${this.basePath}/`)) return undefined;
      path = path.slice(this.basePath.length);
    }
    const candidates = Object.entries(this.doc.paths ?? {}).filter(([template, item]) => {
      if (!(method.toLowerCase() in item)) return false;
      const source = template.split('/').map((segment) => (segment.startsWith('{') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      return new RegExp(`^${source.join('/')}$`).test(path);
    });
    const literal = (template: string) => template.split('/').filter((segment) => !segment.startsWith('{')).length;
    return candidates.map(([template]) => template).sort((a, b) => literal(b) - literal(a))[0];
  }

  /**
   * An answer against the operation that describes it; undefined when the document describes
   * neither the path nor the status. `override` checks a body against another schema where real
   * Hub differs (NOTES.md); `allowed` as for check().
   */
  checkReply(
    reply: { method: string; path: string; status: number; body: unknown; headers?: Record<string, string> },
    options: { allowed?: Record<string, string>; override?: (operation: string) => SchemaObject | undefined } = {},
  ): ReplyCheck | undefined {
    const template = this.template(reply.method, reply.path);
    if (!template) return undefined;
    const responses = this.doc.paths?.[template]?.[reply.method.toLowerCase()]?.responses ?? {};
    const key = [String(reply.status), `${String(reply.status)[0]}XX`, 'default'].find((k) => k in responses);
    if (!key) return undefined;
    const operation = `${reply.method} ${template} ${key}`;
    const response = this.response(responses[key] as ResponseObject);
    const out: string[] = [];
    // A HEAD answer has no body whatever the document copies from its GET.
    const schema = reply.method === 'HEAD' ? undefined : (options.override?.(operation) ?? response.content?.['application/json']?.schema);
    if (schema) this.walk(schema, reply.body, operation, operation, out, options.allowed ?? {});
    else if (reply.method !== 'HEAD' && response.content === undefined && reply.body !== undefined && reply.body !== '') out.push(`${operation}: the spec documents no body, got ${JSON.stringify(reply.body).slice(0, 80)}`);
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = reply.headers?.[name.toLowerCase()];
      if (value === undefined) out.push(`${operation}: header ${name} missing`);
      else if (header.schema) this.walk(header.schema, value, `${operation} header ${name}`, `${operation} header ${name}`, out, options.allowed ?? {});
    }
    return { operation, problems: out };
  }

  private response(response: ResponseObject): ResponseObject {
    let current = response;
    for (let depth = 0; current.$ref && depth < 10; depth++) {
      const target = this.doc.components.responses?.[current.$ref.replace('#/components/responses/', '')];
      if (!target) throw new Error(`unresolvable $ref ${current.$ref}`);
      current = target;
    }
    return current;
  }

  /** The schema a $ref chain ends at, and the name of the last component on the way (the root of `allowed` keys). */
  private resolve(schema: SchemaObject): { schema: SchemaObject; component?: string } {
    let current = schema;
    let component: string | undefined;
    for (let depth = 0; current.$ref && depth < 10; depth++) {
      component = current.$ref.replace('#/components/schemas/', '');
      const target = this.schemas[component];
      if (!target) throw new Error(`unresolvable $ref ${current.$ref}`);
      // Sibling keywords next to a $ref (e.g. `type: object` on tag.images) yield to the target.
      current = { ...target };
    }
    return component === undefined ? { schema: current } : { schema: current, component };
  }

  /** One schema with allOf merged in: properties and required lists are unions. */
  private flatten(schema: SchemaObject): SchemaObject {
    const own = this.resolve(schema).schema;
    if (!own.allOf) return own;
    const merged: SchemaObject = { ...own, properties: { ...own.properties }, required: Array.isArray(own.required) ? [...own.required] : [] };
    delete merged.allOf;
    for (const part of own.allOf) {
      const flat = this.flatten(part);
      Object.assign(merged.properties as object, flat.properties);
      if (Array.isArray(flat.required)) (merged.required as string[]).push(...flat.required);
      merged.type ??= flat.type;
      merged.additionalProperties ??= flat.additionalProperties;
    }
    return merged;
  }

  /**
   * Problems of `value` against component `name`; `allowed` maps a path to why it may differ. A
   * path starts at the nearest named component (`tag.v2`, `tag.images[]`, `org_member.role`),
   * also inside an operation's answer, so one note covers every answer that carries the component.
   */
  check(name: string, value: unknown, allowed: Record<string, string> = {}): string[] {
    const out: string[] = [];
    this.walk({ $ref: `#/components/schemas/${name}` }, value, name, name, out, allowed);
    return out;
  }

  /** The property names component `name` declares (allOf merged): for checks that an answer has those and no others. */
  propertiesOf(name: string): string[] {
    return Object.keys(this.flatten({ $ref: `#/components/schemas/${name}` }).properties ?? {}).sort();
  }

  /** `path` is shown in problems; `key` (from the nearest component) is what `allowed` is looked up by. */
  private walk(schema: SchemaObject, value: unknown, path: string, key: string, out: string[], allowed: Record<string, string>): void {
    const { component } = this.resolve(schema);
    // A value that is a named component is also known by that component's name (`image`, not `tag.images[]`).
    const at = component ?? key;
    if (key in allowed || at in allowed) return;
    const s = this.flatten(schema);
    if (value === null) {
      if (!s.nullable) out.push(`${path}: null, but the spec does not allow null`);
      return;
    }
    if (!this.scalarOk(s, value, path, out)) return;
    if (Array.isArray(value) && s.items) {
      for (const item of value) this.walk(s.items, item, `${path}[]`, `${at}[]`, out, allowed);
      return;
    }
    if (typeof value === 'object' && !Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      for (const name of Array.isArray(s.required) ? s.required : []) {
        if (!(name in record) && !(`${at}.${name}` in allowed) && !(`${key}.${name}` in allowed)) out.push(`${path}.${name}: required by the spec, missing`);
      }
      for (const [name, child] of Object.entries(record)) {
        const declared = s.properties?.[name];
        if (declared) this.walk(declared, child, `${path}.${name}`, `${at}.${name}`, out, allowed);
        else if (typeof s.additionalProperties === 'object') this.walk(s.additionalProperties, child, `${path}.${name}`, `${at}.${name}`, out, allowed);
      }
    }
  }

  /** Type, enum, pattern, format and bounds; false when the type is wrong (nothing below it is checked). */
  private scalarOk(s: SchemaObject, value: unknown, path: string, out: string[]): boolean {
    const type = s.type ?? (s.properties ? 'object' : undefined);
    const typeOk =
      type === undefined ||
      (type === 'string' && typeof value === 'string') ||
      (type === 'integer' && Number.isInteger(value)) ||
      (type === 'number' && typeof value === 'number') ||
      (type === 'boolean' && typeof value === 'boolean') ||
      (type === 'array' && Array.isArray(value)) ||
      (type === 'object' && typeof value === 'object' && !Array.isArray(value));
    if (!typeOk) {
      out.push(`${path}: expected ${type}, got ${Array.isArray(value) ? 'array' : typeof value}`);
      return false;
    }
    if (s.enum && !s.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`);
    if (typeof value === 'string') {
      if (s.pattern && !new RegExp(s.pattern).test(value)) out.push(`${path}: ${JSON.stringify(value)} does not match ${s.pattern}`);
      const format = s.format ? FORMATS[s.format] : undefined;
      if (format && !format(value)) out.push(`${path}: ${JSON.stringify(value)} is not a ${s.format}`);
    }
    if (typeof value === 'number') {
      if (s.minimum !== undefined && value < s.minimum) out.push(`${path}: ${value} below the minimum ${s.minimum}`);
      if (s.maximum !== undefined && value > s.maximum) out.push(`${path}: ${value} above the maximum ${s.maximum}`);
    }
    return true;
  }
}

/**
 * Repository schemas of the newer spec ("2-beta", docker/docs c065f80, summarized in
 * SPEC-2-BETA.md): the 0073bb6 file has no repository components. Transcribed: types,
 * nullability, enums and required lists only.
 */
export const REPOSITORY_COMPONENTS: Record<string, SchemaObject> = {
  category: {
    type: 'object',
    required: ['name', 'slug'],
    properties: { name: { type: 'string' }, slug: { type: 'string', pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$' } },
  },
  repository_list_entry: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      namespace: { type: 'string' },
      repository_type: { type: 'string', nullable: true, enum: ['image', 'plugin', null] },
      status: { type: 'integer' },
      status_description: { type: 'string', enum: ['active', 'inactive'] },
      description: { type: 'string', nullable: true },
      is_private: { type: 'boolean' },
      star_count: { type: 'integer' },
      pull_count: { type: 'integer' },
      last_updated: { type: 'string', nullable: true },
      last_modified: { type: 'string', nullable: true },
      date_registered: { type: 'string' },
      affiliation: { type: 'string' },
      media_types: { type: 'array', items: { type: 'string' } },
      content_types: { type: 'array', items: { type: 'string' } },
      categories: { type: 'array', items: { $ref: '#/components/schemas/category' } },
      storage_size: { type: 'integer' },
    },
  },
  repo_permissions: {
    type: 'object',
    required: ['read', 'write', 'admin'],
    properties: { read: { type: 'boolean' }, write: { type: 'boolean' }, admin: { type: 'boolean' } },
  },
  immutable_tags_settings: {
    type: 'object',
    required: ['enabled', 'rules'],
    properties: { enabled: { type: 'boolean' }, rules: { type: 'array', items: { type: 'string' } } },
  },
  repository_info: {
    type: 'object',
    required: [
      'user', 'name', 'namespace', 'status', 'status_description', 'description', 'is_private', 'is_automated', 'star_count',
      'pull_count', 'last_updated', 'date_registered', 'collaborator_count', 'has_starred', 'permissions', 'media_types',
      'content_types', 'categories', 'immutable_tags_settings',
    ],
    properties: {
      user: { type: 'string' },
      name: { type: 'string' },
      namespace: { type: 'string' },
      repository_type: { type: 'string', nullable: true },
      status: { type: 'integer' },
      status_description: { type: 'string' },
      description: { type: 'string' },
      is_private: { type: 'boolean' },
      is_automated: { type: 'boolean' },
      star_count: { type: 'integer' },
      pull_count: { type: 'integer' },
      last_updated: { type: 'string' },
      last_modified: { type: 'string', nullable: true },
      date_registered: { type: 'string' },
      collaborator_count: { type: 'integer' },
      affiliation: { type: 'string', nullable: true },
      hub_user: { type: 'string', nullable: true },
      has_starred: { type: 'boolean' },
      full_description: { type: 'string', nullable: true },
      permissions: { $ref: '#/components/schemas/repo_permissions' },
      media_types: { type: 'array', items: { type: 'string', nullable: true } },
      content_types: { type: 'array', items: { type: 'string' } },
      categories: { type: 'array', items: { $ref: '#/components/schemas/category' } },
      immutable_tags_settings: { $ref: '#/components/schemas/immutable_tags_settings' },
      storage_size: { type: 'integer', nullable: true },
      source: { type: 'string', nullable: true },
    },
  },
  RepositoryGroup: {
    type: 'object',
    properties: { group_name: { type: 'string' }, permission: { type: 'string', enum: ['read', 'write', 'admin'] }, group_id: { type: 'integer' } },
  },
  immutable_tags_verify_response: { type: 'object', required: ['tags'], properties: { tags: { type: 'array', items: { type: 'string' } } } },
};
