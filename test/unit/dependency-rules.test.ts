// `npm run check:deps` runs dependency-cruiser with .dependency-cruiser.cjs over src (CI runs it
// after the typecheck). This proves, on a tree of four small files, that the rules catch what they
// are there for: a cycle made of type-only imports, and an import against the layers.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-deps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), text);
}

describe('the dependency rules', () => {
  it('report a cycle of type-only imports and an import against the layers', async () => {
    write('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src'] }));
    // A cycle through types only: the engine's contract naming an endpoint family's type.
    write('src/sync/context.ts', "import type { Family } from '../endpoints/family.js';\nexport interface SyncDeps { registry: Family[] }\n");
    write('src/endpoints/family.ts', "import type { SyncDeps } from '../sync/context.js';\nexport interface Family { slices(deps: SyncDeps): void }\n");
    // The config taking the built-in registry as a default.
    write('src/endpoints/index.ts', "export const endpoints: string[] = [];\n");
    write('src/config.ts', "import { endpoints } from './endpoints/index.js';\nexport const names = endpoints;\n");

    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'src', '--config', path.join(root, '.dependency-cruiser.cjs'), '--output-type', 'json'],
      { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const violations = (JSON.parse(stdout) as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } }).summary.violations;
    const found = violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);

    // A cycle is reported once, from one of its modules.
    expect(found).toContainEqual(expect.stringMatching(/^no-cycle: src\/(sync\/context|endpoints\/family)\.ts → /));
    expect(found).toEqual(
      expect.arrayContaining([
        'engine-imports-no-family: src/sync/context.ts → src/endpoints/family.ts',
        'registry-built-at-the-top: src/config.ts → src/endpoints/index.ts',
        'config-imports-its-sections-only: src/config.ts → src/endpoints/index.ts',
      ]),
    );
  });
});
