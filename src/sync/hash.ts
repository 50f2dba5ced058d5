import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal content always gives equal text (and equal hashes). */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  // Every stored row is hashed with this on every pass: plain loops, no intermediate arrays.
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      out += stableStringify(item === undefined ? null : item);
    }
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = object[key];
    if (item === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${stableStringify(item)}`;
  }
  return `${out}}`;
}

export function hashOf(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('base64url').slice(0, 32);
}

const TS_RE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * One spelling per instant: Hub sends timestamps with and without fractional seconds and with
 * `Z` or `+00:00`. Microsecond precision is kept (Postgres keeps it too). Anything that is not
 * a timestamp comes back unchanged; empty strings become null.
 */
export function normalizeTimestamp(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string') return null;
  const match = TS_RE.exec(value.trim());
  if (!match) {
    const parsed = new Date(value);
    return Number.isNaN(parsed.getTime()) ? null : parsed.toISOString();
  }
  const [, date, time, fraction = '', zone = 'Z'] = match;
  let iso = `${date}T${time}`;
  const micro = fraction.slice(0, 6).replace(/0+$/, '');
  if (micro) iso += `.${micro}`;
  if (zone === 'Z' || zone === '+00:00' || zone === '+0000' || zone === '-00:00') return `${iso}Z`;
  // Convert other offsets to UTC through Date, keeping the sub-millisecond digits.
  const parsed = new Date(`${date}T${time}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
  if (Number.isNaN(parsed.getTime())) return null;
  const utc = parsed.toISOString().slice(0, 19);
  return `${utc}${micro ? `.${micro}` : ''}Z`;
}

/**
 * Audit events have no id. Their own fields identify them; the timestamp is normalized so a
 * re-read that formats it differently still matches.
 */
export function auditEventHash(account: string, event: Record<string, unknown>): string {
  return hashOf({
    account,
    action: event.action ?? null,
    name: event.name ?? null,
    actor: event.actor ?? null,
    data: event.data ?? null,
    timestamp: normalizeTimestamp(event.timestamp) ?? event.timestamp ?? null,
  });
}
