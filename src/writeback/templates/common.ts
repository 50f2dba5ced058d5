import { renderTemplate, valuesResolver } from '../../templating/template.js';
import { bool, given, list, text, type Row } from '../values.js';

export const ORG_ROLES = ['owner', 'editor', 'member'] as const;
export const REPO_PERMISSIONS = ['read', 'write', 'admin'] as const;
export const PAT_SCOPES = ['repo:admin', 'repo:write', 'repo:read', 'repo:public_read'] as const;

export const str = (record: Row, column: string): string => text(record[column]);

/** The given optional columns as a body, each converted by `as` (text by default). */
export function pick(record: Row, columns: Record<string, 'text' | 'bool' | 'list' | 'raw'>): Row {
  const out: Row = {};
  for (const [column, kind] of Object.entries(columns)) {
    if (!given(record, column)) continue;
    const value = record[column];
    out[column] = kind === 'bool' ? bool(value) : kind === 'list' ? list(value) : kind === 'raw' ? value : text(value);
  }
  return out;
}

/** A bad-record message for a column that must be one of `allowed`, or undefined. */
export function oneOf(record: Row, column: string, allowed: readonly string[]): string | undefined {
  if (!given(record, column)) return undefined;
  const value = text(record[column]).toLowerCase();
  return allowed.includes(value) ? undefined : `${column} "${text(record[column])}" is not one of ${allowed.join(', ')}`;
}

/** Longest role name a record may carry; Hub decides the rest (which custom roles exist). */
const ROLE_MAX = 100;

/**
 * A bad-record message for a role column, or undefined. A role is a core role (owner, editor,
 * member, any case) or a custom role's name (spec c95ded2): any non-empty text of reasonable length
 * without spaces at its ends or control characters; whether the organization has it is Hub's call.
 */
export function roleProblem(record: Row, column: string): string | undefined {
  if (!given(record, column)) return undefined;
  const value = text(record[column]);
  if (value.trim() === '') return `${column} is empty: give a core role (${ORG_ROLES.join(', ')}) or a custom role's name`;
  if (value.length > ROLE_MAX) return `${column} is ${value.length} characters long; a role name has at most ${ROLE_MAX}`;
  if (value !== value.trim() || /[\u0000-\u001f\u007f]/.test(value)) return `${column} "${JSON.stringify(value).slice(1, -1)}" has spaces at its ends or control characters`;
  return undefined;
}

/** The role as Hub takes it: a core role in lower case (synced members read `Editor`), a custom role's name as given. */
export function roleValue(record: Row, column: string): string {
  const value = text(record[column]);
  const lower = value.toLowerCase();
  return (ORG_ROLES as readonly string[]).includes(lower) ? lower : value;
}

/** A bad-record message for a column that must read as a boolean, or undefined. */
export function booleanColumn(record: Row, column: string): string | undefined {
  if (!given(record, column)) return undefined;
  return bool(record[column]) === undefined ? `${column} "${text(record[column])}" is not a boolean (true/false)` : undefined;
}

/** Within the last minute of `since` (clocks of this machine and Docker Hub may differ a little). */
export function createdSince(value: unknown, since: Date): boolean {
  const at = Date.parse(String(value));
  return Number.isFinite(at) && at >= since.getTime() - 60_000;
}

/** A read path for a check after a crash, `{column}`s filled in from the record, each one path segment. */
export const pathFor = (template: string, record: Row): string => renderTemplate(template, valuesResolver(record), { encode: 'path', what: 'check path' });
