import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { NODE_TEST_FLAGS } from './node-flags.js';

/**
 * The CLI the end-to-end tests run, built once per run: `npm run build`'s compiler and config
 * (tsc -p tsconfig.build.json) into a temporary folder laid out as an installed package (dist,
 * bin, migrations, package.json, node_modules). Every CLI child is then plain `node` on
 * `dist/cli.js`: no process compiles TypeScript. A build that fails stops the run here, with the
 * compiler's messages; the working tree's dist/ is left alone.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** The built package: `<cliBuild>/dist/cli.js` is the CLI. */
    cliBuild: string;
    /** A DATA_DIR whose embedded database has every migration applied, to copy (migratedDataDir in test/support/db.ts). */
    migratedDataDir: string;
  }
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function buildPackage(): Promise<string> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'dhs-build-'));
  // mkdtemp makes it 0700: tests that run the CLI as another user (DATA_DIR permissions) read it too.
  chmodSync(folder, 0o755);
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const failure = await new Promise<string | undefined>((resolve) => {
    execFile(
      process.execPath,
      [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(folder, 'dist')],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve(error ? `${stdout}${stderr}`.trim() || error.message : undefined),
    );
  });
  if (failure !== undefined) {
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`The end-to-end tests run the built CLI, and \`npm run build\` failed:\n${failure}`);
  }
  writeFileSync(path.join(folder, 'package.json'), readFileSync(path.join(ROOT, 'package.json')));
  cpSync(path.join(ROOT, 'bin'), path.join(folder, 'bin'), { recursive: true });
  symlinkSync(path.join(ROOT, 'migrations'), path.join(folder, 'migrations'), 'dir');
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(folder, 'node_modules'), 'dir');
  return folder;
}

/**
 * A DATA_DIR migrated by the built CLI's `migrate`, in a child process: PGlite's work would
 * block this process (where the other setups open their connections) for seconds at a time.
 */
async function migrateDataDir(build: string): Promise<string> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'dhs-data-template-'));
  const failure = await new Promise<string | undefined>((resolve) => {
    execFile(
      process.execPath,
      [...NODE_TEST_FLAGS, path.join(build, 'dist', 'cli.js'), 'migrate'],
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: folder, LOG_LEVEL: 'warn' } },
      (error, stdout, stderr) => resolve(error ? `${stdout}${stderr}`.trim() || error.message : undefined),
    );
  });
  if (failure !== undefined) {
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`\`migrate\` of a new DATA_DIR with the built CLI failed:\n${failure}`);
  }
  return folder;
}

export default async function setup(project: TestProject): Promise<() => void> {
  const folder = await buildPackage();
  project.provide('cliBuild', folder);
  // With the PGlite backend the global setup has migrated a folder already (test/support/global-setup.ts).
  const shared = project.getProvidedContext().pgliteTemplate;
  const dataDir = shared || (await migrateDataDir(folder).catch((error: unknown) => {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }));
  project.provide('migratedDataDir', dataDir);
  return () => {
    rmSync(folder, { recursive: true, force: true });
    if (!shared) rmSync(dataDir, { recursive: true, force: true });
  };
}
