// Values the spec allows (`type: number`, `type: string`) but Postgres columns cannot hold. Each
// must be refused by the schema (so the item lands in sync_errors) and every value the column
// can hold must still pass.
import { describe, expect, it } from 'vitest';
import { getTableColumns, getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { primaryKeyColumns } from '../../../src/db/keys.js';
import * as schema from '../../../src/db/schema/index.js';
import { repositories, tags } from '../../../src/db/schema/repositories.js';
import {
  accessTokenSchema,
  auditLogEventSchema,
  integerFor,
  isStorableTimestamp,
  keyTextBytes,
  STORED_COLUMNS,
  orgGroupSchema,
  orgMemberSchema,
  repositoryInfoSchema,
  repositoryListEntrySchema,
  storableCopy,
  tagSchema,
} from '../../../src/hub/schemas.js';

const repository = (fields: Record<string, unknown>) => ({ name: 'web', namespace: 'acme', ...fields });
const tag = (fields: Record<string, unknown>) => ({ name: 'latest', ...fields });
const team = (fields: Record<string, unknown>) => ({ id: 7, name: 'devs', ...fields });

const accepts = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) => schema.safeParse(value).success;

describe('numbers: what integer and bigint columns hold', () => {
  it.each<[string, unknown, boolean]>([
    ['star_count 4458863048586661 (beyond integer)', repository({ star_count: 4458863048586661 }), false],
    ['star_count 2^31', repository({ star_count: 2 ** 31 }), false],
    ['star_count 2^31 - 1', repository({ star_count: 2 ** 31 - 1 }), true],
    ['star_count -2^31', repository({ star_count: -(2 ** 31) }), true],
    ['star_count -2^31 - 1', repository({ star_count: -(2 ** 31) - 1 }), false],
    ['star_count -1 (negative, but it fits)', repository({ star_count: -1 }), true],
    ['star_count 1.5', repository({ star_count: 1.5 }), false],
    ['star_count "NaN"', repository({ star_count: 'NaN' }), false],
    ['status 2^31', repository({ status: 2 ** 31 }), false],
    ['pull_count 4458863048586661 (fits bigint)', repository({ pull_count: 4458863048586661 }), true],
    ['pull_count 2^53 - 1', repository({ pull_count: Number.MAX_SAFE_INTEGER }), true],
    ['pull_count 2^63', repository({ pull_count: 2 ** 63 }), false],
    ['pull_count -2^63', repository({ pull_count: -(2 ** 63) }), false],
    ['pull_count 1e308', repository({ pull_count: 1e308 }), false],
    ['pull_count 0.1', repository({ pull_count: 0.1 }), false],
    ['storage_size -5 (fits)', repository({ storage_size: -5 }), true],
  ])('repository %s', (_name, value, ok) => {
    expect(accepts(repositoryListEntrySchema, value)).toBe(ok);
  });

  it('detail-only counters too', () => {
    expect(accepts(repositoryInfoSchema, repository({ collaborator_count: 2 ** 31 }))).toBe(false);
    expect(accepts(repositoryInfoSchema, repository({ collaborator_count: 3 }))).toBe(true);
  });

  it.each<[string, unknown, boolean]>([
    ['team id -71660984.6', team({ id: -71660984.6 }), false],
    ['team id 2^63', team({ id: 2 ** 63 }), false],
    ['team id -71660984 (fits bigint)', team({ id: -71660984 }), true],
    ['member_count 2^31', team({ member_count: 2 ** 31 }), false],
  ])('team %s', (_name, value, ok) => {
    expect(accepts(orgGroupSchema, value)).toBe(ok);
  });

  it.each<[string, unknown, boolean]>([
    ['id 1.5', tag({ id: 1.5 }), false],
    ['repository 2^63 (repository_id bigint)', tag({ repository: 2 ** 63 }), false],
    ['full_size 2^53 - 1', tag({ full_size: Number.MAX_SAFE_INTEGER }), true],
    ['an image of size 2^63', tag({ images: [{ digest: 'sha256:a', size: 2 ** 63 }] }), false],
    ['an image of size -3.5', tag({ images: [{ digest: 'sha256:a', size: -3.5 }] }), false],
    ['creator -1', tag({ creator: -1 }), true],
  ])('tag %s', (_name, value, ok) => {
    expect(accepts(tagSchema, value)).toBe(ok);
  });

  it('the limits come from the column types', () => {
    expect(integerFor(repositories.star_count).safeParse(2 ** 31 - 1).success).toBe(true);
    expect(integerFor(repositories.star_count).safeParse(2 ** 31).success).toBe(false);
    expect(integerFor(tags.full_size).safeParse(2 ** 40).success).toBe(true);
    expect(() => integerFor(repositories.name)).toThrow(/not an integer column/);
    const issue = integerFor(repositories.star_count).safeParse(4458863048586661).error?.issues[0]?.message;
    expect(issue).toBe('must be a whole number from -2147483648 to 2147483647 to fit the integer column star_count');
  });
});

