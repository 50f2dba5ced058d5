import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { startEmulator } from '../../src/emulator/index.js';
import { ROOT } from '../support/cli.js';
import { createTestDatabase } from '../support/db.js';
import { freePort } from '../support/tcp.js';

const run = promisify(execFile);

/** The HEALTHCHECK command of the Dockerfile, as the exec-form array Docker runs. */
function dockerfileHealthcheck(): string[] {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const match = /^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$/m.exec(text);
  if (!match) throw new Error('no exec-form HEALTHCHECK in the Dockerfile');
  return JSON.parse(match[1]!) as string[];
}

/**
 * The built package. It is compiled with `npm run build`'s config into a temporary folder (the
 * working tree's dist/ is left alone), then:
 *  - `import { tags } from 'dockerhub-sync/schema'` as a consumer writes it: installed into a
 *    consumer project by name, imported by plain Node, type-checked by tsc with NodeNext
 *    resolution; every table and view of a migrated database must have an export;
 *  - the files the Dockerfile's runtime stage copies are enough to migrate and serve, and the
 *    Dockerfile's HEALTHCHECK command passes against it (no Docker engine needed).
 */
describe('the built package', () => {
  let tmp: string;
  let consumer: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'dhs-package-'));
    const pkg = path.join(tmp, 'dockerhub-sync');
    consumer = path.join(tmp, 'consumer');
    mkdirSync(pkg);
    await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(pkg, 'dist')], { cwd: ROOT });
    writeFileSync(path.join(pkg, 'package.json'), readFileSync(path.join(ROOT, 'package.json')));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
    mkdirSync(path.join(consumer, 'node_modules'), { recursive: true });
    writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
    symlinkSync(pkg, path.join(consumer, 'node_modules', 'dockerhub-sync'), 'dir');
    symlinkSync(path.join(ROOT, 'node_modules/drizzle-orm'), path.join(consumer, 'node_modules', 'drizzle-orm'), 'dir');
  }, 300_000);
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('exports a drizzle handle for every table and view of the migrated database', async () => {
    writeFileSync(
      path.join(consumer, 'list.mjs'),
      `import * as schema from 'dockerhub-sync/schema';
import { is } from 'drizzle-orm';
import { getTableConfig, getViewConfig, PgTable, PgView } from 'drizzle-orm/pg-core';
const out = { tables: [], views: [] };
for (const value of Object.values(schema)) {
  if (is(value, PgTable)) out.tables.push(getTableConfig(value).schema + '.' + getTableConfig(value).name);
  else if (is(value, PgView)) out.views.push(getViewConfig(value).schema + '.' + getViewConfig(value).name);
}
console.log(JSON.stringify(out));
`,
    );
    const { stdout } = await run(process.execPath, ['list.mjs'], { cwd: consumer });
    const exported = JSON.parse(stdout) as { tables: string[]; views: string[] };

    const target = await createTestDatabase();
    const database = await target.open();
    try {
      const relations = rowsOf<{ name: string; kind: string }>(
        await database.db.execute(sql`
          SELECT table_schema || '.' || table_name AS name, table_type AS kind
          FROM information_schema.tables WHERE table_schema = 'dockerhub'`),
      );
      const names = (kind: string) => relations.filter((r) => r.kind === kind).map((r) => r.name).sort();
      expect(exported.tables.sort()).toEqual(names('BASE TABLE'));
      expect(exported.views.sort()).toEqual(names('VIEW'));
    } finally {
      await database.close();
      await target.destroy();
    }
  });

  it('type-checks a TypeScript consumer that queries a table and a view by the package name', async () => {
    writeFileSync(
      path.join(consumer, 'consumer.ts'),
      `import { and, eq, gt } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { staleTags, tags, tokenUsage } from 'dockerhub-sync/schema';

type Tag = typeof tags.$inferSelect;
type Stale = typeof staleTags.$inferSelect;
const name: Tag['name'] = 'latest';
const days: Stale['days_since_pull'] = 91;
const status: (typeof tokenUsage.$inferSelect)['status'] = 'expiring';

export async function staleOf(db: PgDatabase<PgQueryResultHKT>, namespace: string): Promise<Stale[]> {
  return db.select().from(staleTags).where(and(eq(staleTags.namespace, namespace), gt(staleTags.days_since_pull, 90)));
}
export const sample = { name, days, status };
`,
    );
    writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: [] },
        files: ['consumer.ts'],
      }),
    );
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? 'tsc failed' }));
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
  });

  it('the runtime image layout (dist, bin, migrations, package.json) migrates, serves and passes the Dockerfile HEALTHCHECK', async () => {
    // The same files the Dockerfile's runtime stage copies; node_modules is the symlinked one.
    const app = path.join(tmp, 'dockerhub-sync');
    cpSync(path.join(ROOT, 'bin'), path.join(app, 'bin'), { recursive: true });
    cpSync(path.join(ROOT, 'migrations'), path.join(app, 'migrations'), { recursive: true });
    const env = { PATH: process.env.PATH ?? '', DATA_DIR: path.join(tmp, 'data'), LOG_LEVEL: 'warn' };
    const migrated = await run(process.execPath, ['bin/dockerhub-sync.js', 'migrate'], { cwd: app, env });
    expect(migrated.stdout).toMatch(/applied/i);

    const emulator = await startEmulator({ seed: 3, scale: 1 });
    const port = await freePort();
    // The container's own temp folder, where serve notes its port for the healthcheck.
    const containerTmp = path.join(tmp, 'container-tmp');
    const emptyTmp = path.join(tmp, 'empty-tmp');
    mkdirSync(containerTmp);
    mkdirSync(emptyTmp);
    const child = spawn(process.execPath, ['bin/dockerhub-sync.js', 'serve'], {
      cwd: app,
      env: { ...env, TMPDIR: containerTmp, PORT: String(port), DOCKERHUB_API_URL: emulator.url, DOCKERHUB_NAMESPACES: emulator.credentials.username },
      stdio: 'ignore',
    });
    try {
      const [command, ...args] = dockerfileHealthcheck();
      expect(command).toBe('node');
      // Until the service answers or exits; the deadline only turns a hang into a failure.
      let healthy = false;
      const deadline = Date.now() + 240_000;
      while (!healthy && child.exitCode === null && Date.now() < deadline) {
        healthy = await run(process.execPath, args, { cwd: app, env: { PATH: env.PATH, TMPDIR: containerTmp, PORT: String(port) } }).then(
          () => true,
          () => false,
        );
        if (!healthy) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(healthy).toBe(true);
      // And the check fails when nothing answers (it must not pass vacuously): a container where
      // no serve noted a port and nothing listens on PORT.
      const down = await run(process.execPath, args, { cwd: app, env: { PATH: env.PATH, TMPDIR: emptyTmp, PORT: String(await freePort()) } }).then(() => 0, (e: { code?: number }) => e.code);
      expect(down).toBe(1);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      await emulator.close();
    }
  }, 300_000);
});
