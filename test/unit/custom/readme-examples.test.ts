import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { buildRegistry } from '../../../src/custom/registry.js';
import { ROOT } from '../../support/cli.js';

describe('the worked examples of custom endpoints in docs/endpoints-and-macros.md', () => {
  const doc = readFileSync(path.join(ROOT, 'docs/endpoints-and-macros.md'), 'utf8');
  const start = doc.indexOf('\n## Custom endpoints');
  const end = doc.indexOf('\n## ', start + 5);
  const section = doc.slice(start, end === -1 ? undefined : end);
  const examples = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('has three worked examples, and each loads without a problem', () => {
    expect(examples.length).toBe(3);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-doc-examples-'));
    try {
      for (const [index, text] of examples.entries()) {
        const file = path.join(dir, `example${index}.yaml`);
        writeFileSync(file, text);
        const config = loadConfig({ env: {}, configFile: file });
        expect(buildRegistry(config).length).toBeGreaterThan((config.endpoints ?? []).length);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
