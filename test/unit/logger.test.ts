import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger, scrubSecrets } from '../../src/logger.js';

function capture() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { destination, text: () => chunks.join('') };
}

describe('logger redaction', () => {
  const token = 'dckr_pat_FAKE_logger_test_only';
  const password = 'hunter2-very-secret';

  it('never prints a secret passed in config, whatever path it travels', () => {
    const config = loadConfig({
      env: {
        DOCKERHUB_USERNAME: 'alice',
        DOCKERHUB_TOKEN: token,
        DOCKERHUB_PASSWORD: password,
        DATABASE_URL: `postgres://app:${password}@db:5432/hub`,
      },
    });
    const out = capture();
    const logger = createLogger({ level: 'trace', destination: out.destination, secrets: [token, password] });
    logger.info({ config }, 'loaded config');
    logger.info({ headers: { authorization: `Bearer ${token}` } }, 'request');
    logger.info({ body: { identifier: 'alice', secret: token } }, 'login');
    logger.warn(`login failed for alice with ${token}`);
    logger.error({ err: new Error(`401 for token ${token} at postgres://app:${password}@db/hub`) }, 'boom');
    logger.child({ password }).info('child');
    const text = out.text();
    expect(text).toContain('loaded config');
    expect(text).toContain('alice');
    expect(text).not.toContain(token);
    expect(text).not.toContain(password);
    expect(text).toContain('[redacted]');
  });

  it('scrubs token shapes from free text', () => {
    expect(scrubSecrets('use dckr_oat_abcDEF123 now')).toBe('use [redacted] now');
    expect(scrubSecrets('Authorization: Bearer abc.def.ghi')).toBe('Authorization: Bearer [redacted]');
    expect(scrubSecrets('postgres://u:pw@host/db')).toBe('postgres://u:[redacted]@host/db');
    expect(scrubSecrets('jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.sig')).toBe('jwt [redacted]');
    expect(scrubSecrets('nothing here')).toBe('nothing here');
  });
});
