import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { HintAnswer, RepositoryHint } from '../scheduler/hints.js';
import type { WebhookEvent } from './metrics.js';

/**
 * `POST /hooks/dockerhub/<secret>`: Docker Hub's repository webhook (a push). Hub signs nothing
 * (docs/hub-quirks.md), so the secret in the URL is all that tells a delivery from noise, and the
 * payload is only a hint: it names a repository, whose detail and tags are then read through the
 * authenticated API (scheduler/hints.ts). Nothing of the payload is stored or logged.
 *
 * A wrong secret answers exactly like an unknown path (404), so the route cannot be probed; the
 * comparison takes the same time whatever the guess (equal-length digests, timingSafeEqual).
 */

export const WEBHOOK_PREFIX = '/hooks/dockerhub/';

/**
 * Largest body read. A Hub payload carries the repository's full description (up to 25,000
 * characters, several bytes each in UTF-8) and, on old repositories, a Dockerfile.
 */
export const WEBHOOK_MAX_BODY_BYTES = 256 * 1024;

/** What an unknown path answers; a wrong secret answers the same. */
export const NOT_FOUND_TEXT = 'not found: try /healthz, /readyz, /metrics or /\n';

export interface WebhookOptions {
  secret: string;
  offer(hint: RepositoryHint): HintAnswer;
  observe(event: WebhookEvent): void;
  logger: Logger;
}

/** Docker Hub's own rules: a namespace, and a repository name (lower-case, digits, . _ -). */
const NAME_RE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** The part of Hub's payload a hint reads (the rest, including push_data, is ignored). */
const payloadSchema = z.object({
  repository: z.object({
    namespace: z.string().regex(NAME_RE, 'must be a Docker Hub namespace').optional(),
    name: z.string().regex(NAME_RE, 'must be a Docker Hub repository name').optional(),
    repo_name: z.string().regex(/^[a-z0-9._-]+\/[a-z0-9._-]+$/, 'must be namespace/name').optional(),
  }),
});

/** The repository a payload names, or what is wrong with it (a sentence for the sender). */
export function parseHint(body: string): { hint: RepositoryHint } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { error: `the body is not JSON (${(error as Error).message}); send Docker Hub's webhook payload` };
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { error: `${issue.path.join('.') || 'the body'}: ${issue.message}; expected Docker Hub's webhook payload {"repository": {"namespace": …, "name": …}, …}` };
  }
  const { namespace, name, repo_name: repoName } = parsed.data.repository;
  const [fromRepoName, nameFromRepoName] = repoName?.split('/') ?? [];
  const hint = { namespace: namespace ?? fromRepoName, repository: name ?? nameFromRepoName };
  if (!hint.namespace || !hint.repository || !NAME_RE.test(hint.namespace) || !NAME_RE.test(hint.repository)) {
    return { error: 'repository: needs "namespace" and "name" (or "repo_name": "namespace/name"), as Docker Hub sends them' };
  }
  if (repoName && repoName !== `${hint.namespace}/${hint.repository}`) {
    return { error: `repository: "repo_name" (${repoName}) does not match "namespace"/"name" (${hint.namespace}/${hint.repository})` };
  }
  return { hint: { namespace: hint.namespace, repository: hint.repository } };
}

/** Whether `given` is the secret, in a time that does not depend on where they differ. */
export function sameSecret(given: string, secret: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(secret));
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  const contentType = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * The body, or undefined once it passes the cap: the rest is read and dropped (so the client hears
 * the 413 instead of a reset) until the answer closes the connection.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let size = 0;
    const over = () => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.resume();
      resolve(undefined);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over();
      else chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks).toString('utf8'));
    req.once('error', reject);
    if (Number.isFinite(declared) && declared > limit) return over();
    req.on('data', onData);
    req.once('end', onEnd);
  });
}

/** Handles a request whose path starts with WEBHOOK_PREFIX; `given` is the rest of the path. */
export function createWebhookHandler(options: WebhookOptions): (req: IncomingMessage, res: ServerResponse, given: string) => Promise<void> {
  const { logger, observe } = options;
  return async (req, res, given) => {
    // One trailing slash is forgiven (pasted URLs often carry one); nothing else.
    if (!sameSecret(given.endsWith('/') ? given.slice(0, -1) : given, options.secret)) {
      observe({ rejected: 'secret' });
      // Never the path: it holds what was guessed, maybe a near miss of the secret.
      logger.warn({ remote: req.socket.remoteAddress }, 'webhook delivery with a wrong secret refused (404)');
      return reply(res, 404, NOT_FOUND_TEXT);
    }
    if (req.method !== 'POST') {
      observe({ rejected: 'method' });
      return reply(res, 405, { error: 'Docker Hub webhooks are POSTed' }, { allow: 'POST' });
    }
    const body = await readBody(req, WEBHOOK_MAX_BODY_BYTES);
    if (body === undefined) {
      observe({ rejected: 'too_large' });
      res.setHeader('connection', 'close');
      return reply(res, 413, { error: `the body is larger than ${WEBHOOK_MAX_BODY_BYTES} bytes; a Docker Hub webhook payload is smaller` });
    }
    const parsed = parseHint(body);
    if ('error' in parsed) {
      observe({ rejected: 'bad_request' });
      return reply(res, 400, { error: parsed.error });
    }
    const { hint } = parsed;
    const answer = options.offer(hint);
    const repository = `${hint.namespace}/${hint.repository}`;
    if (answer === 'busy') {
      observe({ rejected: 'busy' });
      return reply(res, 503, { error: 'too many repositories are waiting to be read; try again later' }, { 'retry-after': '30' });
    }
    observe({ hint: answer });
    logger.info({ repository, hint: answer }, 'webhook hint');
    if (answer === 'ignored') return reply(res, 200, { ignored: `${repository} is not in a configured namespace (DOCKERHUB_NAMESPACES)` });
    return reply(res, 202, { accepted: repository, read: answer === 'queued' ? 'queued' : 'merged into a read that is waiting' });
  };
}
