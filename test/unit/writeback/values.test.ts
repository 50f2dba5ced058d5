import { describe, expect, it } from 'vitest';
import { isTableName, sourceQuery } from '../../../src/writeback/source.js';
import { bool, canonical, fingerprint, list, maskSecrets } from '../../../src/writeback/values.js';
import { fakeToken } from '../../support/seed.js';

describe('write-back values', () => {
  it.each([
    [['a', 'b'], ['a', 'b']],
    ['a, b,,c', ['a', 'b', 'c']],
    ['["x","y"]', ['x', 'y']],
    ['{repo:read,"repo:write"}', ['repo:read', 'repo:write']],
    [42, undefined],
  ])('list(%j) = %j', (input, expected) => {
    expect(list(input)).toEqual(expected);
  });

  it.each([
    [true, true], ['t', true], ['Yes', true], [1, true], ['false', false], ['f', false], [0, false], ['maybe', undefined], [null, undefined],
  ])('bool(%j) = %j', (input, expected) => {
    expect(bool(input)).toBe(expected);
  });

  it('canonical JSON sorts keys at every level', () => {
    expect(canonical({ b: 1, a: { d: [{ f: 1, e: 2 }], c: new Date(0) } })).toBe('{"a":{"c":"1970-01-01T00:00:00.000Z","d":[{"e":2,"f":1}]},"b":1}');
  });

  it('masks secrets under secret-named keys and token-shaped text anywhere, keeping labels', () => {
    const secret = fakeToken('pat');
    const { value, secrets } = maskSecrets({ token: secret, token_label: 'ci', nested: [{ note: `use ${secret} here` }], password: 'hunter2' });
    expect(JSON.stringify(value)).not.toContain(secret);
    expect(JSON.stringify(value)).not.toContain('hunter2');
    expect(value).toMatchObject({ token: `[secret ${fingerprint(secret)}]`, token_label: 'ci', nested: [{ note: `use [secret ${fingerprint(secret)}] here` }] });
    expect(secrets.map((s) => s.path)).toEqual(['$.token', '$.nested[0].note', '$.password']);
    expect(fingerprint(secret)).toMatch(/^sha256:[0-9a-f]{12}$/);
  });

  it('a source is a table name or one query, sent as written (never spliced into other SQL)', () => {
    expect(isTableName('staging.contractors')).toBe(true);
    expect(sourceQuery('staging.contractors')).toBe('SELECT * FROM "staging"."contractors"');
    expect(sourceQuery('"My Table"')).toBe('SELECT * FROM "My Table"');
    expect(isTableName('select 1')).toBe(false);
    expect(sourceQuery('select email from x;')).toBe('select email from x');
    expect(sourceQuery("select 1) x; DELETE FROM y; SELECT * FROM (select 1")).toBe("select 1) x; DELETE FROM y; SELECT * FROM (select 1");
  });
});

describe('docs/write-back.md', () => {
  it('documents every built-in template in its templates table', async () => {
    const { readFileSync } = await import('node:fs');
    const { writebackTemplates } = await import('../../../src/writeback/templates/index.js');
    const doc = readFileSync(new URL('../../../docs/write-back.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('\n## Templates'));
    expect(section.length).toBeGreaterThan(100);
    for (const template of writebackTemplates) {
      const row = section.split('\n').find((line) => line.startsWith(`| \`${template.name}\` |`));
      expect(row, template.name).toBeDefined();
      expect(row).toContain(`${template.method} ${template.path}`);
      expect(row).toContain(template.inverse ? `\`${template.inverse.template}\`` : '| — |');
    }
  });
});
