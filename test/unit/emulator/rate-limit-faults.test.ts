import { describe, expect, it } from 'vitest';
import { EXTRA_FIELD_NAME, Faults } from '../../../src/emulator/faults.js';
import { RateLimiter, UNLIMITED_REPORTED_LIMIT } from '../../../src/emulator/rate-limit.js';

function clockAt(ms: number) {
  let now = ms;
  return { now: () => now, set: (value: number) => (now = value) };
}

const NO_FAULTS = { latencyMs: 0, errorRate: 0, dropRate: 0, malformedRate: 0, extraField: false };

describe('RateLimiter', () => {
  it('counts down within a fixed 60 s window, then answers 429 with both retry headers', () => {
    const clock = clockAt(1_700_000_000_000);
    const limiter = new RateLimiter(clock, 3);
    const remaining = [1, 2, 3].map(() => limiter.take('a'));
    expect(remaining.map((d) => d.headers['x-ratelimit-remaining'])).toEqual(['2', '1', '0']);
    expect(remaining.every((d) => !d.limited && d.headers['x-ratelimit-limit'] === '3')).toBe(true);
    const reset = Number(remaining[0]?.headers['x-ratelimit-reset']);
    expect(reset).toBe(1_700_000_060);

    clock.set(1_700_000_020_000);
    const limited = limiter.take('a');
    expect(limited.limited).toBe(true);
    expect(limited.headers['retry-after']).toBe('40');
    expect(limited.headers['x-retry-after']).toBe(String(reset));
    expect(limiter.take('b').limited).toBe(false);

    clock.set(1_700_000_060_000);
    const fresh = limiter.take('a');
    expect(fresh.limited).toBe(false);
    expect(fresh.headers['x-ratelimit-remaining']).toBe('2');
  });

  it('never limits when unset or 0 but still reports headers that never reach 0', () => {
    for (const limit of [null, 0]) {
      const limiter = new RateLimiter(clockAt(0), limit);
      let last = limiter.take('a');
      for (let i = 0; i < 500; i++) last = limiter.take('a');
      expect(last.limited).toBe(false);
      expect(last.headers['x-ratelimit-limit']).toBe(String(UNLIMITED_REPORTED_LIMIT));
      expect(Number(last.headers['x-ratelimit-remaining'])).toBeGreaterThan(0);
    }
  });
});

describe('Faults', () => {
  it('rolls the same dice for the same seed', () => {
    const roll = () => {
      const faults = new Faults('7', { ...NO_FAULTS, errorRate: 0.3, dropRate: 0.1 });
      return Array.from({ length: 50 }, () => faults.decide('repositories.list'));
    };
    const first = roll();
    expect(roll()).toEqual(first);
    expect(first.some((d) => d.errorStatus !== null)).toBe(true);
    expect(first.some((d) => d.drop)).toBe(true);
    expect(first.some((d) => !d.drop && d.errorStatus === null)).toBe(true);
    expect(new Set(first.map((d) => d.errorStatus).filter(Boolean)).size).toBeGreaterThan(1);
  });

  it('fails the same requests of a route however other routes interleave with it', () => {
    const logins = (others: number) => {
      const faults = new Faults('7', { ...NO_FAULTS, errorRate: 0.3, dropRate: 0.1 });
      return Array.from({ length: 30 }, () => {
        for (let i = 0; i < others; i++) faults.decide('tags.list');
        return faults.decide('auth.token');
      });
    };
    expect(logins(0)).toEqual(logins(3));
  });

  it('corrupts copies of list items, never the originals, and adds the drift field', () => {
    const faults = new Faults('1', { ...NO_FAULTS, malformedRate: 1, extraField: true });
    const items = [{ name: 'latest', images: [] }, { name: '1.0', images: [] }];
    const out = faults.items(items, 'tag') as Record<string, unknown>[];
    expect(items).toEqual([{ name: 'latest', images: [] }, { name: '1.0', images: [] }]);
    for (const item of out) {
      expect(item[EXTRA_FIELD_NAME]).toBeDefined();
      expect(item.images === 'oops' || item.name === undefined).toBe(true);
    }
    expect(faults.single({ a: 1 })).toHaveProperty(EXTRA_FIELD_NAME);
    expect(new Faults('1', NO_FAULTS).active).toBe(false);
  });
});
