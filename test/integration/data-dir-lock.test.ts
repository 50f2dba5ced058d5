import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { commandWords, currentHolder, describeHolder, LOCK_FILE, lockDataDir, readHolder, type LockHolder } from '../../src/db/data-dir-lock.js';

/**
 * The lock on DATA_DIR within one process: a second open of the same folder is refused like any
 * other process (two PGlite instances on one folder corrupt it just the same), the record is
 * written only by the holder, and a record left by a dead holder is reported, then replaced.
 * Across processes and PID namespaces: test/e2e/data-dir-lock.test.ts.
 */

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-lockdir-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the DATA_DIR lock', () => {
  it('refuses a second open of the same folder in the same process, and leaves the holder record as it was', async () => {
    const dir = tempDir();
    const first = await openDatabase({ dataDir: dir });
    try {
      const record = readFileSync(path.join(dir, LOCK_FILE), 'utf8');
      expect(readHolder(dir)).toMatchObject({ pid: process.pid, host: os.hostname() });
      await expect(openDatabase({ dataDir: dir })).rejects.toThrow(
        new RegExp(`^The embedded database in ${dir} is in use by another dockerhub-sync process: \`[^\`]+\`, this process \\(pid ${process.pid}\\), which has it open already`),
      );
      expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe(record);
    } finally {
      await first.close();
    }
    // Released on close: the record is cleared and the next open succeeds.
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe('');
    const again = await openDatabase({ dataDir: dir });
    await again.close();
  });

  it('reports the record of a holder that died without closing, then writes its own', () => {
    const dir = tempDir();
    const dead: LockHolder = { ...currentHolder(), host: 'other-host', bootId: 'another-boot', pid: 1, command: 'dockerhub-sync.js serve' };
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(dead));
    const lock = lockDataDir(dir);
    try {
      expect(lock.previous).toEqual(dead);
      expect(describeHolder(lock.previous, lock.holder)).toBe(`\`dockerhub-sync.js serve\`, pid 1 on host other-host, started ${dead.startedAt}`);
      expect(readHolder(dir)).toEqual(lock.holder);
    } finally {
      lock.release();
    }
    lock.release();
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe('');
  });

  it('describes a holder by where it runs: this machine, another PID namespace (container), another host, or not yet known', () => {
    const self: LockHolder = { ...currentHolder(), bootId: 'b1', pidNamespace: 'pid:[1]', pid: 1, startTicks: 100 };
    const at = (over: Partial<LockHolder>) => describeHolder({ ...self, host: 'h2', command: 'x serve', startedAt: 'T', ...over }, self);
    expect(at({ pid: 7 })).toBe('`x serve`, pid 7 on this machine, started T');
    expect(at({ startTicks: 200 })).toBe('`x serve`, pid 1 on this machine, started T');
    expect(at({})).toBe('`x serve`, this process (pid 1), which has it open already, started T');
    expect(at({ pidNamespace: 'pid:[2]' })).toBe('`x serve`, pid 1 in another PID namespace on this machine (another container), host name h2, started T');
    expect(at({ bootId: 'b2' })).toBe('`x serve`, pid 1 on host h2, started T');
    expect(describeHolder(undefined, self)).toMatch(/not written its record yet/);
  });

  it('records the command words only, never flags or their values', () => {
    expect(commandWords(['node', '/app/bin/dockerhub-sync.js', 'db', 'move', '--to', 'postgres://u:secret@h/db'])).toBe('dockerhub-sync.js db move');
    expect(commandWords(['node', '/app/bin/dockerhub-sync.js', 'sql', 'SELECT secret FROM t'])).toBe('dockerhub-sync.js sql');
    expect(commandWords(['node', 'cli.ts', '--config', 'c.yaml', 'serve'])).toBe('cli.ts');
  });
});
