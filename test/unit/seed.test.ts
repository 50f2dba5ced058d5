import { describe, expect, it } from 'vitest';
import { seedFromEnv, seededRandom } from '../support/seed.js';

describe('seeded test randomness', () => {
  it('replays the same sequence from the same seed and differs between seeds', () => {
    const take = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 5 }, () => random());
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
    for (const value of take(7)) expect(value >= 0 && value < 1).toBe(true);
  });
  it.each([
    [{}, undefined],
    [{ TEST_SEED: '' }, undefined],
    [{ TEST_SEED: '123' }, 123],
  ])('reads TEST_SEED from %o', (env, expected) => expect(seedFromEnv(env)).toBe(expected));
  it('refuses a TEST_SEED that is not a 32-bit integer', () => expect(() => seedFromEnv({ TEST_SEED: 'abc' })).toThrow(/TEST_SEED/));
});
