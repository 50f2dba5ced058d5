import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/cli.js';

/**
 * `demo` through the real CLI, offline: the emulator in-process, the embedded database, one sync
 * with the user's password and the pull-usage reports with each organization's access token (the
 * Enterprise Data API takes no password), then the example queries, pulls per tag among them.
 */
describe('demo', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the pull-usage reports with the organizations\' tokens and shows pulls per tag', async () => {
    const result = await runCli(['demo', '--scale', '0.5'], { env: baseEnv({ LOG_LEVEL: 'warn', DATA_DIR: dir }), timeoutMs: 120_000 });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const rows = (table: string) => Number(new RegExp(`^${table}\\s+(\\d+)\\s+\\d+$`, 'm').exec(result.stdout)?.[1]);
    expect(rows('pull_usage_reports')).toBeGreaterThan(0);
    expect(rows('pull_usage')).toBeGreaterThan(0);
    expect(result.stdout).toMatch(/pull_usage\s+\d+\s+0\s+/);
    const section = result.stdout.split('-- Pulls per tag over the last week (pull-usage reports)')[1] ?? '';
    expect(section).toMatch(/^image\s+pulls\s+since$/m);
    expect(section).not.toContain('(no rows)');
    expect(result.stdout).toMatch(/0 failed slice\(s\)\./);
  });
});
