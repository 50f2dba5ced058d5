import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

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

const SECRET_VALUE_PATTERNS: RegExp[] = [
  /dckr_(?:pat|oat)_[A-Za-z0-9_-]+/g, // Docker personal / organization access tokens
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, // JWTs
  /(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]+@/g, // passwords inside database URLs
  /(Bearer\s+)[^\s"']+/gi,
];

/** Remove token-shaped substrings from free text (error messages, URLs) before it is logged or stored. */
export function scrubSecrets(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of extraSecrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  for (const pattern of SECRET_VALUE_PATTERNS) {
    out = out.replace(pattern, (match, prefix?: string) =>
      typeof prefix === 'string' && match.startsWith(prefix)
        ? `${prefix}[redacted]${match.endsWith('@') ? '@' : ''}`
        : '[redacted]',
    );
  }
  return out;
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
