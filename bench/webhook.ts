/**
 * The webhook as a freshness variant (bench/freshness.ts): `serve`'s defaults plus
 * WEBHOOK_SECRET. After each push, Hub's payload is POSTed to the real HTTP server with the real
 * webhook handler and hint queue (its one-second coalescing delay included), on the simulated
 * serve's own clients and clock; the push counts as in SQL when the hint's read stored the tag.
 * Its idle cost is measured like the others' (a webhook adds no request while nothing happens).
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/db/client.js';
import { createHintQueue } from '../src/scheduler/hints.js';
import { createStatusServer } from '../src/server/http.js';
import { createWebhookHandler } from '../src/server/webhook.js';
import type { Account, AttachedVariant, FreshnessVariant, PushContext } from './freshness.js';

/** A fresh secret each run, as `openssl rand -hex 24` makes one. */
const SECRET = randomBytes(24).toString('hex');
/** Issue 27: "With a Hub webhook, seconds": a push in SQL within 10 s. */
export const WEBHOOK_P95_TARGET_SECONDS = 10;

async function stored(push: PushContext): Promise<boolean> {
  const found = await push.database.db.execute(
    sql`SELECT 1 FROM dockerhub.tags WHERE namespace = ${push.namespace} AND repository = ${push.repository} AND name = ${push.tag} AND deleted_at IS NULL`,
  );
  return rowsOf(found).length > 0;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The webhook route of `serve` on the account's simulated serve: a hint queue on its deps, the handler behind the HTTP server. */
async function attachWebhook(account: Account): Promise<AttachedVariant> {
  const { deps } = account.serve;
  const { logger } = deps;
  const hints = createHintQueue({ deps });
  const handlers = { readiness: async () => ({ ready: true }) as never, metrics: async () => ({ contentType: 'text/plain', body: '' }), statusPage: async () => '' };
  const server = createStatusServer({ ...handlers, webhook: createWebhookHandler({ secret: SECRET, offer: hints.offer, observe: () => undefined, logger }) }, logger);
  const { port } = await server.listen(0, '127.0.0.1');
  return {
    async afterPush(push) {
      const { namespace, repository: name, tag } = push;
      const answer = await fetch(`http://127.0.0.1:${port}/hooks/dockerhub/${SECRET}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ push_data: { tag }, repository: { namespace, name, repo_name: `${namespace}/${name}` } }),
      });
      if (answer.status !== 202) throw new Error(`the webhook answered ${answer.status}: ${await answer.text()}`);
      // The clock runs at the wall clock's pace meanwhile: the wait is the latency measured.
      const started = performance.now();
      while (!(await stored(push))) {
        if (performance.now() - started > 120_000) throw new Error(`${namespace}/${name}:${tag} did not arrive within 2 minutes of its webhook`);
        await pause(20);
      }
      while (hints.pending() > 0) await pause(20);
    },
    async close() {
      await hints.stop(5_000);
      await server.close();
    },
  };
}

/** `serve`'s defaults with a webhook. */
export const WEBHOOK: FreshnessVariant = {
  name: 'after, with a webhook',
  settings: { webhookSecret: SECRET },
  p95TargetSeconds: WEBHOOK_P95_TARGET_SECONDS,
  attach: attachWebhook,
};
