import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('durations that feed a timer', () => {
  // Node's timers hold at most 2^31-1 ms; a longer delay fires at once.
  it.each([
    ['SHUTDOWN_TIMEOUT', '99999999d'],
    ['SHUTDOWN_TIMEOUT', '25d'],
    ['DOCKERHUB_TIMEOUT', '30d'],
    ['DOCKERHUB_MAX_RETRY_WAIT', '2147483648ms'],
    ['DOCKERHUB_REQUEST_DEADLINE', '100d'],
    ['DATABASE_CONNECT_TIMEOUT', '100d'],
    ['DATABASE_STATEMENT_TIMEOUT', '100d'],
    ['READYZ_STALL_LIMIT', '100d'],
  ])('%s=%s is refused, naming the limit', (key, value) => {
    const problems = problemsOf({ [key]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(key);
    expect(problems[0]).toMatch(/24 days/);
  });

  it('accepts the longest a timer can wait', () => {
    expect(loadConfig({ env: { SHUTDOWN_TIMEOUT: '24d' } }).shutdownTimeout).toBe(24 * 86_400_000);
    expect(loadConfig({ env: { SHUTDOWN_TIMEOUT: '2147483647ms' } }).shutdownTimeout).toBe(2 ** 31 - 1);
  });

  it('leaves durations that are not timers alone (a 90-day lookback is fine)', () => {
    expect(loadConfig({ env: { AUDIT_INITIAL_LOOKBACK: '365d' } }).sync.auditInitialLookback).toBe(365 * 86_400_000);
  });

  it.each(['DOCKERHUB_TIMEOUT', 'DOCKERHUB_REQUEST_DEADLINE', 'DATABASE_CONNECT_TIMEOUT', 'DATABASE_STATEMENT_TIMEOUT', 'READYZ_STALL_LIMIT'])(
    '%s=0s is refused: 0 would switch the timeout off',
    (key) => {
      const problems = problemsOf({ [key]: '0s' });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(key);
      expect(problems[0]).toMatch(/more than 0/);
    },
  );
});

describe('database, Hub and readiness limits', () => {
  it('has defaults', () => {
    const config = loadConfig({ env: {} });
    expect(config.databaseConnectTimeout).toBe(10_000);
    expect(config.databaseStatementTimeout).toBe(5 * 60_000);
    expect(config.hub.requestDeadline).toBe(3 * 60_000);
    expect(config.hub.maxResponseBytes).toBe(64 * 1024 * 1024);
    expect(config.readyzStallLimit).toBe(30 * 60_000);
  });

  it('reads them from the environment', () => {
    const config = loadConfig({
      env: {
        DATABASE_CONNECT_TIMEOUT: '5s',
        DATABASE_STATEMENT_TIMEOUT: '1m',
        DOCKERHUB_REQUEST_DEADLINE: '90s',
        DOCKERHUB_MAX_RESPONSE_BYTES: '1048576',
        READYZ_STALL_LIMIT: '2h',
      },
    });
    expect(config.databaseConnectTimeout).toBe(5_000);
    expect(config.databaseStatementTimeout).toBe(60_000);
    expect(config.hub.requestDeadline).toBe(90_000);
    expect(config.hub.maxResponseBytes).toBe(1_048_576);
    expect(config.readyzStallLimit).toBe(2 * 3_600_000);
  });

  it.each(['0', '-1', '1.5', 'lots'])('DOCKERHUB_MAX_RESPONSE_BYTES=%s is refused', (value) => {
    const problems = problemsOf({ DOCKERHUB_MAX_RESPONSE_BYTES: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('DOCKERHUB_MAX_RESPONSE_BYTES');
  });
});
