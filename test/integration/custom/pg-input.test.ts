import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnType } from '../../../src/custom/config.js';
import { pgInputProblem } from '../../../src/custom/pg-input.js';
import { columnExpression } from '../../../src/custom/views.js';
import { rowsOf, type Database } from '../../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

// The checker of values on the way in (src/custom/pg-input.ts) against the database itself: each
// value is stored as JSON and read the way a custom view reads it (`data #>> path` cast to the
// type; unix seconds through to_timestamp). Whatever the checker accepts, Postgres must read; what
// it refuses, Postgres must refuse too, except the inputs marked `stricter` (refused on purpose).

type Case = [value: unknown, type: ColumnType, stricter?: 'stricter'];

const TABLE: Case[] = [
  // integer
  [7, 'integer'], [-2147483648, 'integer'], [2147483647, 'integer'], [2147483648, 'integer'], [-2147483649, 'integer'], [1.5, 'integer'],
  ['42', 'integer'], [' 42 ', 'integer'], ['+42', 'integer'], ['-0', 'integer'], ['4 2', 'integer'], ['42.0', 'integer'], ['', 'integer'],
  ['2147483648', 'integer'], ['0x10', 'integer', 'stricter'], ['1_000', 'integer', 'stricter'], ['1e3', 'integer'], [true, 'integer'], ['\t7\n', 'integer'],
  // bigint
  [1e21, 'bigint'], [-1e21, 'bigint'], [9007199254740993, 'bigint'], ['9223372036854775807', 'bigint'], ['9223372036854775808', 'bigint'],
  ['-9223372036854775808', 'bigint'], ['-9223372036854775809', 'bigint'], ['00000000000000000000001', 'bigint'], [1e18, 'bigint'], ['1.0', 'bigint'],
  // numeric
  ['0x10', 'numeric', 'stricter'], ['12.50', 'numeric'], ['.5', 'numeric'], ['5.', 'numeric'], ['1e3', 'numeric'], ['1E-3', 'numeric'], ['1e1000', 'numeric'],
  ['1e-1000', 'numeric'], ['1e1001', 'numeric'], ['1e-1001', 'numeric'], ['1e131071', 'numeric'], ['1e131072', 'numeric'],
  ['10e131071', 'numeric'], ['0.00001e131076', 'numeric'], ['1e-16383', 'numeric'], ['1e-16384', 'numeric'], ['0.5e-16383', 'numeric'], ['0e200000', 'numeric'],
  ['0e-20000', 'numeric'], ['0e2147483648', 'numeric'], ['NaN', 'numeric'], ['Infinity', 'numeric'], ['-inf', 'numeric'], ['1,5', 'numeric'],
  ['1_000', 'numeric', 'stricter'], ['  -3.25  ', 'numeric'], ['e5', 'numeric'], ['.', 'numeric'], ['+.e1', 'numeric'], [1e300, 'numeric'], [false, 'numeric'],
  // double precision
  ['1e-400', 'double precision'], ['1e400', 'double precision'], ['-1e400', 'double precision'], ['4.9e-324', 'double precision'], ['2e-324', 'double precision'],
  ['1.7976931348623157e308', 'double precision'], ['1.8e308', 'double precision'], ['0e-400', 'double precision'], ['0.0', 'double precision'],
  ['NaN', 'double precision'], ['-Infinity', 'double precision'], ['inf', 'double precision'], ['0x10', 'double precision', 'stricter'], ['1.5', 'double precision'],
  [0.1, 'double precision'], ['abc', 'double precision'],
  // boolean
  [true, 'boolean'], [false, 'boolean'], ['true', 'boolean'], ['t', 'boolean'], ['TR', 'boolean'], ['yes', 'boolean'], ['Y', 'boolean'], ['n', 'boolean'],
  ['no', 'boolean'], ['on', 'boolean'], ['off', 'boolean'], ['of', 'boolean'], ['o', 'boolean'], ['1', 'boolean'], ['0', 'boolean'], [1, 'boolean'], [0, 'boolean'],
  [2, 'boolean'], ['maybe', 'boolean'], [' true ', 'boolean'], ['truee', 'boolean'], ['', 'boolean'], ['10', 'boolean'],
  // date
  ['2025-01-01', 'date'], ['2025-01-01garbage', 'date'], ['2025-02-29', 'date'], ['2024-02-29', 'date'], ['2025-02-30', 'date'], ['2025-13-01', 'date'],
  ['0000-01-01', 'date'], ['0001-01-01', 'date'], ['9999-12-31', 'date'], ['2025-01-01T10:00:00Z', 'date'], ['2025-01-01 10:00:00+02:00', 'date'],
  [' 2025-01-01 ', 'date'], ['2025-1-1', 'date', 'stricter'], ['20250101', 'date', 'stricter'], ['today', 'date', 'stricter'], ['epoch', 'date', 'stricter'],
  ['Jan 8 1999', 'date', 'stricter'], ['31/12/2025', 'date'], [20250101, 'date', 'stricter'], ['2025-01-01T25:00:00Z', 'date'],
  // timestamptz
  ['2025-01-01T10:00:00Z', 'timestamptz'], ['2025-01-01T10:00:00.123456Z', 'timestamptz'], ['2025-01-01 10:00', 'timestamptz'], ['2025-01-01', 'timestamptz'],
  ['2025-01-01T10:00:00+05:30', 'timestamptz'], ['2025-01-01T10:00:00-0800', 'timestamptz'], ['2025-01-01T10:00:00+15:59', 'timestamptz'],
  ['2025-01-01T10:00:00+16:00', 'timestamptz'], ['2025-01-01T24:00:00Z', 'timestamptz', 'stricter'], ['2025-01-01T23:59:60Z', 'timestamptz', 'stricter'],
  ['2025-01-01T10:60:00Z', 'timestamptz'], ['2025-02-30T00:00:00Z', 'timestamptz'], ['0001-01-01T00:00:00+01:00', 'timestamptz'], ['yesterday', 'timestamptz', 'stricter'],
  ['1735725600', 'timestamptz'], [1735725600, 'timestamptz'], [1735725600.5, 'timestamptz'], [1e20, 'timestamptz'], [-1e20, 'timestamptz'],
  [9224318015999, 'timestamptz'], [9224318016000, 'timestamptz'], [-210866803200, 'timestamptz'], [-210866803201, 'timestamptz'], [true, 'timestamptz'],
  // text and jsonb hold anything
  ['anything', 'text'], [{ a: [1, 2] }, 'jsonb'], [12, 'text'],
];

