import type { Prng } from './prng.js';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * Docker Hub timestamps come both as `2021-01-05T21:06:53.506400Z` (microseconds) and as
 * `2021-02-19T01:34:35Z`. The microsecond digits are a pure function of the millisecond value so
 * the same instant always prints the same way.
 */
export function hubTime(ms: number, fractional: boolean): string {
  const whole = new Date(Math.floor(ms / SECOND) * SECOND).toISOString().slice(0, 19);
  if (!fractional) return `${whole}Z`;
  const millis = ((ms % SECOND) + SECOND) % SECOND;
  const micros = millis * 1000 + ((ms * 7919) % 1000 + 1000) % 1000;
  return `${whole}.${String(micros).padStart(6, '0')}Z`;
}

/** The value a client sees once the timestamp is printed: whole seconds when there is no fraction. */
export function visibleMs(ms: number, fractional: boolean): number {
  return fractional ? ms : Math.floor(ms / SECOND) * SECOND;
}

export function nullableTime(ms: number | null, fractional: boolean): string | null {
  return ms === null ? null : hubTime(ms, fractional);
}

export function uuid(rng: Prng): string {
  const hex = rng.hex(32);
  const variant = '89ab'[rng.int(0, 3)];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function sha256Digest(rng: Prng): string {
  return `sha256:${rng.hex(64)}`;
}

export function yyyymmdd(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
}

/** Docker Hub's repository name rule (also used for team and namespace sanity checks). */
export const REPOSITORY_NAME_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
