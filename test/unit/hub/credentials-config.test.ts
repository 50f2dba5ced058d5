import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { knownOrgsOf, namespacesOf, scopeMap, scopeOfSlice } from '../../../src/hub/credentials.js';

function configFile(body: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'creds-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, body);
  return file;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

const TWO_ORGS = `
hub:
  credentials:
    - { username: acme, kind: oat, secretEnv: ACME_OAT, namespaces: [acme] }
    - { username: globex, kind: oat, secretEnv: GLOBEX_OAT }
    - { username: alice, kind: pat, secretEnv: ALICE_PAT, namespaces: [alice, shared-ns] }
`;
/** Obviously fake secrets: nothing token-shaped is written in the repository. */
const fakeSecret = (label: string) => `fake-secret-of-${label}`;
const SECRETS = { ACME_OAT: fakeSecret('acme'), GLOBEX_OAT: fakeSecret('globex'), ALICE_PAT: fakeSecret('alice') };
const WRITTEN_IN_FILE = fakeSecret('in-file');

describe('hub.credentials in the config file', () => {
  it('parses a list of credentials with HUB_CONCURRENCY', () => {
    const config = loadConfig({ env: { ...SECRETS, HUB_CONCURRENCY: '2' }, configFile: configFile(TWO_ORGS) });
    expect(config.hub.credentials.map((c) => [c.username, c.kind, c.secretEnv, c.namespaces])).toEqual([
      ['acme', 'oat', 'ACME_OAT', ['acme']],
      ['globex', 'oat', 'GLOBEX_OAT', []],
      ['alice', 'pat', 'ALICE_PAT', ['alice', 'shared-ns']],
    ]);
    expect(config.hub.concurrency).toBe(2);
    // The secrets themselves are not part of the parsed config.
    for (const secret of Object.values(SECRETS)) expect(JSON.stringify(config)).not.toContain(secret);
  });

  it('refuses a secret written into the file, without echoing it', () => {
    const file = configFile(`
hub:
  credentials:
    - { username: acme, kind: oat, token: ${WRITTEN_IN_FILE}, namespaces: [acme] }
`);
    const problems = problemsOf(() => loadConfig({ env: {}, configFile: file }));
    expect(problems.join('\n')).toContain('hub.credentials[0] (acme): "token" does not belong in the config file');
    expect(problems.join('\n')).not.toContain(WRITTEN_IN_FILE);
  });

  it.each([
    ['no secret source', '{ username: acme, kind: oat }', 'hub.credentials[0] (acme): needs secretEnv'],
    ['both sources', '{ username: acme, kind: oat, secretEnv: ACME_OAT, secretFile: /x }', 'give secretEnv or secretFile, not both'],
    ['an unset variable', '{ username: acme, kind: oat, secretEnv: NOT_SET }', 'environment variable NOT_SET (secretEnv) is not set'],
    ['a missing file', '{ username: acme, kind: oat, secretFile: /nonexistent/acme }', 'secretFile /nonexistent/acme cannot be read (ENOENT)'],
    ['an unknown kind', '{ username: acme, kind: apikey, secretEnv: ACME_OAT }', 'must be one of pat, password, oat, jwt'],
    ['an OAT for another org', '{ username: acme, kind: oat, secretEnv: ACME_OAT, orgs: [globex] }', 'reaches only its own organization "acme"'],
  ])('names the credential and the fix: %s', (_name, entry, expected) => {
    const problems = problemsOf(() => loadConfig({ env: SECRETS, configFile: configFile(`hub:\n  credentials:\n    - ${entry}\n`) }));
    expect(problems.join('\n')).toContain(expected);
  });

  it('reads a secret from a file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'creds-'));
    writeFileSync(path.join(dir, 'acme'), `${fakeSecret('from-file')}\n`);
    const config = loadConfig({ env: {}, configFile: configFile(`hub:\n  credentials:\n    - { username: acme, kind: oat, secretFile: ${path.join(dir, 'acme')} }\n`) });
    expect(config.hub.credentials[0]!.secretFile).toBe(path.join(dir, 'acme'));
  });

  it('a namespace served by two credentials is a start-up error naming it', () => {
    const file = configFile(`
hub:
  credentials:
    - { username: acme, kind: oat, secretEnv: ACME_OAT }
    - { username: alice, kind: pat, secretEnv: ALICE_PAT, namespaces: [alice, acme] }
`);
    const problems = problemsOf(() => loadConfig({ env: SECRETS, configFile: file }));
    expect(problems).toContain('hub.credentials: namespace "acme" is served by 2 credentials (acme, alice); give it to exactly one');
  });

  it('a listed namespace served by no credential is a start-up error, unless the shorthand credential serves the rest', () => {
    const file = configFile(TWO_ORGS);
    const problems = problemsOf(() => loadConfig({ env: { ...SECRETS, DOCKERHUB_NAMESPACES: 'acme,initech' }, configFile: file }));
    expect(problems.join('\n')).toContain('namespace "initech" is listed (DOCKERHUB_NAMESPACES / DOCKERHUB_ORGS) but no credential in hub.credentials serves it');
    expect(problems.join('\n')).not.toContain('"acme" is listed');
    const config = loadConfig({
      env: { ...SECRETS, DOCKERHUB_NAMESPACES: 'acme,initech', DOCKERHUB_USERNAME: 'bob', DOCKERHUB_TOKEN: fakeSecret('bob') },
      configFile: file,
    });
    expect(config.hub.credentials).toHaveLength(3);
  });
});

describe('which credential serves what', () => {
  it.each([
    [{ username: 'acme', kind: 'oat' as const, namespaces: [] }, ['acme'], ['acme']],
    [{ username: 'acme', kind: 'oat' as const, namespaces: ['acme'], orgs: ['acme'] }, ['acme'], ['acme']],
    [{ username: 'alice', kind: 'pat' as const, namespaces: [] }, ['alice'], undefined],
    [{ username: 'alice', kind: 'password' as const, namespaces: ['alice', 'acme'], orgs: ['acme'] }, ['alice', 'acme'], ['acme']],
    [{ username: 'alice', kind: 'password' as const, namespaces: [], orgs: ['acme'] }, [], ['acme']],
  ])('%j → namespaces %j, orgs %j', (entry, namespaces, orgs) => {
    expect(namespacesOf(entry)).toEqual(namespaces);
    expect(knownOrgsOf(entry)).toEqual(orgs);
  });

  it('maps each scope to its credential', () => {
    const map = scopeMap([
      { username: 'acme', kind: 'oat', namespaces: [] },
      { username: 'alice', kind: 'password', namespaces: ['alice'], orgs: ['globex'] },
    ]);
    expect([...map]).toEqual([['acme', 'acme'], ['alice', 'alice'], ['globex', 'alice']]);
  });

  it.each([
    [{ key: 'acme', params: { namespace: 'acme' } }, 'acme'],
    [{ key: 'acme/web', params: { namespace: 'acme', repository: 'web' } }, 'acme'],
    [{ key: 'acme/owners', params: { org: 'acme', team: 'owners' } }, 'acme'],
    [{ key: 'acme', params: { account: 'acme' } }, 'acme'],
    [{ key: 'library/nginx:latest' }, 'library'],
  ])('slice %j works on %s', (slice, scope) => {
    expect(scopeOfSlice(slice)).toBe(scope);
  });
});