/** mulberry32: a small seeded generator (the seed is printed with any failure). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generated(seed: number, count: number): Case[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const text = (alphabet: string, max: number) => Array.from({ length: 1 + Math.floor(next() * max) }, () => pick([...alphabet])).join('');
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    const type = pick(['integer', 'bigint', 'numeric', 'double precision', 'boolean', 'date', 'timestamptz'] as const);
    if (type === 'boolean') out.push([pick(['t', 'f', 'y', 'n', 'o', 'e', 'r', 'u', 's', '1', '0', ' ']) + text('truefalsyonTRUE10 ', 5), type]);
    else if (type === 'date' || type === 'timestamptz') {
      const pad = (n: number, w: number) => String(n).padStart(w, '0');
      const base = `${pad(Math.floor(next() * 10_000), 4)}-${pad(Math.floor(next() * 14), 2)}-${pad(Math.floor(next() * 33), 2)}`;
      const time = next() < 0.5 ? '' : `${pick(['T', ' '])}${pad(Math.floor(next() * 26), 2)}:${pad(Math.floor(next() * 62), 2)}${next() < 0.5 ? `:${pad(Math.floor(next() * 62), 2)}` : ''}`;
      const zone = time && next() < 0.5 ? pick(['Z', `+${pad(Math.floor(next() * 17), 2)}:${pad(Math.floor(next() * 61), 2)}`, `-${pad(Math.floor(next() * 17), 2)}`]) : '';
      out.push([`${base}${time}${zone}`, type]);
    } else if (next() < 0.3) out.push([(next() - 0.5) * 10 ** Math.floor(next() * 25), type]);
    else out.push([text('0123456789+-.eE ', 12), type]);
  }
  return out;
}

describe('values a declared column can hold: the checker agrees with Postgres', () => {
  let target: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    target = await createTestDatabase();
    database = await target.open();
  });
  afterAll(async () => {
    await database?.close();
    await target?.destroy();
  });

  /** Does the database read `value` as `type` the way a view does? And does the view's safe cast agree? */
  async function postgresReads(value: unknown, type: ColumnType): Promise<{ plain: boolean; safe: boolean }> {
    const json = JSON.stringify({ v: value });
    const column = { name: 'v', type, segments: ['v'] };
    const plain =
      type === 'timestamptz'
        ? `CASE WHEN jsonb_typeof(r.data #> '{v}') = 'number' THEN to_timestamp((r.data #>> '{v}')::double precision) ELSE (r.data #>> '{v}')::timestamptz END`
        : type === 'jsonb'
          ? `(r.data #> '{v}')`
          : `(r.data #>> '{v}')::${type}`;
    let ok = true;
    try {
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`SELECT ${sql.raw(plain)} AS v FROM (SELECT ${json}::jsonb AS data) r`);
      });
    } catch {
      ok = false;
    }
    const safe = rowsOf<{ v: unknown }>(await database.db.execute(sql`SELECT ${sql.raw(columnExpression(column))} AS v FROM (SELECT ${json}::jsonb AS data) r`))[0]!.v;
    return { plain: ok, safe: safe !== null };
  }

  it('on a table of inputs: what it accepts Postgres reads, what it refuses Postgres refuses (or it is stricter on purpose)', async () => {
    const disagreements: string[] = [];
    for (const [value, type, stricter] of TABLE) {
      const accepted = pgInputProblem(value, type) === undefined;
      const { plain, safe } = await postgresReads(value, type);
      const label = `${JSON.stringify(value)} as ${type}: checker ${accepted ? 'accepts' : 'refuses'}, Postgres ${plain ? 'reads it' : 'refuses'}`;
      if (safe !== plain) disagreements.push(`${label}, but the view's safe cast ${safe ? 'reads it' : 'gives NULL'}`);
      if (accepted && !plain) disagreements.push(label);
      if (!accepted && plain && !stricter) disagreements.push(`${label} (not marked stricter)`);
      if (stricter && accepted) disagreements.push(`${label} (marked stricter)`);
    }
    expect(disagreements).toEqual([]);
  });

  it('on generated inputs: everything it accepts Postgres reads; numbers and booleans agree both ways', async () => {
    const seed = Number(process.env.PG_INPUT_SEED ?? 20261206);
    const disagreements: string[] = [];
    for (const [value, type] of generated(seed, 600)) {
      const accepted = pgInputProblem(value, type) === undefined;
      const { plain, safe } = await postgresReads(value, type);
      const label = `${JSON.stringify(value)} as ${type}: checker ${accepted ? 'accepts' : 'refuses'}, Postgres ${plain ? 'reads it' : 'refuses'}`;
      if (safe !== plain) disagreements.push(`${label}, but the view's safe cast ${safe ? 'reads it' : 'gives NULL'}`);
      if (accepted && !plain) disagreements.push(label);
      // Within this alphabet (digits, signs, point, exponent, spaces; boolean words) there is nothing to be stricter about.
      if (!accepted && plain && type !== 'date' && type !== 'timestamptz') disagreements.push(label);
    }
    expect(disagreements, `seed ${seed} (PG_INPUT_SEED=${seed} repeats it)`).toEqual([]);
  });
});
