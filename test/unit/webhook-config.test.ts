import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('WEBHOOK_SECRET', () => {
  it('is read from the environment (and the config file key webhookSecret)', () => {
    expect(loadConfig({ env: { WEBHOOK_SECRET: 'a-long-enough-secret-123' } }).webhookSecret).toBe('a-long-enough-secret-123');
    expect(loadConfig({ env: {} }).webhookSecret).toBeUndefined();
  });

  it('refuses a short secret or one that is no URL path segment, naming the variable and never the value', () => {
    for (const value of ['short-1', 'has/a/slash-in-it-0123456789', 'has space in it 0123456789']) {
      let error: unknown;
      try {
        loadConfig({ env: { WEBHOOK_SECRET: value } });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/WEBHOOK_SECRET: must/);
      expect((error as Error).message).not.toContain(value);
    }
  });
});
