import { UsageError } from '../cli-errors.js';
import { readServePort } from '../server/serve-port.js';
import type { CommandContext } from './context.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Which port to ask: `--port`, else the port the running `serve` noted (it may have been started
 * with `--port N`, `--port 0` or a config file), else PORT / the config's `port`.
 */
export function healthcheckPort(values: Values, configPort: number, noted = readServePort()): { port: number; from: string } {
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be a port number (1-65535), got "${String(values.port)}".`);
    return { port, from: '--port' };
  }
  if (noted && isAlive(noted.pid)) return { port: noted.port, from: `the running serve (pid ${noted.pid})` };
  return { port: configPort, from: 'PORT' };
}

/** `healthcheck`: exit 0 when `serve` answers /healthz with 2xx, 1 otherwise (the image's HEALTHCHECK). */
export async function healthcheckCommand(ctx: CommandContext, values: Values): Promise<number> {
  const { port, from } = healthcheckPort(values, ctx.config.port);
  const url = `http://127.0.0.1:${port}/healthz`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(4_000) });
    await response.body?.cancel();
    if (response.ok) {
      ctx.stdout.write(`healthy: ${url} (port from ${from}) answered ${response.status}\n`);
      return 0;
    }
    ctx.stderr.write(`unhealthy: ${url} (port from ${from}) answered ${response.status}\n`);
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    ctx.stderr.write(`unhealthy: ${url} (port from ${from}): ${cause?.message ?? (error as Error).message}\n`);
  }
  return 1;
}
