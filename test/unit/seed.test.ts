import { describe, expect, it } from 'vitest';
import { seedFromEnv, seededRandom, soakRounds } from '../support/seed.js';

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
  it.each([
    [{}, 1],
    [{ TEST_SOAK: '' }, 1],
    [{ TEST_SOAK: '25' }, 25],
  ])('runs soak-capable tests for as many rounds as TEST_SOAK says: %o', (env, expected) => expect(soakRounds(env)).toBe(expected));
  it.each(['0', '-2', '1.5', 'many'])('refuses TEST_SOAK=%s', (text) => expect(() => soakRounds({ TEST_SOAK: text })).toThrow(/TEST_SOAK must be a whole number/));
});
