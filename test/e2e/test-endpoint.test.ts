import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startTestEmulator, syncEnv, type RunningEmulator } from '../support/emulator.js';

describe('test-endpoint', () => {
  let emulator: RunningEmulator;
  let dataDir: string;
  beforeAll(async () => {
    emulator = await startTestEmulator();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'dhs-te-'));
  });
  afterAll(async () => {
    await emulator?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fetches one page of a chained endpoint, prints samples and data paths, and writes nothing', async () => {
    const org = emulator.credentials.oat[0]!.org;
    emulator.requests.reset();
    const result = await runCli(['test-endpoint', 'tags', '--namespace', org, '--limit', '1'], {
      env: syncEnv(emulator, { DATA_DIR: dataDir }),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/v2\/namespaces\/[a-z0-9-]+\/repositories\/[^/]+\/tags\?page_size=100 → 200/);
    expect(result.stdout).toContain('$.results[*].images[*]');
    expect(result.stdout).toContain('Sample record(s) (first 1)');
    expect(emulator.requests.get('repositories.list')).toBe(1);
    expect(emulator.requests.get('tags.list')).toBe(1);
    expect(existsSync(path.join(dataDir, 'pglite'))).toBe(false);
  });

  it('tries an Enterprise Data API endpoint with the organization access token, on that API', async () => {
    const { org, token } = emulator.credentials.oat[0]!;
    const env = syncEnv(emulator, { DATA_DIR: dataDir }, { DOCKERHUB_USERNAME: org, DOCKERHUB_TOKEN: token, DOCKERHUB_PASSWORD: undefined, DOCKERHUB_NAMESPACES: org });
    const result = await runCli(['test-endpoint', 'pull_usage_reports', '--namespace', org], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`GET ${emulator.dataApiUrl}/orgs/${org}/reports → 200`);
    expect(result.stdout).toContain('usage_pulls');
    expect(result.stdout + result.stderr).not.toContain(token);
  });

  it('names the endpoints when given an unknown one', async () => {
    const result = await runCli(['test-endpoint', 'tagz'], { env: syncEnv(emulator, { DATA_DIR: dataDir }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Unknown endpoint "tagz"');
    expect(result.stderr).toContain('repositories');
  });
});
