import { afterEach, describe, expect, it } from 'vitest';
import { measureMemory } from '../../bench/memory.js';
import { fakeToken, seeded } from '../support/seed.js';

// A benchmark's child processes do not inherit the caller's Docker Hub credentials, database or
// schedules: the memory benchmark, run from a shell that exports them, still syncs the emulator.

const FILE = 'test/e2e/bench-env.test.ts';
const saved = { ...process.env };

afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

function hostile(seed: number): Record<string, string> {
  return {
    DOCKERHUB_USERNAME: 'someone-else',
    DOCKERHUB_PASSWORD: `not-the-emulator-${seed}`,
    DOCKERHUB_TOKEN: fakeToken('pat', seed),
    DOCKERHUB_JWT: `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4${seed}In0.c2ln`,
    DOCKERHUB_NAMESPACES: 'nobody-here',
    DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nothing',
    SCHEDULES: 'not=a schedule',
    LOG_LEVEL: 'trace',
  };
}

describe('the benchmark environment', () => {
  it.each([
    ['Docker Hub credentials', (seed: number) => pick(hostile(seed), /^DOCKERHUB_/)],
    ['credentials, a database, schedules and a log level', hostile],
  ])('the memory benchmark syncs the emulator although the shell exports other %s', async (_what, env) => {
    const { seed } = seeded(FILE);
    Object.assign(process.env, env(seed));
    const figures = await measureMemory({ scale: 1, seed: 1, accountTags: 0, databaseUrl: undefined, timeBoxSeconds: 240 });
    expect(figures.complete).toBe(true);
    expect(figures.tagsWritten).toBeGreaterThan(0);
    expect(figures.database).toBe('pglite');
  });
});

function pick(env: Record<string, string>, names: RegExp): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => names.test(name)));
}
