import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: nothing from the developer's shell leaks into a CLI test. */
export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info' };
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

/** Run the real CLI (src/cli.ts through tsx) as a child process. */
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
  return new Promise((resolve, reject) => {
    const command = [...(options.wrap ?? []), process.execPath, '--import', TSX, path.join(ROOT, 'src', 'cli.ts'), ...args];
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
