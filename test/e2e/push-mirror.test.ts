import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestEmulator, syncEnv, type RunningEmulator } from '../support/emulator.js';

// A mirror job through the real CLI: a run that would remove more than maxRemove stops before
// sending anything, exit 1, naming the flag; --plan shows the refusal; --allow-removals N lets it.

let emulator: RunningEmulator;
let target: TestDatabase;
let org: string;
let dir: string;
let configFile: string;
let env: NodeJS.ProcessEnv;

async function query<T = Record<string, unknown>>(text: string): Promise<T[]> {
  const database = await target.open();
  try {
    return rowsOf<T>(await database.db.execute(sql.raw(text)));
  } finally {
    await database.close();
  }
}

const people = Array.from({ length: 12 }, (_, i) => `mirror${i}@example.com`);
const pending = () => emulator.snapshot({ tags: false }).invites[org]!.map((i) => i.invitee);

beforeAll(async () => {
  emulator = await startTestEmulator({ seed: 23 });
  target = await createTestDatabase();
  org = emulator.state.orgNames[0] as string;
  env = syncEnv(emulator, target.env);
  dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-mirror-'));
  configFile = path.join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    `writeback:
  - name: invites
    source: staging.invites
    target: org_invites.bulk
    mode: mirror
  - name: plain
    source: staging.invites
    target: org_invites.bulk
`,
  );
  await query('CREATE SCHEMA staging');
  await query(`CREATE TABLE staging.invites (org text, invitee text)`);
  // A source is read as the read-only role, as a deployment grants it its staging schema.
  await query('GRANT USAGE ON SCHEMA staging TO dockerhub_reader');
  await query('GRANT SELECT ON staging.invites TO dockerhub_reader');
  await query(`INSERT INTO staging.invites VALUES ${people.map((p) => `('${org}', '${p}')`).join(', ')}`);
});
afterAll(async () => {
  await emulator?.close();
  await target?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('push of a mirror job', () => {
  it('refuses a run over maxRemove before sending anything, and --allow-removals N lets it through', async () => {
    const cli = (args: string[]) => runCli([...args, '--config', configFile], { env });
    const first = await cli(['push', 'invites']);
    expect(first.code, first.stderr).toBe(0);
    expect(pending()).toEqual(expect.arrayContaining(people));

    await query(`DELETE FROM staging.invites WHERE invitee IN ('${people[0]}', '${people[1]}', '${people[2]}')`);
    emulator.requests.reset();
    const plan = await cli(['push', 'invites', '--plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('refused: mirror would remove 3 record(s) that left the source');

    const refused = await cli(['push', 'invites']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('invites: not run: mirror would remove 3 record(s)');
    expect(refused.stdout).toContain('run `dockerhub-sync push invites --allow-removals 3`');
    expect(emulator.requests.writes).toEqual([]);

    for (const [args, said] of [
      [['push', 'invites', '--allow-removals', 'three'], '--allow-removals takes the number of removals this run may make (a whole number), not "three".'],
      [['push', 'plain', '--allow-removals', '3'], '--allow-removals is for mirror jobs; plain is mode: upsert and removes nothing.'],
    ] as const) {
      const wrong = await cli([...args]);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain(said);
    }
    expect(emulator.requests.writes).toEqual([]);

    const allowed = await cli(['push', 'invites', '--allow-removals', '3']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain('removed 3');
    expect(pending()).not.toContain(people[0]);
    expect(pending()).toContain(people[3]);
  });
});