describe('timestamps: what timestamptz holds', () => {
  it.each<[string, boolean]>([
    ['2025-01-02T03:04:05Z', true],
    ['2025-01-02T03:04:05.123456Z', true],
    ['2025-01-02 03:04:05+02:00', true],
    ['2025-01-02T03:04:05', true],
    ['2025-01-02T03:04Z', true],
    ['0001-01-01T00:00:00Z', true],
    ['9999-12-31T23:59:59.999999Z', true],
    ['0000-01-01T00:00:00Z', false],
    ['10000-01-01T00:00:00Z', false],
    ['0001-01-01T00:00:00+01:00', false],
    ['9999-12-31T23:00:00-02:00', false],
    ['2025-02-30T00:00:00Z', false],
    ['2025-13-01T00:00:00Z', false],
    ['2025-01-01T25:00:00Z', false],
    ['2025-01-01T10:61:00Z', false],
    ['2025-01-01T10:00:00+16:00', false],
    ['NaN', false],
    ['not a date', false],
  ])('%s → %s', (value, ok) => {
    expect(isStorableTimestamp(value)).toBe(ok);
    expect(accepts(repositoryListEntrySchema, repository({ last_updated: value }))).toBe(ok);
  });

  it('an empty string is still "unknown", not an error', () => {
    expect(accepts(repositoryListEntrySchema, repository({ last_updated: '' }))).toBe(true);
  });

  it('applies to every stored timestamp', () => {
    expect(accepts(auditLogEventSchema, { action: 'repo.create', timestamp: '0000-01-01T00:00:00Z' })).toBe(false);
    expect(accepts(orgMemberSchema, { id: 'u1', last_logged_in_at: '2025-02-29T00:00:00Z' })).toBe(false);
    expect(accepts(orgMemberSchema, { id: 'u1', last_logged_in_at: '2024-02-29T00:00:00Z' })).toBe(true);
    expect(accepts(tagSchema, tag({ images: [{ digest: 'sha256:a', last_pulled: '2025-04-31T00:00:00Z' }] }))).toBe(false);
  });
});

describe('text: what text, jsonb and key columns hold', () => {
  const megabyte = 'x'.repeat(1024 * 1024);
  it.each<[string, unknown, boolean]>([
    ['a 1 MB description (text holds it)', repository({ description: megabyte }), true],
    ['a 1 MB unknown field (raw jsonb holds it)', repository({ notes: megabyte }), true],
    ['a 10 000 character name (beyond what its key index can hold)', repository({ name: 'n'.repeat(10_000) }), false],
    ['a NUL in the description', repository({ description: 'a\u0000b' }), false],
    ['a NUL deep in an unknown field', repository({ extra: { list: ['ok', 'a\u0000'] } }), false],
    ['a NUL in a field name', repository({ 'bad\u0000key': 1 }), false],
    ['an unpaired surrogate', repository({ description: 'a\ud800b' }), false],
    ['a paired surrogate (an emoji)', repository({ description: 'ship \ud83d\udea2' }), true],
  ])('repository %s', (_name, value, ok) => {
    expect(accepts(repositoryListEntrySchema, value)).toBe(ok);
  });

  it('key columns share the index budget: a repository name also keys its tags and images', () => {
    const budget = keyTextBytes(STORED_COLUMNS.repositories.name);
    expect(budget).toBeGreaterThan(255);
    const justFits = 'n'.repeat(Math.min(budget, 600));
    expect(accepts(repositoryListEntrySchema, repository({ name: justFits }))).toBe(true);
    expect(accepts(repositoryListEntrySchema, repository({ name: 'n'.repeat(budget + 1) }))).toBe(false);
  });

  it('a tag name, image digest, member id and token uuid too', () => {
    expect(accepts(tagSchema, tag({ name: 't'.repeat(5000) }))).toBe(false);
    expect(accepts(tagSchema, tag({ images: [{ digest: `sha256:${'a'.repeat(5000)}` }] }))).toBe(false);
    expect(accepts(tagSchema, tag({ images: [{ os: 'l'.repeat(5000), architecture: 'amd64' }] }))).toBe(false);
    expect(accepts(orgMemberSchema, { id: 'i'.repeat(5000) })).toBe(false);
    expect(accepts(accessTokenSchema, { uuid: 'u'.repeat(5000) })).toBe(false);
    expect(accepts(orgGroupSchema, team({ name: 'g'.repeat(5000) }))).toBe(false);
  });

  it('storableCopy keeps a refused payload storable for sync_errors', () => {
    expect(storableCopy({ 'k\u0000': ['a\u0000b', 'c\ud800', 'ok \ud83d\udea2', 1, null] })).toEqual({ 'k\ufffd': ['a\ufffdb', 'c\ufffd', 'ok \ud83d\udea2', 1, null] });
  });
});

describe('the columns the schemas name', () => {
  const tables = new Map((Object.values(schema) as unknown[]).filter((value): value is PgTable => is(value, PgTable)).map((table) => [getTableName(table), table]));
  const declared = Object.values(STORED_COLUMNS).flatMap((columns) => Object.values(columns));

  it.each(declared.map((column) => [`${column.table}.${column.name}`, column] as const))('%s is what the table declares', (_name, column) => {
    const table = tables.get(column.table);
    expect(table, column.table).toBeDefined();
    const actual = Object.values(getTableColumns(table!)).find((c) => c.name === column.name);
    expect(actual?.columnType).toBe(column.columnType);
    const key = primaryKeyColumns(table!);
    expect(column.keyColumns).toBe(key.some((c) => c.name === column.name) ? key.length : undefined);
  });
});
