import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestEmulator, syncEnv, type RunningEmulator } from '../support/emulator.js';
import { json, startServer, type ScriptedServer } from '../unit/hub/support.js';

// The real CLI against the emulator, with a recording server on another 127.0.0.1 port: a
// config or a flag that would send the Docker Hub credential there is refused before any
// request, with a message naming the key and the rule.

let emulator: RunningEmulator;
let target: TestDatabase;
let recorder: ScriptedServer;
let dir: string;
let other: string;

beforeAll(async () => {
  emulator = await startTestEmulator({ seed: 23 });
  target = await createTestDatabase();
  recorder = await startServer(() => json({ results: [], count: 0, next: null }));
  other = new URL(recorder.url).host;
  dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-home-'));
});
afterAll(async () => {
  await recorder?.close();
  await emulator?.close();
  await target?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => syncEnv(emulator, target.env);
const configFile = (name: string, text: string) => {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
};
const leaked = () => recorder.hits.map((h) => `${h.method} ${h.path} authorization=${h.headers.authorization ?? '-'}`);

describe('a path that names another host', () => {
  it('a custom endpoint path "/\\host/…" is refused at load: sync --only and test-endpoint exit 2 and send nothing', async () => {
    const file = configFile('leak', `endpoints:\n  - name: leak\n    path: '/\\${other}/v2/steal'\n    pagination: none\n`);
    const sync = await runCli(['sync', '--only', 'leak', '--config', file], { env: env() });
    const tried = await runCli(['test-endpoint', 'leak', '--config', file], { env: env() });
    expect(leaked()).toEqual([]);
    expect(sync.code, sync.stderr).toBe(2);
    expect(sync.stderr).toContain('endpoints[0].path');
    expect(sync.stderr).toMatch(/must start with exactly one "\/"/);
    expect(tried.code, tried.stderr).toBe(2);
    expect(tried.stderr).toContain('endpoints[0].path');
  });

  it('test-endpoint --path "/\\host/…" (and "//host/…", "/v2/%2e%2e/…") is refused and sends nothing', async () => {
    const results: [string, Awaited<ReturnType<typeof runCli>>][] = [];
    for (const adHoc of [`/\\${other}/v2/x`, `//${other}/v2/x`, `/\\/${other}/v2/x`, `/v2/%2e%2e/%2e%2e/x`]) {
      results.push([adHoc, await runCli(['test-endpoint', '--path', adHoc], { env: env() })]);
    }
    expect(leaked()).toEqual([]);
    for (const [adHoc, result] of results) {
      expect(result.code, `${adHoc}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain('--path');
    }
  });

  it('a write-back custom target "//host/…" or "/\\host/…" is refused at load, every problem listed at once, and nothing is posted', async () => {
    const job = (name: string, path: string) => `  - name: ${name}
    source: select 'acme' as org, 'x' as name
    key: [name]
    target: { method: POST, path: ${JSON.stringify(path)} }
`;
    const file = configFile('wb', `writeback:\n${job('steal_a', `//${other}/v2/orgs/{org}/groups`)}${job('steal_b', `/\\${other}/v2/orgs/{org}/groups`)}`);
    const a = await runCli(['push', 'steal_a', '--config', file], { env: env() });
    const b = await runCli(['push', 'steal_b', '--config', file], { env: env() });
    expect(leaked()).toEqual([]);
    for (const result of [a, b]) {
      expect(result.code, result.stderr).toBe(2);
      for (const at of ['writeback[0].target.path', 'writeback[1].target.path']) expect(result.stderr).toContain(at);
    }
    // An inverse (mirror) path is held to the same rule.
    const inverse = configFile(
      'wb-inverse',
      `writeback:
  - name: steal_c
    source: select 'acme' as org, 'x' as name
    key: [name]
    mode: mirror
    target: { method: POST, path: "/v2/orgs/{org}/groups", inverse: { method: DELETE, path: '/\\${other}/v2/x' } }
`,
    );
    const c = await runCli(['push', 'steal_c', '--config', inverse], { env: env() });
    expect(c.code, c.stderr).toBe(2);
    expect(c.stderr).toContain('writeback[0].target.inverse.path');
    expect(leaked()).toEqual([]);
  });
});

describe('headers and flags', () => {
  it('custom endpoint headers: Authorization, Cookie, Host (any case) and CR/LF are refused at load with every problem at once', async () => {
    const file = configFile(
      'headers',
      `endpoints:
  - name: h1
    path: /v2/orgs/{org}/members
    headers: { AUTHORIZATION: "Basic eDp5", Cookie: "a=b", host: "elsewhere", X-Line: "a\\r\\nX-Injected: 1" }
`,
    );
    const result = await runCli(['sync', '--only', 'h1', '--config', file], { env: env() });
    expect(result.code, result.stderr).toBe(2);
    for (const at of ['endpoints[0].headers.AUTHORIZATION', 'endpoints[0].headers.Cookie', 'endpoints[0].headers.host', 'endpoints[0].headers.X-Line']) expect(result.stderr).toContain(at);
    expect(result.stderr).toMatch(/control character/);
    expect(result.stderr).not.toContain('eDp5');
  });

  it('--namespace ".." (or "/x", "a/../b") is refused before anything is asked', async () => {
    emulator.requests.reset();
    for (const args of [
      ['sync', '--only', 'repositories', '--namespace', '..'],
      ['sync', '--only', 'repositories', '--namespace', 'a/../b'],
      ['test-endpoint', 'repositories', '--namespace', '..'],
      ['test-endpoint', 'repositories', '--namespace', '/x'],
    ]) {
      const result = await runCli(args, { env: env() });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/--namespace ".*" is not a valid Docker Hub namespace/);
    }
    expect(emulator.requests.total).toBe(0);
  });
});
