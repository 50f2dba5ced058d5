/**
 * Credentials in parallel: the same organizations synced with one credential (the owner's
 * password serving both) and with one organization access token each, against the emulator
 * with Docker Hub's limit enforced per credential. With its own budget per credential, two
 * credentials should finish in about half the time. Prints a report; asserts nothing.
 *
 *   npx tsx bench/credentials.ts                      # limit 30/min, scale 1
 *   npx tsx bench/credentials.ts --limit 60 --scale 2
 */
import { parseArgs } from 'node:util';
import { hubClientsFromConfig } from '../src/commands/hub.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { startEmulator } from '../src/emulator/index.js';
import { endpointNames } from '../src/endpoints/index.js';
import { renderTable } from '../src/format.js';
import { createLogger } from '../src/logger.js';
import { runSync } from '../src/sync/runner.js';
import { endpoints } from '../src/endpoints/index.js';

const { values } = parseArgs({
  options: { scale: { type: 'string', default: '1' }, seed: { type: 'string', default: '1' }, limit: { type: 'string', default: '30' } },
});
const limit = Number(values.limit);
const logger = createLogger({ level: 'warn', pretty: false });
const emulator = await startEmulator({ seed: Number(values.seed), scale: Number(values.scale), epochMs: Date.now(), rateLimitPerMinute: limit, rateLimitBy: 'credential' });
const { credentials } = emulator;
const orgs = credentials.oat.slice(0, 2);
if (orgs.length < 2) throw new Error('the emulator made fewer than two organizations');
const secrets: Record<string, string> = { OWNER_PASSWORD: credentials.password, ...Object.fromEntries(orgs.map((o, i) => [`OAT_${i}`, o.token])) };
// The user's own access tokens only exist for a password credential: left out so both runs read the same data.
const only = endpointNames.filter((name) => name !== 'access_tokens');

async function pass(label: string, entries: Record<string, unknown>[]): Promise<string[]> {
  const database = await openDatabase({ memory: true });
  await migrateDatabase(database);
  const config = loadConfig({ env: secrets, overrides: { 'hub.apiUrl': emulator.url, 'hub.credentials': entries, logLevel: 'warn' } });
  const clients = hubClientsFromConfig(config, secrets, logger);
  emulator.requests.reset();
  const started = performance.now();
  try {
    const summary = await runSync({ database, client: clients.fallback.client, clients, logger, config, registry: endpoints }, { only });
    const seconds = (performance.now() - started) / 1000;
    const rows = summary.slices.reduce((n, s) => n + s.inserted + s.updated + s.deleted, 0);
    const statuses = emulator.requests.statuses;
    return [label, String(entries.length), String(emulator.requests.total), String(statuses['429'] ?? 0), String(rows), String(summary.failed), seconds.toFixed(1)];
  } finally {
    await clients.close();
    await database.close();
  }
}

const names = orgs.map((o) => o.org);
const one = await pass('one credential (owner password)', [
  { username: credentials.username, kind: 'password', secretEnv: 'OWNER_PASSWORD', namespaces: names, orgs: names },
]);
const two = await pass(
  'one OAT per organization',
  orgs.map((o, i) => ({ username: o.org, kind: 'oat', secretEnv: `OAT_${i}` })),
);
await emulator.close();
const ratio = Number(two[6]) / Number(one[6]);
process.stdout.write(
  `dockerhub-sync bench: credentials in parallel; emulator scale ${values.scale}, organizations ${names.join(', ')}, limit ${limit} requests/minute per credential\n\n` +
    `${renderTable(['run', 'credentials', 'requests', '429s', 'rows written', 'failed slices', 'seconds'], [one, two])}\n\n` +
    `two credentials / one credential: ${ratio.toFixed(2)} of the time (target: about 0.5; ${ratio <= 0.6 ? 'pass' : 'FAIL'})\n`,
);
