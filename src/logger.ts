import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { maskKnownShapes } from './secret-text.js';

/**
 * Every place a secret can travel through a log call. pino's redaction works on paths, so the
 * list names the shapes our code and our libraries log: config objects, HTTP request options
 * and headers, and login bodies.
 */
export const REDACT_PATHS = [
  'token',
  'password',
  'secret',
  'jwt',
  'otp',
  'access_token',
  'accessToken',
  'authorization',
  'Authorization',
  'databaseUrl',
  'DATABASE_URL',
  'DOCKERHUB_TOKEN',
  'DOCKERHUB_PASSWORD',
  'DOCKERHUB_JWT',
  '*.token',
  '*.password',
  '*.secret',
  '*.jwt',
  '*.otp',
  '*.access_token',
  '*.accessToken',
  '*.authorization',
  '*.Authorization',
  '*.databaseUrl',
  '*.login_2fa_token',
  'headers.authorization',
  'headers.Authorization',
  'req.headers.authorization',
  'config.hub.token',
  'config.hub.password',
  'config.hub.jwt',
  'config.hub.scimToken',
  'hub.token',
  'hub.password',
  'hub.jwt',
  'hub.scimToken',
  'body.secret',
  'body.password',
  'body.token',
];

/** Remove token-shaped substrings from free text (error messages, URLs) before it is logged or stored. */
export function scrubSecrets(text: string, extraSecrets: readonly string[] = []): string {
  return maskKnownShapes(text, extraSecrets);
}

/** Levels at which every logged error carries its stack. */
const STACK_LEVELS = new Set(['debug', 'trace']);

/**
 * An error that means a bug in this program rather than a condition it reports (a 401, a
 * refused config, a database that went away): its stack is logged at every level.
 */
export function isProgrammingError(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof ReferenceError ||
    error instanceof RangeError ||
    error instanceof SyntaxError ||
    error instanceof EvalError ||
    error instanceof URIError ||
    (error as { code?: unknown } | null)?.code === 'ERR_ASSERTION'
  );
}

export interface CreateLoggerOptions {
  level?: string;
  /** Known secret values (tokens, passwords) that must never appear even inside free text. */
  secrets?: readonly string[];
  /** Where to write; defaults to stderr so stdout stays clean for command output. */
  destination?: DestinationStream;
  /** Pretty output for humans; defaults to whether stderr is a TTY. */
  pretty?: boolean;
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 4);
  const withStacks = STACK_LEVELS.has(options.level ?? 'info');
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'dockerhub-sync' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Messages and error texts are free text: scrub known secrets and token shapes from them too.
    hooks: {
      logMethod(args, method) {
        const cleaned = args.map((arg) => (typeof arg === 'string' ? scrubSecrets(arg, secrets) : arg));
        return method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
    serializers: {
      err: (error: unknown) => {
        const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
        // An expected error (a refused login, a bad config, a lost connection) is its message on
        // one line; its stack helps only whoever debugs the code, at debug level.
        if (!withStacks && !isProgrammingError(error)) delete serialized.stack;
        for (const key of ['message', 'stack']) {
          if (typeof serialized[key] === 'string') serialized[key] = scrubSecrets(serialized[key], secrets);
        }
        return serialized;
      },
    },
  };
  if (options.destination) return pino(pinoOptions, options.destination);
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    return pino({
      ...pinoOptions,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss' } },
    });
  }
  return pino(pinoOptions, pino.destination({ dest: 2, sync: true }));
}

export type { Logger };
