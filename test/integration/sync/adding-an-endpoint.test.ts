import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { loadConfig } from '../../../src/config.js';
import { rowsOf } from '../../../src/db/client.js';
import { endpoints } from '../../../src/endpoints/index.js';
import type { EndpointDefinition } from '../../../src/sync/context.js';
import { createLogger } from '../../../src/logger.js';
import { planJobs } from '../../../src/scheduler/jobs.js';
import { runSync } from '../../../src/sync/runner.js';
import { ROOT } from '../../support/cli.js';
import { syncEnv, withEmulatorAndDatabase, type RunningEmulator } from '../../support/emulator.js';
import type { TestDatabase } from '../../support/db.js';

/**
 * docs/adding-an-endpoint.md: its example, as written, is a working endpoint. The block is
 * written where the doc says it goes (next to the other definitions, under a name no one else
 * uses), loaded, added to the registry after its parent, and synced against the emulator.
 */
describe('the example of docs/adding-an-endpoint.md', () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'adding-an-endpoint.md'), 'utf8');
  const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const dir = path.join(ROOT, 'src', 'endpoints', `.doc-example-${process.pid}`);
  let emulator: RunningEmulator;
  let target: TestDatabase;
  withEmulatorAndDatabase((started) => ({ emulator, target } = started));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The example as `src/endpoints/team-details.ts`: one directory down, so its `../` and `./` imports are one level deeper. */
  const load = async (): Promise<EndpointDefinition> => {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'team-details.ts');
    writeFileSync(file, blocks[0]!.replace(/from '\.\.\//g, "from '../../").replace(/from '\.\//g, "from '../"));
    const module = (await import(pathToFileURL(file).href)) as Record<string, EndpointDefinition>;
    return Object.values(module)[0]!;
  };

  it('has one code block, a definition that loads and syncs: one request per team, in the teams job', async () => {
    expect(blocks).toHaveLength(1);
    const example = await load();
    const at = endpoints.findIndex((endpoint) => endpoint.name === 'teams') + 1;
    const registry = [...endpoints.slice(0, at), example, ...endpoints.slice(at)];
    expect(planJobs(registry, {}).jobOf.get(example.name)).toBe('organization');

    const config = loadConfig({ env: syncEnv(emulator, {}, { LOG_LEVEL: 'silent' }) });
    const logger = createLogger({ level: 'silent' });
    const client = hubClientFromConfig(config, logger);
    const database = await target.open();
    try {
      const summary = await runSync({ database, client, logger, config, registry }, { only: ['teams', example.name] });
      expect(summary.failed).toBe(0);
      const [live] = rowsOf<{ n: number }>(await database.db.execute(sql`SELECT count(*)::int AS n FROM dockerhub.teams WHERE deleted_at IS NULL AND name IS NOT NULL`));
      expect(live!.n).toBeGreaterThan(0);
      const details = summary.slices.filter((slice) => slice.endpoint === example.name);
      expect(details).toHaveLength(live!.n);
      expect(details.every((slice) => slice.status === 'succeeded' && slice.requests === 1)).toBe(true);
      expect(emulator.requests.get('groups.get')).toBe(live!.n);
    } finally {
      await client.close();
      await database.close();
    }
  });
});
