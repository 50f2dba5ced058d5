import { randomInt } from 'node:crypto';
import { onTestFailed } from 'vitest';

/**
 * Random choices in tests come from a seed: `TEST_SEED` when set (to replay a failure), else a
 * fresh one per call. A failing test prints the seed and the command that replays it.
 */
export interface Seeded {
  seed: number;
  /** Uniform in [0, 1), like Math.random, but reproducible from the seed. */
  random(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
}

/** mulberry32: small, fast, and good enough to pick kill points and fault patterns. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.TEST_SEED;
  if (text === undefined || text === '') return undefined;
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw new Error(`TEST_SEED must be an integer 0..4294967295 (got "${text}")`);
  return seed;
}

/**
 * How many random cases a soak-capable test tries: 1 by default (one seeded case in every run),
 * `TEST_SOAK=N` for N (each with its own seed, printed if it fails).
 */
export function soakRounds(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.TEST_SOAK;
  if (text === undefined || text === '') return 1;
  const rounds = Number(text);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10_000) throw new Error(`TEST_SOAK must be a whole number of rounds, 1..10000 (got "${text}")`);
  return rounds;
}

/** Call inside a test: its random choices, and the seed printed if the test fails. */
export function seeded(testFile: string): Seeded {
  const seed = seedFromEnv() ?? randomInt(0, 0xffff_ffff);
  const random = seededRandom(seed);
  onTestFailed(() => {
    console.error(`random choices of this test came from seed ${seed}; replay with: TEST_SEED=${seed} npx vitest run ${testFile}`);
  });
  return { seed, random, int: (min, max) => min + Math.floor(random() * (max - min + 1)) };
}

/**
 * A token-shaped value made up for a test (`dckr_pat_` + 32 characters from the seed): shaped
 * like a Docker Hub token so masking and redaction see one, never a real credential.
 */
export function fakeToken(kind: 'pat' | 'oat', seed = 1): string {
  const random = seededRandom(seed);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return `dckr_${kind}_${Array.from({ length: 32 }, () => alphabet[Math.floor(random() * alphabet.length)]).join('')}`;
}

/** A made-up credential without a known prefix (mixed case and digits, random), for masking tests. */
export function fakeOpaqueToken(random: () => number, length = 32): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  while (!/[a-z]/.test(out) || !/[A-Z]/.test(out) || !/\d/.test(out)) {
    out = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  }
  return out;
}
