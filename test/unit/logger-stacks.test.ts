import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { HubAuthError } from '../../src/hub/errors.js';
import { createLogger } from '../../src/logger.js';

// Expected errors (a refused login, a refused config) are one line without a stack; stacks
// show at debug, and always for errors that mean a bug.

function capture() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { destination, lines: () => chunks.join('').trimEnd().split('\n').map((line) => JSON.parse(line) as { err?: { stack?: string; message?: string } }) };
}

const expected = () => [
  new HubAuthError('Docker Hub login failed for "alice" (401 from POST /v2/auth/token)', 'bad_credentials', { status: 401, endpoint: 'login', method: 'POST', url: '/v2/auth/token' }),
  new ConfigError(['hub.apiUrl: must be an http(s) URL']),
  new Error('Cannot connect to the database at postgres://db/x: connection refused'),
];

describe('stacks in the log', () => {
  it.each(['warn', 'info', 'error'])('at %s an expected error is its message without a stack', (level) => {
    const out = capture();
    const logger = createLogger({ level, destination: out.destination });
    for (const error of expected()) logger.error({ err: error }, 'failed');
    for (const line of out.lines()) {
      expect(line.err?.message).toBeTruthy();
      expect(line.err?.stack).toBeUndefined();
    }
  });

  it.each(['debug', 'trace'])('at %s every error carries its stack', (level) => {
    const out = capture();
    const logger = createLogger({ level, destination: out.destination });
    for (const error of expected()) logger.error({ err: error }, 'failed');
    for (const line of out.lines()) expect(line.err?.stack).toContain('at ');
  });

  it('a bug (TypeError, RangeError) keeps its stack at every level', () => {
    const out = capture();
    const logger = createLogger({ level: 'warn', destination: out.destination });
    logger.error({ err: new TypeError("Cannot read properties of undefined (reading 'x')") }, 'bug');
    logger.error({ err: new RangeError('Invalid array length') }, 'bug');
    for (const line of out.lines()) expect(line.err?.stack).toContain('at ');
  });
});
