import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { keepsConnections, releaseKeptConnections } from './db.js';
import { NODE_TEST_FLAGS } from './node-flags.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let fileTmp: string | undefined;

/**
 * The TMPDIR of this test file's CLI children, in the run's temporary folder (removed after the
 * run): files run side by side, and what one file's `serve` leaves in its temp folder (the port
 * note `healthcheck` reads) is not another's. World-writable like /tmp, since some tests run the
 * CLI as `nobody`. Without the global setup (unit tests), children keep the system's.
 */
function childTmpDir(): string | undefined {
  const root = inject('testTmp');
  if (!root) return undefined;
  if (!fileTmp) {
    fileTmp = mkdtempSync(path.join(root, 'file-'));
    chmodSync(fileTmp, 0o1777);
  }
  return fileTmp;
}

/** A clean environment: nothing from the developer's shell leaks into a CLI test. */
export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info' };
  const tmp = childTmpDir();
  if (tmp) env.TMPDIR = tmp;
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

/**
 * The command line of the real CLI: plain `node` on the package the end-to-end project's global
 * setup built for this run (test/support/build-setup.ts), so no child compiles TypeScript.
 */
export function cliCommand(args: string[]): { command: string; args: string[] } {
  if (keepsConnections()) throw new Error('a test database keeps a query connection open: await releaseKeptConnections() (test/support/db.ts) before starting the CLI');
  const build = inject('cliBuild');
  if (!build) throw new Error('no built CLI in this run: the test project needs test/support/build-setup.ts in its globalSetup');
  return { command: process.execPath, args: [...NODE_TEST_FLAGS, path.join(build, 'dist', 'cli.js'), ...args] };
}

/**
 * Run the real CLI (the built src/cli.ts) as a child process. Connections kept open by a test
 * database's `query` are closed first; with none open the child starts before this returns.
 */
export function runCli(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    onSpawn?: (child: ReturnType<typeof spawn>) => void;
    /** A command that runs the CLI, e.g. `unshare --pid --fork` or `setpriv --reuid=65534 ...`. */
    wrap?: string[];
  } = {},
): Promise<CliResult> {
  if (keepsConnections()) return releaseKeptConnections().then(() => runCli(args, options));
  return new Promise((resolve, reject) => {
    const cli = cliCommand(args);
    const command = [...(options.wrap ?? []), cli.command, ...cli.args];
    const child = spawn(command[0]!, command.slice(1), {
      cwd: ROOT,
      env: options.env ?? baseEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Only a guard against a hung child; below the e2e test timeout so the output is still reported.
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 480_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
