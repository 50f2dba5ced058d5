import { describe, expect, it } from 'vitest';
import { benchChildEnv } from '../../bench/env.js';
import { fakeToken, seeded } from '../support/seed.js';

// The environment a benchmark gives its child processes: an allowlist plus what it sets.

const FILE = 'test/unit/bench-env.test.ts';

describe('the benchmark environment', () => {
  it('passes PATH, HOME and the temp folder through, and nothing of the caller but them', () => {
    const { seed } = seeded(FILE);
    const caller = {
      PATH: '/bin',
      HOME: '/home/u',
      TMPDIR: '/tmp',
      DOCKERHUB_USERNAME: 'someone-else',
      DOCKERHUB_PASSWORD: `not-the-emulator-${seed}`,
      DOCKERHUB_TOKEN: fakeToken('pat', seed),
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nothing',
      SCHEDULES: 'not=a schedule',
      LOG_LEVEL: 'trace',
    };
    const env = benchChildEnv({ LOG_LEVEL: 'warn', DATA_DIR: '/tmp/x' }, caller);
    expect(env).toEqual({ PATH: '/bin', HOME: '/home/u', TMPDIR: '/tmp', LOG_LEVEL: 'warn', DATA_DIR: '/tmp/x' });
  });
});
