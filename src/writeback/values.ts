// Small pure helpers shared by the templates and the runner: reading record columns the way SQL
// hands them over (text, arrays, jsonb, booleans as 't'), stable hashes, and secret handling.

import { createHash } from 'node:crypto';

export type Row = Record<string, unknown>;

/** A column that is absent or NULL counts as not given. */
export function given(record: Row, column: string): boolean {
  return record[column] !== undefined && record[column] !== null;
}

export function text(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A list from an array column, a jsonb array, a JSON text array or comma-separated text. */
export function list(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.map(text);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      return Array.isArray(parsed) ? parsed.map(text) : undefined;
    } catch {
      return undefined;
    }
  }
  // Postgres text[] as text: {a,b}
  const inner = /^\{(.*)\}$/.exec(trimmed)?.[1];
  return (inner ?? trimmed)
    .split(',')
    .map((item) => item.trim().replace(/^"(.*)"$/, '$1'))
    .filter(Boolean);
}

/** A boolean from a boolean column or text: true/false, t/f, yes/no, 1/0. */
export function bool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  if (['true', 't', 'yes', 'y', '1'].includes(v)) return true;
  if (['false', 'f', 'no', 'n', '0'].includes(v)) return false;
  return undefined;
}

/** A JSON value from a jsonb column (already parsed) or JSON text. */
export function json(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

/** JSON with object keys sorted, so equal values always give equal text (and hashes). */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Row)
        .sort()
        .map((key) => [key, sortKeys((value as Row)[key])]),
    );
  }
  return value;
}

export function sha256(textValue: string): string {
  return createHash('sha256').update(textValue).digest('hex');
}

/** Only `columns` of a record, in a plain JSON-safe form (dates as ISO text). */
export function project(record: Row, columns: readonly string[]): Row {
  const out: Row = {};
  for (const column of columns) if (record[column] !== undefined) out[column] = sortKeys(record[column]);
  return out;
}

// ------------------------------------------------------------------ secrets

/** Docker Hub token secrets, wherever they appear in text. */
const TOKEN_SECRET = /dckr_(?:pat|oat)_[A-Za-z0-9_-]+/g;
/** Keys whose values are secrets (not `token_label`, not `access_token_id`). */
const SECRET_KEY = /^(?:token|secret|password|passwd|jwt|access_token|refresh_token|otp|api_key|client_secret)$|(?:_secret|_password|_token)$/i;

/** `sha256:` and the first 12 hex digits: enough to match a secret you hold, useless to anyone else. */
export function fingerprint(secret: string): string {
  return `sha256:${sha256(secret).slice(0, 12)}`;
}

export interface MaskResult {
  value: unknown;
  /** The secrets found, in order (for `--reveal-secrets`; never stored). */
  secrets: { path: string; secret: string; fingerprint: string }[];
}

/**
 * A copy of `value` with every secret replaced by its fingerprint: values under secret-named
 * keys and anything shaped like a Docker Hub token, wherever it is.
 */
export function maskSecrets(value: unknown, at = '$'): MaskResult {
  const secrets: MaskResult['secrets'] = [];
  const walk = (node: unknown, path: string, secretKey: boolean): unknown => {
    if (typeof node === 'string') {
      if (secretKey && node !== '') {
        const fp = fingerprint(node);
        secrets.push({ path, secret: node, fingerprint: fp });
        return `[secret ${fp}]`;
      }
      return node.replace(TOKEN_SECRET, (found) => {
        const fp = fingerprint(found);
        secrets.push({ path, secret: found, fingerprint: fp });
        return `[secret ${fp}]`;
      });
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, `${path}[${i}]`, false));
    if (node !== null && typeof node === 'object') {
      const out: Row = {};
      for (const [key, item] of Object.entries(node as Row)) out[key] = walk(item, `${path}.${key}`, SECRET_KEY.test(key));
      return out;
    }
    return node;
  };
  return { value: walk(value, at, false), secrets };
}

export const masked = (value: unknown): unknown => maskSecrets(value).value;

/** Text with any token-shaped secret fingerprinted. */
export function maskText(value: string): string {
  return value.replace(TOKEN_SECRET, (found) => `[secret ${fingerprint(found)}]`);
}
