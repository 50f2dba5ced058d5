import { UsageError } from '../cli-errors.js';
import { DEFAULT_HTTP_PORT, readServePort } from '../server/serve-port.js';
import { isAlive } from '../process-alive.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function portNumber(text: string, what: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port < 1 || port > 65535) throw new UsageError(`${what} must be a port number (1-65535), got "${text}".`);
  return port;
}

/**
 * Which port to ask: `--port`, else the port the running `serve` noted (it may have been started
 * with `--port N`, `--port 0` or a config file's `port`), else PORT, else serve's default. Read
 * without loading the configuration: the image runs this every 30 s.
 */
export function healthcheckPort(values: Values, env: NodeJS.ProcessEnv, noted = readServePort()): { port: number; from: string } {
  if (values.port !== undefined) return { port: portNumber(String(values.port), '--port'), from: '--port' };
  if (noted && isAlive(noted.pid)) return { port: noted.port, from: `the running serve (pid ${noted.pid})` };
  if (env.PORT?.trim()) return { port: portNumber(env.PORT, 'PORT'), from: 'PORT' };
  return { port: DEFAULT_HTTP_PORT, from: 'the default' };
}

/** `healthcheck`: exit 0 when `serve` answers /healthz with 2xx, 1 otherwise (the image's HEALTHCHECK). */
export async function healthcheckCommand(values: Values, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv }): Promise<number> {
  const { port, from } = healthcheckPort(values, io.env);
  const url = `http://127.0.0.1:${port}/healthz`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(4_000) });
    await response.body?.cancel();
    if (response.ok) {
      io.stdout.write(`healthy: ${url} (port from ${from}) answered ${response.status}\n`);
      return 0;
    }
    io.stderr.write(`unhealthy: ${url} (port from ${from}) answered ${response.status}\n`);
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    io.stderr.write(`unhealthy: ${url} (port from ${from}): ${cause?.message ?? (error as Error).message}\n`);
  }
  return 1;
}
