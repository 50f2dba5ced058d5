import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/cli.js';

/**
 * DATA_DIR that the process cannot write (the image runs as uid 1000; a root-owned bind mount or
 * `--user` does this): the CLI stops before PGlite with a message that says how to fix it. The
 * tests run as root, so the CLI runs as `nobody` (65534) through setpriv.
 */

const NOBODY = 65534;
const AS_NOBODY = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to run the CLI as another user';
  try {
    execFileSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), 'true'], { timeout: 30_000 });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const reason = unavailable();

describe.skipIf(reason !== undefined)(`a DATA_DIR the process cannot write${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let root: string;
  beforeAll(() => {
    // Traversable by everyone, writable by root only: like a bind mount of a root-owned folder.
    root = mkdtempSync(path.join(os.tmpdir(), 'dhs-perm-'));
    chmodSync(root, 0o755);
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const fixes = (dir: string) => [
    `chown -R ${NOBODY}:${NOBODY} ${dir}`,
    `docker run --rm --user 0 -v <volume>:${dir} --entrypoint chown <image> -R ${NOBODY}:${NOBODY} ${dir}`,
    'set DATABASE_URL',
  ];

  it.each([
    ['migrate', ['migrate']],
    ['serve', ['serve']],
  ])('%s: a root-owned DATA_DIR is refused before PGlite starts, with the owner and the fixes', async (_name, args) => {
    const dir = path.join(root, `owned-by-root-${args[0]}`);
    mkdirSync(dir, { mode: 0o755 });
    const result = await runCli(args, { env: baseEnv({ DATA_DIR: dir, DOCKERHUB_NAMESPACES: 'acme', LOG_LEVEL: 'silent' }), wrap: AS_NOBODY });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`DATA_DIR ${dir} is not writable by this process (uid ${NOBODY}, gid ${NOBODY}; ${dir} belongs to uid 0, gid 0)`);
    for (const fix of fixes(dir)) expect(result.stderr).toContain(fix);
    // Not: run as root to fit a root-owned folder.
    expect(result.stderr).not.toContain('--user 0:0');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a DATA_DIR that does not exist under a folder the process cannot write', async () => {
    const dir = path.join(root, 'missing', 'data');
    const result = await runCli(['migrate'], { env: baseEnv({ DATA_DIR: dir, LOG_LEVEL: 'silent' }), wrap: AS_NOBODY });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`DATA_DIR ${dir} is not writable by this process (uid ${NOBODY}, gid ${NOBODY}; ${root} belongs to uid 0, gid 0)`);
    for (const fix of fixes(dir)) expect(result.stderr).toContain(fix);
    expect(result.stderr).toContain(`\`mkdir -p ${dir} && chown -R ${NOBODY}:${NOBODY} ${dir}\``);
  });

  it('a DATA_DIR handed over to the user, with the database files still owned by root from an earlier run', async () => {
    const dir = path.join(root, 'chowned-top-only');
    mkdirSync(dir);
    const asRoot = await runCli(['migrate'], { env: baseEnv({ DATA_DIR: dir, LOG_LEVEL: 'silent' }) });
    expect(asRoot.code, asRoot.stderr).toBe(0);
    chownSync(dir, NOBODY, NOBODY);
    const result = await runCli(['migrate'], { env: baseEnv({ DATA_DIR: dir, LOG_LEVEL: 'silent' }), wrap: AS_NOBODY });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`DATA_DIR ${dir} is not writable by this process (uid ${NOBODY}, gid ${NOBODY}; ${path.join(dir, 'pglite')} belongs to uid 0, gid 0)`);
    expect(result.stderr).toContain(`chown -R ${NOBODY}:${NOBODY} ${dir}`);
  });

  it('a DATA_DIR of another (non-root) user: running as that user is offered too', async () => {
    const dir = path.join(root, 'owned-by-1000');
    mkdirSync(dir, { mode: 0o755 });
    chownSync(dir, 1000, 1000);
    const result = await runCli(['migrate'], { env: baseEnv({ DATA_DIR: dir, LOG_LEVEL: 'silent' }), wrap: AS_NOBODY });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`${dir} belongs to uid 1000, gid 1000)`);
    expect(result.stderr).toContain('or run as its owner (`docker run --user 1000:1000`)');
  });

  it('a read-only mount, even for root', async () => {
    const dir = path.join(root, 'read-only');
    mkdirSync(dir);
    // A private mount namespace: the read-only bind mount exists for the CLI only.
    const readOnly = ['unshare', '--mount', 'sh', '-c', 'mount --bind -o ro "$0" "$0" && exec "$@"', dir];
    const result = await runCli(['migrate'], { env: baseEnv({ DATA_DIR: dir, LOG_LEVEL: 'silent' }), wrap: readOnly });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`DATA_DIR ${dir} is on a read-only file system`);
    expect(result.stderr).toContain('mount it read-write');
    expect(readdirSync(dir)).toEqual([]);
  });
});
