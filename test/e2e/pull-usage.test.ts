import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/cli.js';
import type { TestDatabase } from '../support/db.js';
import { type RunningEmulator, withEmulatorAndDatabase } from '../support/emulator.js';
import { query } from '../support/sync-content.js';

/**
 * The real CLI syncs the pull-usage reports of two organizations, each with its own organization
 * access token: one with Docker Enterprise, whose reports load once and add up to the emulator's
 * pulls, and one without, skipped with a single warning over two runs. The Data API's URL is
 * derived from DOCKERHUB_API_URL (the emulator serves it under /enterprise-data/v1).
 */

function setup(emulator: RunningEmulator, target: TestDatabase) {
  const [first, second] = emulator.credentials.oat;
  if (!first || !second) throw new Error('the emulator needs two organizations');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pull-usage-e2e-'));
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    ['hub:', '  credentials:', `    - { username: ${first.org}, kind: oat, secretEnv: FIRST_OAT }`, `    - { username: ${second.org}, kind: oat, secretEnv: SECOND_OAT }`, ''].join('\n'),
  );
  const env = baseEnv({ ...target.env, LOG_LEVEL: 'warn', DOCKERHUB_API_URL: emulator.url, FIRST_OAT: first.token, SECOND_OAT: second.token });
  return { first, second, configFile, env };
}

describe('pull-usage reports through the CLI', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  withEmulatorAndDatabase((started) => ({ emulator, target } = started), { epochMs: Math.floor(Date.now() / 86_400_000) * 86_400_000 });

  it('loads each report once, equal to the pulls, and skips an organization without Enterprise with one warning', async () => {
    const { first, second, configFile, env } = setup(emulator, target);
    emulator.state.usage.withoutEnterprise.add(second.org);
    const argv = ['sync', '--only', 'pull_usage_reports,pull_usage', '--config', configFile];

    const run1 = await runCli(argv, { env });
    expect(run1.code, `${run1.stdout}\n${run1.stderr}`).toBe(0);
    const downloads = emulator.storage.downloads.length;
    expect(downloads).toBeGreaterThan(0);
    const run2 = await runCli(argv, { env });
    expect(run2.code, `${run2.stdout}\n${run2.stderr}`).toBe(0);
    expect(emulator.storage.downloads.length, 'the second run downloads nothing').toBe(downloads);
    expect(emulator.storage.violations).toEqual([]);

    const warnings = (run1.stderr + run2.stderr).split('\n').filter((line) => line.includes('pull-usage reports skipped'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(second.org);

    const loaded = await query<{ k: string; n: string }>(
      target,
      `SELECT repository || ':' || tag AS k, sum(pulls)::text AS n FROM dockerhub.pulls_daily WHERE org = '${first.org}' GROUP BY 1`,
    );
    const expected = emulator.state.usage.totals(first.org, Math.floor(Date.now() / 86_400_000) * 86_400_000);
    expect(new Map(loaded.map((r) => [r.k, Number(r.n)]))).toEqual(expected);
    const output = run1.stdout + run1.stderr + run2.stdout + run2.stderr;
    for (const secret of [first.token, second.token]) expect(output).not.toContain(secret);
  });
});
