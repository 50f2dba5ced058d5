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
  // One benchmark run (two tsx children and a sync into a new embedded database) with every kind
  // exported at once: the Docker Hub credentials alone are part of this environment, and a child
  // that saw them would fail here too. The builder's allowlist, variable by variable:
  // test/unit/bench-env.test.ts.
  it('the memory benchmark syncs the emulator although the shell exports other Docker Hub credentials, a database, schedules and a log level', async () => {
    const { seed } = seeded(FILE);
    Object.assign(process.env, hostile(seed));
    const figures = await measureMemory({ scale: 1, seed: 1, accountTags: 0, databaseUrl: undefined, timeBoxSeconds: 240 });
    expect(figures.complete).toBe(true);
    expect(figures.tagsWritten).toBeGreaterThan(0);
    expect(figures.database).toBe('pglite');
  });
});
