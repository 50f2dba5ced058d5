// A small checker of values against the official OpenAPI document: resolves $ref and allOf, then
// checks types, nullability, enums, patterns and `required` lists. Deliberately independent of the
// project's zod schemas, so the emulator cannot drift from the spec along with them.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

type SchemaObject = {
  $ref?: string;
  allOf?: SchemaObject[];
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  pattern?: string;
  required?: string[] | boolean;
  properties?: Record<string, SchemaObject>;
  additionalProperties?: SchemaObject | boolean;
  items?: SchemaObject;
};

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** The spec file: $HUB_OPENAPI_SPEC, else `latest-*.yaml` in docs/hub-api, hub-api, or ../shared/hub-api. */
export function findSpec(): string | undefined {
  const fromEnv = process.env.HUB_OPENAPI_SPEC;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  for (const dir of ['docs/hub-api', 'hub-api', '../shared/hub-api']) {
    const full = resolve(ROOT, dir);
    if (!existsSync(full)) continue;
    const file = readdirSync(full).find((name) => /^latest-.*\.ya?ml$/.test(name));
    if (file) return join(full, file);
  }
  return undefined;
}

export class SpecChecker {
  private readonly schemas: Record<string, SchemaObject>;

  /** `extra` adds components the file lacks (the repository schemas of the newer "2-beta" spec). */
  constructor(file: string, extra: Record<string, SchemaObject> = {}) {
    const doc = parse(readFileSync(file, 'utf8')) as { components: { schemas: Record<string, SchemaObject> } };
    this.schemas = { ...doc.components.schemas, ...extra };
  }

  has(name: string): boolean {
    return name in this.schemas;
  }

  private resolve(schema: SchemaObject): SchemaObject {
    let current = schema;
    for (let depth = 0; current.$ref && depth < 10; depth++) {
      const name = current.$ref.replace('#/components/schemas/', '');
      const target = this.schemas[name];
      if (!target) throw new Error(`unresolvable $ref ${current.$ref}`);
      // Sibling keywords next to a $ref (e.g. `type: object` on tag.images) yield to the target.
      current = { ...target };
    }
    return current;
  }

  /** One schema with allOf merged in: properties and required lists are unions. */
  private flatten(schema: SchemaObject): SchemaObject {
    const own = this.resolve(schema);
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

  /** Problems of `value` against component `name`; `allowed` maps a path (e.g. `tag.v2`, `tag.images[]`) to why it may differ. */
  check(name: string, value: unknown, allowed: Record<string, string> = {}): string[] {
    const out: string[] = [];
    this.walk({ $ref: `#/components/schemas/${name}` }, value, name, out, allowed);
    return out;
  }

  private walk(schema: SchemaObject, value: unknown, path: string, out: string[], allowed: Record<string, string>): void {
    if (path in allowed) return;
    const s = this.flatten(schema);
    if (value === null) {
      if (!s.nullable) out.push(`${path}: null, but the spec does not allow null`);
      return;
    }
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
      return;
    }
    if (s.enum && !s.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`);
    if (s.pattern && typeof value === 'string' && !new RegExp(s.pattern).test(value)) out.push(`${path}: ${JSON.stringify(value)} does not match ${s.pattern}`);
    if (Array.isArray(value) && s.items) {
      for (const item of value) this.walk(s.items, item, `${path}[]`, out, allowed);
      return;
    }
    if (typeof value === 'object' && !Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      for (const key of Array.isArray(s.required) ? s.required : []) {
        if (!(key in record) && !(`${path}.${key}` in allowed)) out.push(`${path}.${key}: required by the spec, missing`);
      }
      for (const [key, child] of Object.entries(record)) {
        const declared = s.properties?.[key];
        if (declared) this.walk(declared, child, `${path}.${key}`, out, allowed);
        else if (typeof s.additionalProperties === 'object') this.walk(s.additionalProperties, child, `${path}.${key}`, out, allowed);
      }
    }
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
