import { describe, expect, it } from 'vitest';
import { auditEventHash, hashOf, normalizeTimestamp, stableStringify } from '../../../src/sync/hash.js';
import { diffFields } from '../../../src/sync/diff.js';

describe('normalizeTimestamp', () => {
  it.each([
    ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00Z'],
    ['2024-05-01T12:00:00.000000Z', '2024-05-01T12:00:00Z'],
    ['2024-05-01T12:00:00.120Z', '2024-05-01T12:00:00.12Z'],
    ['2024-05-01T12:00:00.123456789Z', '2024-05-01T12:00:00.123456Z'],
    ['2024-05-01T12:00:00+00:00', '2024-05-01T12:00:00Z'],
    ['2024-05-01T14:00:00.5+02:00', '2024-05-01T12:00:00.5Z'],
    ['2024-05-01 12:00:00', '2024-05-01T12:00:00Z'],
    ['', null],
    [null, null],
    [undefined, null],
    ['not a date', null],
  ])('%s → %s', (input, expected) => expect(normalizeTimestamp(input)).toBe(expected));
});

describe('stable hashing', () => {
  it('ignores key order and undefined', () => {
    expect(stableStringify({ b: 1, a: [1, { d: 2, c: 3 }], u: undefined })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
    expect(hashOf({ a: 1, b: 2 })).toBe(hashOf({ b: 2, a: 1 }));
    expect(hashOf({ a: 1 })).not.toBe(hashOf({ a: 2 }));
  });

  it('identifies an audit event by its fields, whatever the timestamp spelling', () => {
    const event = { account: 'acme', action: 'repo.tag.push', name: 'acme/api', actor: 'alice', data: { digest: 'sha256:1' }, timestamp: '2024-05-01T12:00:00Z' };
    const same = { ...event, timestamp: '2024-05-01T12:00:00.000000Z', action_description: 'changed wording' };
    expect(auditEventHash('acme', event)).toBe(auditEventHash('acme', same));
    expect(auditEventHash('acme', event)).not.toBe(auditEventHash('acme', { ...event, actor: 'bob' }));
    expect(auditEventHash('acme', event)).not.toBe(auditEventHash('globex', event));
  });
});

describe('diffFields', () => {
  it('lists top-level fields that changed, old → new', () => {
    expect(
      diffFields({ a: 1, b: { x: 1 }, c: 'same', gone: true }, { a: 2, b: { x: 1 }, c: 'same', added: null }),
    ).toEqual({ a: { old: 1, new: 2 }, gone: { old: true, new: null } });
    expect(diffFields(null, { a: 1 })).toEqual({ a: { old: null, new: 1 } });
  });
});
