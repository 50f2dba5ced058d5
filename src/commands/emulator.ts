import { UsageError } from '../cli-errors.js';
import { PAGE_FAULT_MODES, type PageFault, type PageFaultMode } from '../emulator/faults.js';
import type { CommandContext } from './context.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function numberFlag(values: Values, flag: string, check: (n: number) => boolean, hint: string): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${flag} "${String(raw)}" ${hint}.`);
  return n;
}

/** Flags → emulator options, every mistake named. */
export function emulatorOptionsFromFlags(values: Values) {
  const rate = (flag: string) => numberFlag(values, flag, (n) => n >= 0 && n <= 1, 'must be a number between 0 and 1');
  const port = numberFlag(values, 'port', (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'must be a port number 0-65535');
  const scale = numberFlag(values, 'scale', (n) => n > 0, 'must be a positive number');
  const rateLimit = numberFlag(values, 'rate-limit', (n) => Number.isInteger(n) && n >= 0, 'must be requests per minute (0 = never 429)');
  const ttl = numberFlag(values, 'token-ttl', (n) => Number.isInteger(n) && n > 0, 'must be seconds (> 0)');
  const latency = numberFlag(values, 'latency', (n) => n >= 0, 'must be milliseconds (>= 0)');
  const errorRate = rate('error-rate');
  const dropRate = rate('drop-rate');
  const malformedRate = rate('malformed-rate');
  const pageSizeCap = numberFlag(values, 'page-size-cap', (n) => Number.isInteger(n) && n >= 1, 'must be a whole number of items (>= 1)');
  let pageFault: PageFault | undefined;
  if (typeof values['page-fault'] === 'string') {
    const match = /^(\d+):(\w+)$/.exec(values['page-fault']);
    const mode = match?.[2] as PageFaultMode | undefined;
    if (!match || Number(match[1]) < 1 || !mode || !PAGE_FAULT_MODES.includes(mode)) {
      throw new UsageError(`--page-fault "${values['page-fault']}" must be <page>:<${PAGE_FAULT_MODES.join('|')}>, such as 2:empty.`);
    }
    pageFault = { page: Number(match[1]), mode };
  }
  const rateLimitBy = values['rate-limit-by'];
  if (rateLimitBy !== undefined && rateLimitBy !== 'address' && rateLimitBy !== 'credential') {
    throw new UsageError(`--rate-limit-by "${String(rateLimitBy)}" must be "address" or "credential".`);
  }
  let epochMs: number | undefined;
  if (typeof values.epoch === 'string') {
    epochMs = values.epoch === 'now' ? Date.now() : Date.parse(values.epoch);
    if (Number.isNaN(epochMs)) throw new UsageError(`--epoch "${values.epoch}" must be "now" or a date such as 2025-06-01.`);
  }
  return {
    ...(epochMs !== undefined ? { epochMs } : {}),
    port: port ?? 8080,
    host: typeof values.host === 'string' ? values.host : '127.0.0.1',
    seed: typeof values.seed === 'string' ? (/^\d+$/.test(values.seed) ? Number(values.seed) : values.seed) : 1,
    ...(scale !== undefined ? { scale } : {}),
    // Like Hub by default: 180 requests a minute.
    rateLimitPerMinute: rateLimit === undefined ? 180 : rateLimit === 0 ? null : rateLimit,
    ...(rateLimitBy !== undefined ? { rateLimitBy: rateLimitBy as 'address' | 'credential' } : {}),
    ...(ttl !== undefined ? { tokenTtlSeconds: ttl } : {}),
    ...(latency !== undefined ? { latencyMs: latency } : {}),
    ...(errorRate !== undefined ? { errorRate } : {}),
    ...(dropRate !== undefined ? { dropRate } : {}),
    ...(malformedRate !== undefined ? { malformedRate } : {}),
    extraField: values['extra-field'] === true,
    ...(pageFault !== undefined ? { pageFault } : {}),
    ...(pageSizeCap !== undefined ? { pageSizeCap } : {}),
  };
}

export async function emulatorCommand(ctx: CommandContext, values: Values): Promise<number> {
  const options = emulatorOptionsFromFlags(values);
  const { startEmulator } = await import('../emulator/index.js');
  const emulator = await startEmulator({ ...options, logger: ctx.logger });
  const { credentials } = emulator;
  ctx.stdout.write(
    [
      `Docker Hub emulator listening on ${emulator.url} (seed ${String(options.seed)}, scale ${options.scale ?? 1}, ` +
        `${options.rateLimitPerMinute ? `${options.rateLimitPerMinute} requests/minute` : 'no rate limit'})`,
      '',
      'Sync it with:',
      `  DOCKERHUB_API_URL=${emulator.url} DOCKERHUB_USERNAME=${credentials.username} DOCKERHUB_PASSWORD=${credentials.password} \\`,
      `  DOCKERHUB_NAMESPACES=${[credentials.username, ...credentials.oat.map((o) => o.org)].join(',')} dockerhub-sync sync`,
      '',
      `Personal access token of ${credentials.username}: ${credentials.pat} (emulator only)`,
      ...credentials.oat.map((o) => `Organization access token of ${o.org}: ${o.token} (emulator only)`),
      `Admin: ${emulator.url}/_emulator/requests, ${emulator.url}/_emulator/snapshot`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await emulator.close();
  return 0;
}
