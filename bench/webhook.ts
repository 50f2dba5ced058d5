/**
 * Push → SQL with a webhook: after a first pass, a tag is pushed in the emulator, Hub's payload
 * is POSTed to the real HTTP server with the real hint queue (its one-second coalescing delay
 * included), and the time until the tag is a row of dockerhub.tags is measured, per push.
 */
import type { Logger } from 'pino';
import { sql } from 'drizzle-orm';
import { hubClientFromConfig } from '../src/commands/hub.js';
import type { Config } from '../src/config.js';
import { rowsOf, type Database } from '../src/db/client.js';
import { startEmulator } from '../src/emulator/index.js';
import { endpoints } from '../src/endpoints/index.js';
import { createHintQueue } from '../src/scheduler/hints.js';
import { createStatusServer } from '../src/server/http.js';
import { createWebhookHandler } from '../src/server/webhook.js';
import { runSync } from '../src/sync/runner.js';

export interface WebhookFigures {
  samples: number;
  /** Milliseconds from the POST to the row. */
  p50: number;
  p95: number;
}

const SECRET = 'bench-webhook-secret-0123456789';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function measureWebhookLatency(options: {
  database: Database;
  seed: number;
  samples: number;
  logger: Logger;
  config: (apiUrl: string, credentials: { username: string; password: string; oat: { org: string }[] }) => Config;
}): Promise<WebhookFigures> {
  const { database, logger } = options;
  const emulator = await startEmulator({ seed: options.seed, scale: 1 });
  const config = { ...options.config(emulator.url, emulator.credentials), webhookSecret: SECRET };
  const client = hubClientFromConfig(config, logger);
  const deps = { database, client, logger, config, registry: endpoints };
  const hints = createHintQueue({ deps });
  const handlers = { readiness: async () => ({ ready: true }) as never, metrics: async () => ({ contentType: 'text/plain', body: '' }), statusPage: async () => '' };
  const server = createStatusServer({ ...handlers, webhook: createWebhookHandler({ secret: SECRET, offer: hints.offer, observe: () => undefined, logger }) }, logger);
  try {
    await runSync(deps, { only: ['repositories', 'repository_details', 'tags'] });
    const { port } = await server.listen(0, '127.0.0.1');
    const repositories = Object.entries(emulator.snapshot().tags)
      .filter(([key, tags]) => config.namespaces.includes(key.split('/')[0]!) && tags.length < 90)
      .map(([key]) => key.split('/') as [string, string]);
    const times: number[] = [];
    for (let i = 0; i < options.samples; i++) {
      const [namespace, name] = repositories[i % repositories.length]!;
      const tag = `bench-${i}`;
      emulator.state.addTag(namespace, name, tag);
      const started = performance.now();
      const answer = await fetch(`http://127.0.0.1:${port}/hooks/dockerhub/${SECRET}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ push_data: { tag }, repository: { namespace, name, repo_name: `${namespace}/${name}` } }),
      });
      if (answer.status !== 202) throw new Error(`the webhook answered ${answer.status}: ${await answer.text()}`);
      for (;;) {
        const found = await database.db.execute(sql`SELECT 1 FROM dockerhub.tags WHERE namespace = ${namespace} AND repository = ${name} AND name = ${tag}`);
        if (rowsOf(found).length > 0) break;
        if (performance.now() - started > 120_000) throw new Error(`${namespace}/${name}:${tag} did not arrive within 2 minutes`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      times.push(performance.now() - started);
      while (hints.pending() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const sorted = [...times].sort((a, b) => a - b);
    return { samples: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
  } finally {
    await hints.stop(5_000);
    await server.close();
    await client.close();
    await emulator.close();
  }
}
