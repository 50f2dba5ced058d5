import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadCommandConfig } from '../../../src/commands/config-check.js';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { PAGINATIONS } from '../../../src/custom/config.js';
import { PAGE_SHAPE_NAMES } from '../../../src/hub/types.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-pagination-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function loaded(endpoints: unknown[]): { config?: ReturnType<typeof loadConfig>; problems: string[] } {
  const file = path.join(dir, `c${n++}.yaml`);
  writeFileSync(file, stringify({ endpoints }));
  try {
    return { config: loadCommandConfig({ env: {}, configFile: file }), problems: [] };
  } catch (error) {
    if (error instanceof ConfigError) return { problems: error.problems.map((p) => p.replace(` in ${file}`, '')) };
    throw error;
  }
}

describe('pagination in the endpoints section', () => {
  it('names every Docker Hub shape from the one list, plus auto and none', () => {
    expect(PAGINATIONS).toEqual(['auto', 'none', ...PAGE_SHAPE_NAMES]);
    expect(PAGE_SHAPE_NAMES).toEqual(['results', 'total', 'data', 'logs', 'array', 'scim']);
  });

  it('takes a generic paginator as an object', () => {
    const { config, problems } = loaded([{ name: 'reports', path: '/api/reports', pagination: { type: 'cursor', param: 'page_token' }, dataPath: '$.reports[*]' }]);
    expect(problems).toEqual([]);
    expect(config!.endpoints![0]!.pagination).toEqual({ type: 'cursor', param: 'page_token' });
  });

  it('lists every problem at once: an unknown paginator, a broken JSONPath, an empty parameter name and the entry\'s other problems', () => {
    const { problems } = loaded([
      { name: 'a', path: '/api/a', pagination: { type: 'link_header' } },
      { name: 'b', path: '/api/b', pagination: { type: 'next_link', nextPath: '$.links[' } },
      { name: 'c', path: '/api/c', pagination: { type: 'offset', limitParam: '' } },
      { name: 'D', path: 'api/d', pagination: { type: 'cursor', nextPath: '$.next)' }, schedule: 'often' },
    ]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^endpoints\[0\]\.pagination: must be one of auto, none, results, total, data, logs, array, scim, or a paginator \{type: next_link \| page_number \| offset \| cursor, \.\.\.\}/),
        'endpoints[1].pagination.nextPath: "$.links[" is not a JSONPath: a bracket is not closed',
        expect.stringMatching(/^endpoints\[2\]\.pagination/),
        expect.stringMatching(/^endpoints\[3\]\.name: "D" is not a usable name/),
        expect.stringMatching(/^endpoints\[3\]\.path: /),
        expect.stringMatching(/^endpoints\[3\]\.schedule: "often" is not a usable cron expression/),
        'endpoints[3].pagination.nextPath: "$.next)" is not a JSONPath: ")" closes nothing',
      ]),
    );
  });

  it('an unknown key of a paginator is named with the nearest known one', () => {
    const { problems } = loaded([{ name: 'a', path: '/api/a', pagination: { type: 'next_link', nextpath: '$.next' } }]);
    expect(problems.join('\n')).toMatch(/endpoints\[0\]\.pagination\.nextpath: unknown setting; did you mean "endpoints\[0\]\.pagination\.nextPath"\?/);
  });
});
