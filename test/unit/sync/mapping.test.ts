import { describe, expect, it } from 'vitest';
import { actionRows } from '../../../src/endpoints/audit-log-actions.js';
import { accessTokenRow } from '../../../src/endpoints/access-tokens.js';
import { orgMemberRow } from '../../../src/endpoints/org-members.js';
import { repositoryRow, sameInstant } from '../../../src/endpoints/repositories.js';
import { tagImageRows, tagRow } from '../../../src/endpoints/tags.js';
import { parseWatchedTag } from '../../../src/endpoints/watched-tags.js';
import { syncOptionsFromFlags } from '../../../src/commands/sync.js';

describe('row mapping', () => {
  const tag = {
    id: 1,
    name: 'latest',
    repository: 42,
    full_size: 1234,
    v2: true,
    tag_status: 'active',
    tag_last_pulled: '2024-05-01T12:00:00.123456Z',
    tag_last_pushed: null,
    last_updated: '2024-04-01T00:00:00Z',
    digest: 'sha256:aa',
    images: [
      { architecture: 'amd64', os: 'linux', variant: null, digest: 'sha256:a1', size: 10, status: 'active', last_pulled: null, last_pushed: '2024-04-01T00:00:00Z', os_version: null },
      { architecture: 'arm', os: 'linux', variant: 'v7', digest: null, size: 11, status: 'inactive' },
      { architecture: 'amd64', os: 'linux', variant: null, digest: 'sha256:a1', size: 10 },
    ],
  };

  it('keeps Hub field names and nulls for tags', () => {
    const row = tagRow('acme', 'api', tag);
    expect(row).toMatchObject({ namespace: 'acme', repository: 'api', name: 'latest', repository_id: 42, tag_status: 'active', tag_last_pushed: null, tag_last_pulled: '2024-05-01T12:00:00.123456Z' });
    expect(row.raw).toBe(tag);
    // The spec's `status` is accepted where `tag_status` is missing.
    expect(tagRow('acme', 'api', { name: 'x', status: 'inactive' }).tag_status).toBe('inactive');
  });

  it('makes one image row per digest, keying digest-less images by platform', () => {
    const rows = tagImageRows('acme', 'api', tag);
    expect(rows.map((r) => r.digest)).toEqual(['sha256:a1', 'platform:linux/arm/v7']);
    expect(rows[1]).toMatchObject({ architecture: 'arm', variant: 'v7', status: 'inactive', tag: 'latest' });
  });

  it('maps repository list and detail fields', () => {
    const row = repositoryRow('acme', { name: 'api', namespace: 'acme', pull_count: 5, is_private: false, last_updated: null, permissions: { read: true, write: true, admin: false } });
    expect(row).toMatchObject({ namespace: 'acme', name: 'api', pull_count: 5, is_private: false, last_updated: null, permissions: { read: true, write: true, admin: false }, full_description: null });
  });

  it('renames Hub last_seen_at of a member so it cannot clash with ours', () => {
    const row = orgMemberRow('acme', { id: 'u1', username: 'alice', role: 'Owner', last_seen_at: '2024-01-01T00:00:00Z' });
    expect(row.member_last_seen_at).toBe('2024-01-01T00:00:00Z');
    expect(row).not.toHaveProperty('last_seen_at');
  });

  it('never keeps a token secret', () => {
    const row = accessTokenRow('alice', { uuid: 'u', token: 'dckr_pat_secret', token_label: 'ci' });
    expect(JSON.stringify(row)).not.toContain('dckr_pat_secret');
  });

  it('flattens the action catalogue into group.name keys', () => {
    const rows = actionRows('acme', { actions: { repo: { label: 'Repository', actions: [{ name: 'tag.push', description: 'Pushed', label: 'Tag pushed' }] }, org: { label: 'Org', actions: [{ name: 'org.create' }] } } });
    expect(rows.map((r) => r.name)).toEqual(['repo.tag.push', 'org.create']);
    expect(rows[0]).toMatchObject({ group: 'repo', group_label: 'Repository', label: 'Tag pushed' });
  });

  it('compares instants across spellings', () => {
    expect(sameInstant('2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000000Z')).toBe(true);
    expect(sameInstant('2024-01-01T00:00:00.1Z', '2024-01-01T00:00:00.100000Z')).toBe(true);
    expect(sameInstant('2024-01-01T00:00:00.1Z', '2024-01-01T00:00:00.100001Z')).toBe(false);
    expect(sameInstant(null, null)).toBe(true);
    expect(sameInstant(null, '2024-01-01T00:00:00Z')).toBe(false);
  });

  it('parses watched tags', () => expect(parseWatchedTag('acme/api:1.2')).toEqual({ namespace: 'acme', repository: 'api', tag: '1.2' }));
});

