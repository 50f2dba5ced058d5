import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servePortFile } from '../../src/server/serve-port.js';
import { ROOT, runCli, type CliResult } from '../support/cli.js';
import { syncEnv, withEmulatorAndDatabase, type RunningEmulator } from '../support/emulator.js';
import type { TestDatabase } from '../support/db.js';
import { freePort } from '../support/tcp.js';
import { waitFor } from '../support/wait.js';

/**
 * The image's HEALTHCHECK, as Docker runs it, beside `serve` started with a port of its own
 * (`docker run image serve --port N`): PORT in the environment says something else, as the
 * image's `ENV PORT=8080` does. The command is read from the Dockerfile; `node bin/dockerhub-sync.js`
 * runs the same CLI from the sources here (bin/ needs a build).
 */

function healthcheckCommand(): string[] {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const line = /^HEALTHCHECK\s.*?\bCMD\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  expect(line, 'the Dockerfile has an exec-form HEALTHCHECK').toBeDefined();
  return JSON.parse(line!) as string[];
}

function runHealthcheck(env: NodeJS.ProcessEnv): Promise<CliResult> {
  const [program, ...args] = healthcheckCommand();
  expect(program).toBe('node');
  if (args[0] === 'bin/dockerhub-sync.js') return runCli(args.slice(1), { env, timeoutMs: 60_000 });
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, signal: null, stdout, stderr }),
    );
  });
}

describe("the image's HEALTHCHECK follows the port `serve` listens on", () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  withEmulatorAndDatabase((started) => ({ emulator, target } = started));

  let tmp: string;
  beforeAll(() => {
    // The container's own temp folder: serve and the healthcheck share it, nothing else does.
    tmp = mkdtempSync(path.join(os.tmpdir(), 'dhs-health-'));
  });
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  async function serveOn(portFlag: string, env: NodeJS.ProcessEnv) {
    let child!: ChildProcess;
    let output = '';
    const exited = runCli(['serve', '--port', portFlag], {
      env,
      onSpawn: (spawned) => {
        child = spawned;
        spawned.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
        spawned.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      },
    });
    let done: CliResult | undefined;
    void exited.then((result) => (done = result));
    const port = await waitFor('serve to listen, or exit', async () => (done ? -1 : Number(/serving on port (\d+)/.exec(output)?.[1] ?? 0) || undefined));
    if (port === -1) throw new Error(`serve exited with ${done?.code}:\n${output.slice(-3000)}`);
    return { child, exited, port, output: () => output };
  }

  it.each([
    ['serve --port N', async () => String(await freePort())],
    ['serve --port 0 (any free port)', async () => '0'],
  ])('%s: healthy while it runs, unhealthy once it stopped', async (_name, portFlag) => {
    const flag = await portFlag();
    // PORT names a port where nothing listens: asking it is what the old check did.
    const env = syncEnv(emulator, target.env, { PORT: String(await freePort()), TMPDIR: tmp, LOG_LEVEL: 'info' });
    const serve = await serveOn(flag, env);
    try {
      if (flag !== '0') expect(serve.port).toBe(Number(flag));
      expect(serve.port).not.toBe(Number(env.PORT));
      const healthy = await runHealthcheck(env);
      expect(healthy.code, `${healthy.stdout}${healthy.stderr}`).toBe(0);
      expect(healthy.stdout).toContain(`http://127.0.0.1:${serve.port}/healthz`);
    } finally {
      serve.child.kill('SIGTERM');
    }
    const stopped = await serve.exited;
    expect(stopped.code, serve.output().slice(-3000)).toBe(0);
    expect(existsSync(servePortFile(tmp))).toBe(false);
    const after = await runHealthcheck(env);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain(`unhealthy: http://127.0.0.1:${env.PORT}/healthz`);
  });
});
