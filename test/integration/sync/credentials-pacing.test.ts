import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubClientsFromConfig } from '../../../src/commands/hub.js';
import { loadConfig } from '../../../src/config.js';
import type { Database } from '../../../src/db/client.js';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import type { Clock } from '../../../src/hub/clock.js';
import { createLogger } from '../../../src/logger.js';
import { runSync } from '../../../src/sync/runner.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { auditLookbackDays } from '../../support/emulator.js';
import { endpoints } from '../../../src/endpoints/index.js';

/**
 * With Hub's limit per credential, each credential paces on its own responses' X-RateLimit-*
 * headers. Time is virtual and shared by the emulator and the clients: a client's pacing sleep
 * moves it forward, so minutes of waiting take no time and the emulator's windows roll exactly
 * as they would.
 */
describe('pacing per credential', () => {
  const LIMIT = 20;
  let now = Date.now();
  const clock: Clock = {
    now: () => now,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      now += ms;
    },
  };
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 7, scale: 1, rateLimitPerMinute: LIMIT, rateLimitBy: 'credential', clock: { now: () => now } });
    target = await createTestDatabase();
    database = await target.open();
  });
  afterAll(async () => {
    await database?.close();
    await emulator?.close();
    await target?.destroy();
  });

  it('two organization tokens each stay within their own budget: no 429, every slice done', async () => {
    const [first, second] = emulator.credentials.oat;
    const env = { FIRST_OAT: first!.token, SECOND_OAT: second!.token };
    const config = loadConfig({
      env: { ...env, AUDIT_INITIAL_LOOKBACK: `${auditLookbackDays(emulator)}d`, AUDIT_WINDOW: '30d' },
      overrides: {
        'hub.apiUrl': emulator.url,
        'hub.credentials': [
          { username: first!.org, kind: 'oat', secretEnv: 'FIRST_OAT' },
          { username: second!.org, kind: 'oat', secretEnv: 'SECOND_OAT' },
        ],
      },
    });
    const logger = createLogger({ level: 'silent', pretty: false });
    const clients = hubClientsFromConfig(config, env, logger, { clock });
    try {
      emulator.requests.reset();
      const summary = await runSync({ database, client: clients.fallback.client, clients, logger, config, registry: endpoints });
      expect(summary.failed, JSON.stringify(summary.slices.filter((s) => s.status === 'failed'))).toBe(0);
      expect(emulator.requests.statuses['429'] ?? 0).toBe(0);
      const stats = clients.statsByCredential();
      for (const org of [first!.org, second!.org]) {
        const one = stats.get(org)!;
        // More requests than one window allows, so the credential had to pace, on its own budget.
        expect(one.requests, org).toBeGreaterThan(LIMIT);
        expect(one.waitedMs, org).toBeGreaterThan(0);
        expect(one.rateLimited, org).toBe(0);
        expect(one.rateLimit.limit, org).toBe(LIMIT);
      }
      // The fallback (anonymous) credential served nothing.
      expect(stats.get('anonymous')!.requests).toBe(0);
      // Every slice ran with the credential of its organization.
      for (const report of summary.slices) expect(report.credential, `${report.endpoint} ${report.slice}`).toBe(report.slice.split(/[/:]/)[0]);
    } finally {
      await clients.close();
    }
  });
});