describe('sync flags', () => {
  const now = new Date('2025-06-01T00:00:00Z');
  it('reads --only, --namespace, --full, --dry-run', () => {
    expect(syncOptionsFromFlags({ only: 'tags, repositories', namespace: ['acme'], full: true, 'dry-run': true }, now)).toMatchObject({
      only: ['tags', 'repositories'],
      namespaces: ['acme'],
      full: true,
      dryRun: true,
    });
  });
  it('builds a backfill window', () => {
    expect(syncOptionsFromFlags({ backfill: true, from: '2025-01-01' }, now).backfill).toEqual({ from: '2025-01-01T00:00:00.000Z', to: now.toISOString() });
  });
  it.each([
    [{ backfill: true }, /needs --from/],
    [{ backfill: true, from: 'yesterday' }, /not a date/],
    [{ backfill: true, from: '2025-05-01', to: '2025-04-01' }, /must be before/],
    [{ from: '2025-01-01' }, /only apply with --backfill/],
    [{ backfill: true, from: '2025-01-01', full: true }, /cannot be combined/],
    // Dates that do not exist are refused, not rolled over into the next month.
    [{ backfill: true, from: '2025-02-30' }, /--from "2025-02-30" is not a date/],
    [{ backfill: true, from: '2023-02-29' }, /not a date/],
    [{ backfill: true, from: '2025-13-01' }, /not a date/],
    [{ backfill: true, from: '2025-04-31T00:00:00Z' }, /not a date/],
    [{ backfill: true, from: '2025-01-01T24:00:00Z' }, /not a date/],
    [{ backfill: true, from: '2025-01-01T12:60:00Z' }, /not a date/],
    [{ backfill: true, from: '2025-01-01', to: '2025-06-31' }, /--to "2025-06-31" is not a date/],
    [{ backfill: true, from: '0000-01-01' }, /not a date/],
    [{ backfill: true, from: '1 March 2025' }, /not a date/],
    [{ backfill: true, from: '2025-1-1' }, /not a date/],
  ])('rejects %o', (flags, message) => expect(() => syncOptionsFromFlags(flags, now)).toThrow(message));
  it.each([
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['0001-01-01', '0001-01-01T00:00:00.000Z'],
    ['2025-01-01T12:30:00Z', '2025-01-01T12:30:00.000Z'],
    ['2025-01-01T12:30:00.250Z', '2025-01-01T12:30:00.250Z'],
    ['2025-01-01T12:30Z', '2025-01-01T12:30:00.000Z'],
    ['2025-01-01T12:30:00+02:00', '2025-01-01T10:30:00.000Z'],
    ['2025-01-01T00:30:00-0130', '2025-01-01T02:00:00.000Z'],
    // Without an offset a time is UTC, like a bare date.
    ['2025-01-01T12:30:00', '2025-01-01T12:30:00.000Z'],
    ['2025-01-01 12:30:00Z', '2025-01-01T12:30:00.000Z'],
  ])('reads --from %s as %s', (text, iso) =>
    expect(syncOptionsFromFlags({ backfill: true, from: text }, now).backfill?.from).toBe(iso));
});
