import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COMMANDS, main } from '../../src/cli.js';

function io(env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _e, cb) {
        append(chunk.toString());
        cb();
      },
    });
  return {
    io: { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env: { LOG_LEVEL: 'silent', ...env } },
    out: () => stdout,
    err: () => stderr,
  };
}

describe('cli', () => {
  it('has every command of the design', () => {
    expect(Object.keys(COMMANDS).sort()).toEqual(
      ['db', 'demo', 'doctor', 'emulator', 'endpoints', 'healthcheck', 'migrate', 'push', 'serve', 'sql', 'status', 'sync', 'test-endpoint'].sort(),
    );
  });

  it.each(Object.keys(COMMANDS))('%s --help prints its usage and exits 0', async (name) => {
    const t = io();
    expect(await main([name, '--help'], t.io)).toBe(0);
    expect(t.out()).toContain(`dockerhub-sync ${name}`);
  });

  it('rejects an unknown flag with a clear message and exit 2', async () => {
    const t = io();
    expect(await main(['sync', '--fulll'], t.io)).toBe(2);
    expect(t.err()).toContain('unknown flag --fulll');
    expect(t.err()).toContain('dockerhub-sync sync --help');
  });

  it('rejects an unknown command', async () => {
    const t = io();
    expect(await main(['synk'], t.io)).toBe(2);
    expect(t.err()).toContain('Unknown command "synk"');
  });

  it('exits 2 listing every configuration problem', async () => {
    const t = io({ LOG_LEVEL: 'shout', PORT: 'x', DOCKERHUB_TOKEN: 'dckr_pat_hidden123' });
    expect(await main(['status'], t.io)).toBe(2);
    expect(t.err()).toContain('LOG_LEVEL');
    expect(t.err()).toContain('PORT');
    expect(t.err()).toContain('DOCKERHUB_USERNAME');
    expect(t.err()).not.toContain('dckr_pat_hidden123');
  });

  it('requires the positional argument of test-endpoint', async () => {
    const t = io();
    expect(await main(['test-endpoint'], t.io)).toBe(2);
    expect(t.err()).toContain('expects <name>');
  });
});
