import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { fakeOpaqueToken as opaqueToken, fakeToken, seeded } from '../support/seed.js';

// A value that looks like a secret never appears in a configuration or command-line message,
// wherever it was written; a key a secret is written under is pointed at secretEnv/secretFile.

const FILE = 'test/unit/secret-messages.test.ts';

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

function configFile(text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-secret-msg-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

function io(env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const sink = (write: (s: string) => void) => ({ write: (chunk: string) => (write(String(chunk)), true) }) as unknown as NodeJS.WritableStream;
  return {
    io: { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env: { LOG_LEVEL: 'silent', DATA_DIR: '/nonexistent-dhs-secret', ...env } },
    out: () => stdout,
    err: () => stderr,
  };
}

describe('a secret written in the wrong place is never echoed', () => {
  it.each([
    ['secretEnv', 'oat'],
    ['secretFile', 'oat'],
    ['secretEnv', 'pat'],
  ] as const)('%s given the %s itself: the message says so and does not show it', (key, kind) => {
    const { seed } = seeded(FILE);
    const token = fakeToken(kind, seed);
    const message = problemsOf(() =>
      loadConfig({ env: {}, configFile: configFile(`hub:\n  credentials:\n    - username: acme\n      kind: ${kind}\n      ${key}: ${token}\n`) }),
    );
    expect(message).not.toContain(token);
    expect(message).not.toContain(token.slice(9));
    expect(message).toContain(`${key} holds what looks like the secret itself`);
  });

  it('a random token without a prefix, in secretEnv, secretFile or any other field, is masked too', () => {
    const { random } = seeded(FILE);
    const token = opaqueToken(random);
    for (const yaml of [
      `hub:\n  credentials:\n    - username: acme\n      kind: pat\n      secretEnv: ${token}\n`,
      `hub:\n  credentials:\n    - username: acme\n      kind: pat\n      secretFile: ${token}\n`,
      `hub:\n  apiUrl: ${token}\n`,
      `namespaces: ${token}\n`,
      `hub:\n  credentials:\n    - username: ${token}\n      kind: nope\n      secretEnv: HUB_TOKEN\n`,
    ]) {
      expect(problemsOf(() => loadConfig({ env: {}, configFile: configFile(yaml) })), yaml).not.toContain(token);
    }
  });

  it('a password in secretEnv (not a variable name, no token shape) is not quoted back', () => {
    const password = 'correct horse!battery';
    const message = problemsOf(() =>
      loadConfig({ env: {}, configFile: configFile(`hub:\n  credentials:\n    - username: acme\n      kind: password\n      secretEnv: "${password}"\n`) }),
    );
    expect(message).toContain('must be an environment variable name');
    expect(message).not.toContain(password);
  });

  it('a token in an environment variable that is not a secret (the URL, the namespaces) is masked', () => {
    const { seed } = seeded(FILE);
    const token = fakeToken('pat', seed);
    const message = problemsOf(() => loadConfig({ env: { DOCKERHUB_API_URL: token, DOCKERHUB_NAMESPACES: token } }));
    expect(message).toContain('DOCKERHUB_API_URL');
    expect(message).not.toContain(token);
  });

  it.each(['Token', 'token', 'PASSWORD', 'api_key', 'accessToken', 'client-secret', 'pat'])(
    'a %s key gets the hint to use secretEnv/secretFile, never a key that keeps the secret in the file',
    (key) => {
      const { seed } = seeded(FILE);
      const token = fakeToken('pat', seed);
      for (const yaml of [`${key}: ${token}\n`, `hub:\n  ${key === 'token' ? 'Token' : key}: ${token}\n`, `hub:\n  credentials:\n    - username: acme\n      kind: pat\n      secretEnv: HUB_TOKEN\n      ${key === 'token' ? 'Token' : key}: ${token}\n`]) {
        const message = problemsOf(() => loadConfig({ env: { HUB_TOKEN: 'x' }, configFile: configFile(yaml) }));
        expect(message, yaml).not.toContain('did you mean "hub.token"');
        expect(message, yaml).not.toContain('did you mean "hub.password"');
        expect(message, yaml).toMatch(/secretEnv|does not belong in the config file/);
        expect(message, yaml).not.toContain(token);
      }
    },
  );

  it('a misspelt secretEnv still gets "did you mean secretEnv"', () => {
    const message = problemsOf(() =>
      loadConfig({ env: {}, configFile: configFile('hub:\n  credentials:\n    - username: acme\n      kind: pat\n      secretenv: HUB_TOKEN\n') }),
    );
    expect(message).toContain('did you mean "hub.credentials.0.secretEnv"');
  });

  it('the command line masks a token given as a job name, a namespace or an endpoint', async () => {
    const { seed, random } = seeded(FILE);
    const token = fakeToken('oat', seed);
    const opaque = opaqueToken(random);
    for (const argv of [
      ['push', token],
      ['sync', '--only', token],
      ['endpoints', 'show', opaque],
      ['sql', '--file', token],
      ['frob', token],
    ]) {
      const t = io();
      const code = await main(argv, t.io);
      expect(code, argv.join(' ')).toBeGreaterThan(0);
      expect(t.err(), argv.join(' ')).not.toContain(token);
      expect(t.err(), argv.join(' ')).not.toContain(opaque);
    }
  });
});
