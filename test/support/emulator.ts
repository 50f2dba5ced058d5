import { afterAll, beforeAll } from 'vitest';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import { baseEnv } from './cli.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export type { RunningEmulator };

/** The emulator in this process (port 0), and the environment a CLI child needs to sync it. */
export async function startTestEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ seed: 7, scale: 1, ...options });
}

/**
 * An emulator and a database of their own for the tests of one describe block: started before
 * them, closed after. `use` receives both once they are up.
 */
export function withEmulatorAndDatabase(use: (started: { emulator: RunningEmulator; target: TestDatabase }) => void, options: EmulatorOptions = {}): void {
  let emulator: RunningEmulator | undefined;
  let target: TestDatabase | undefined;
  beforeAll(async () => {
    emulator = await startTestEmulator(options);
    target = await createTestDatabase();
    use({ emulator, target });
  });
  afterAll(async () => {
    await emulator?.close();
    await target?.destroy();
  });
}

/** Days between the oldest audit event of the emulator and now, plus a margin. */
export function auditLookbackDays(emulator: RunningEmulator): number {
  const snapshot = emulator.snapshot({ tags: false });
  let oldest = Date.now();
  for (const events of Object.values(snapshot.auditLogs)) {
    for (const event of events) oldest = Math.min(oldest, Date.parse(String(event.timestamp)));
  }
  return Math.ceil((Date.now() - oldest) / 86_400_000) + 2;
}

export function syncEnv(
  emulator: RunningEmulator,
  database: Record<string, string>,
  extra: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  const { credentials } = emulator;
  return baseEnv({
    ...database,
    LOG_LEVEL: 'warn',
    DOCKERHUB_API_URL: emulator.url,
    DOCKERHUB_USERNAME: credentials.username,
    DOCKERHUB_PASSWORD: credentials.password,
    DOCKERHUB_NAMESPACES: [credentials.username, ...credentials.oat.map((o) => o.org)].join(','),
    AUDIT_INITIAL_LOOKBACK: `${auditLookbackDays(emulator)}d`,
    AUDIT_WINDOW: '30d',
    ...extra,
  });
}
