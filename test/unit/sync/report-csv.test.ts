import { describe, expect, it } from 'vitest';
import { headerProblem, readReportCsv, ReportRefusedError, typedValue } from '../../../src/sync/report-csv.js';
import { PULL_USAGE_COLUMNS } from '../../../src/endpoints/pull-usage.js';

const FIELDS = [...PULL_USAGE_COLUMNS];

describe('typedValue: a CSV cell as its schema type says', () => {
  const rows: [text: string, type: string, expected: unknown][] = [
    ['42', 'integer', 42],
    ['-3', 'integer', -3],
    ['1.5', 'float', 1.5],
    ['true', 'boolean', true],
    ['0', 'boolean', false],
    ['2026-06-16', 'date', '2026-06-16'],
    ['2026-06-16T10:00:00+02:00', 'timestamp', '2026-06-16T08:00:00.000Z'],
    ['anything', 'string', 'anything'],
    ['x', 'some-new-type', 'x'],
    ['', 'integer', null],
  ];
  it.each(rows)('%j as %s', (text, type, expected) => expect(typedValue(text, type)).toEqual(expected));

  const refused: [text: string, type: string][] = [['4.2', 'integer'], ['12345678901234567890', 'integer'], ['yes', 'boolean'], ['16/06/2026', 'date'], ['soon', 'timestamp'], ['abc', 'float']];
  it.each(refused)('%j is no %s', (text, type) => expect(() => typedValue(text, type)).toThrow(/is not a/));
});

describe('headerProblem: the CSV header against the schema', () => {
  it('accepts the schema columns in any order', () => expect(headerProblem(['tag', 'repository', 'pull_count', 'event_date'], FIELDS, PULL_USAGE_COLUMNS)).toBeUndefined());
  it('names a column the schema does not list', () =>
    expect(headerProblem(['event_date', 'repository', 'tag', 'pull_count', 'region'], FIELDS, PULL_USAGE_COLUMNS)).toMatch(/column region that its schema does not list/));
  it('names a column the schema lists that is missing', () =>
    expect(headerProblem(['event_date', 'repository', 'pull_count'], FIELDS, PULL_USAGE_COLUMNS)).toMatch(/lacks column tag that its schema lists/));
  it('names a column pull_usage needs that the schema lacks', () =>
    expect(headerProblem(['event_date', 'repository', 'tag'], FIELDS.slice(0, 3), PULL_USAGE_COLUMNS)).toMatch(/does not list pull_count \(integer\), which pull_usage needs/));
});

describe('readReportCsv', () => {
  const read = async (text: string, fields = [...FIELDS, { name: 'region', type: 'string' }]) => {
    const out: unknown[] = [];
    for await (const batch of readReportCsv(text, fields, { what: 'The daily report of acme for 2026-06-16', required: PULL_USAGE_COLUMNS, batchSize: 2 })) out.push(batch.length);
    return out;
  };
  it('streams typed records in batches', async () => {
    const text = 'event_date,repository,tag,pull_count,region\n' + [1, 2, 3].map((n) => `2026-06-16,acme/api,v${n},${n},"eu, west"`).join('\n') + '\n';
    expect(await read(text)).toEqual([2, 1]);
  });
  it('refuses a record of another length, naming the report', async () => {
    await expect(read('event_date,repository,tag,pull_count,region\n2026-06-16,acme/api,v1,1\n')).rejects.toThrow(ReportRefusedError);
    await expect(read('event_date,repository,tag,pull_count,region\n2026-06-16,acme/api,v1,1\n')).rejects.toThrow(/The daily report of acme for 2026-06-16 was refused: the CSV cannot be read/);
  });
  it('refuses a value not of its type, naming the record and column', async () =>
    expect(read('event_date,repository,tag,pull_count,region\n2026-06-16,acme/api,v1,many,eu\n')).rejects.toThrow(/record 2 was refused: column pull_count \(integer\): "many" is not an integer/));
  it('refuses an empty file', async () => expect(read('')).rejects.toThrow(/the CSV is empty/));
});
