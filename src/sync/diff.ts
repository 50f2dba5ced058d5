import { stableStringify } from './hash.js';

export type FieldChanges = Record<string, { old: unknown; new: unknown }>;

/** Top-level fields of two API objects that differ, old → new (nested values compared as JSON). */
export function diffFields(before: Record<string, unknown> | null | undefined, after: Record<string, unknown>): FieldChanges {
  const changes: FieldChanges = {};
  const old = before ?? {};
  const keys = new Set([...Object.keys(old), ...Object.keys(after)]);
  for (const key of [...keys].sort()) {
    const a = old[key];
    const b = after[key];
    if (stableStringify(a) !== stableStringify(b)) changes[key] = { old: a ?? null, new: b ?? null };
  }
  return changes;
}
