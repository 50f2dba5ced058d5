import { describe, expect, it } from 'vitest';
import {
  firstOf,
  parseTemplate,
  placeholdersIn,
  placeholdersOf,
  renderTemplate,
  renderValue,
  TemplateError,
  valuesResolver,
} from '../../../src/templating/template.js';

describe('templates', () => {
  it('splits text and placeholders, with doubled braces as literals', () => {
    expect(parseTemplate('/v2/orgs/{org}/groups/{ team }')).toEqual([
      '/v2/orgs/',
      { expression: 'org', start: 9 },
      '/groups/',
      { expression: 'team', start: 22 },
    ]);
    expect(parseTemplate('{{literal}} {x}')).toEqual(['{literal} ', { expression: 'x', start: 12 }]);
    expect(placeholdersOf('{a}{b}{a}')).toEqual(['a', 'b', 'a']);
  });

  it('refuses unclosed, stray and empty placeholders, naming the template', () => {
    expect(() => parseTemplate('/v2/{org')).toThrow(/not closed/);
    expect(() => parseTemplate('/v2/{a{b}}')).toThrow(TemplateError);
    expect(() => parseTemplate('/v2/org}')).toThrow(/closes no placeholder/);
    expect(() => parseTemplate('/v2/{ }')).toThrow(/empty placeholder/);
  });

  it('encodes each value as one path segment when asked', () => {
    const resolve = valuesResolver({ org: 'acme', team: 'a/b c' });
    expect(renderTemplate('/v2/orgs/{org}/groups/{team}', resolve, { encode: 'path' })).toBe('/v2/orgs/acme/groups/a%2Fb%20c');
    expect(renderTemplate('{team}', resolve)).toBe('a/b c');
  });

  it('fails on a placeholder without a value, naming it and the place', () => {
    expect(() => renderTemplate('/x/{missing}', valuesResolver({}), { what: 'path of job j' })).toThrow(
      'path of job j: {missing} has no value.',
    );
  });

  it('keeps the type of a value that fills a whole string, renders the rest as text', () => {
    const resolve = valuesResolver({ n: 3, list: ['a', 'b'], parent: { name: 'web' }, empty: null });
    expect(renderValue({ count: '{n}', members: '{list}', label: 'n={n}', nested: ['{parent.name}'], none: '{empty}' }, resolve)).toEqual({
      count: 3,
      members: ['a', 'b'],
      label: 'n=3',
      nested: ['web'],
      none: null,
    });
    expect(placeholdersIn({ a: '{x}', b: ['{y} {z}'], '{k}': 1 })).toEqual(['x', 'y', 'z', 'k']);
  });

  it('asks resolvers in order', () => {
    const resolve = firstOf(valuesResolver({ a: 1 }), (e) => (e === 'b' ? 2 : undefined));
    expect(renderTemplate('{a}{b}', resolve)).toBe('12');
    expect(resolve('c')).toBeUndefined();
  });
});
