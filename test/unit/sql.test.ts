import { describe, expect, it } from 'vitest';
import { waysIn } from '../../src/commands/demo.js';
import { sqlRequest } from '../../src/commands/sql.js';
import { connectionUrl, isLoopback } from '../../src/db/serve-socket.js';
import { commandTag, describeQueryError } from '../../src/db/sql.js';
import { csvField, formatResult, jsonValue, parseTextArray } from '../../src/db/sql-format.js';
import { UsageError } from '../../src/cli-errors.js';
import { main } from '../../src/cli.js';
import { ConfigError, loadConfig } from '../../src/config.js';

function io(env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const sink = (write: (s: string) => void) => ({ write: (chunk: string) => (write(String(chunk)), true) }) as unknown as NodeJS.WritableStream;
  return {
    io: { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env: { LOG_LEVEL: 'silent', ...env } },
    out: () => stdout,
    err: () => stderr,
  };
}

describe('sql and db on the command line', () => {
  it.each([
    [['db'], {}, 'expects serve, dump or move'],
    [['db', 'frob'], {}, 'unknown action "frob"'],
    [['db', 'dump', '--to', 'postgres://x/y'], {}, '--to does not apply to `db dump`'],
    [['db', 'move'], { DATA_DIR: '/nonexistent-dhs' }, 'expects --to postgres://'],
    [['db', 'move', '--to', 'mysql://x'], { DATA_DIR: '/nonexistent-dhs' }, '--to must be a postgres://'],
    [['db', 'serve', '--port', 'x'], { DATA_DIR: '/nonexistent-dhs' }, '--port must be a port number'],
    [['db', 'serve'], { DATABASE_URL: 'postgres://u:hidden-pw@db.example.com/x' }, 'DATABASE_URL is set (postgres://u@db.example.com/x)'],
    [['sql', '--csv', '--json', 'SELECT 1'], {}, 'choose one of --csv and --json'],
  ])('%j exits 2 naming the problem', async (argv, env, message) => {
    const t = io(env as Record<string, string>);
    expect(await main(argv, t.io)).toBe(2);
    expect(t.err()).toContain(message);
    expect(t.err()).not.toContain('hidden-pw');
  });

  it('SQL_PORT and SQL_HOST are read from the environment and checked', () => {
    expect(loadConfig({ env: { SQL_PORT: '5433', SQL_HOST: '0.0.0.0' } })).toMatchObject({ sqlPort: 5433, sqlHost: '0.0.0.0' });
    const defaults = loadConfig({ env: {} });
    expect(defaults.sqlPort).toBeUndefined();
    expect(defaults.sqlHost).toBe('127.0.0.1');
    expect(() => loadConfig({ env: { SQL_PORT: 'five' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { SQL_PORT: 'five' } })).toThrow('SQL_PORT');
  });
});

describe('describeQueryError', () => {
  it.each([
    {
      name: 'caret under the position on the first line',
      query: 'SELECT nope FROM t',
      error: { message: 'column "nope" does not exist', position: '8', code: '42703' },
      expected: 'ERROR:  column "nope" does not exist\nLINE 1: SELECT nope FROM t\n               ^',
    },
    {
      name: 'position on a later line, counted in characters',
      query: "SELECT 'é',\n  nope",
      error: { message: 'column "nope" does not exist', position: '15', code: '42703' },
      expected: "ERROR:  column \"nope\" does not exist\nLINE 2:   nope\n          ^",
    },
    {
      name: 'no position: message, detail and hint',
      query: 'INSERT INTO t VALUES (1)',
      error: { message: 'duplicate key', code: '23505', detail: 'Key (n)=(1) already exists.', hint: 'x' },
      expected: 'ERROR:  duplicate key\nDETAIL:  Key (n)=(1) already exists.\nHINT:  x',
    },
    {
      name: 'a change in a read-only transaction names --write',
      query: 'DELETE FROM t',
      error: { message: 'cannot execute DELETE in a read-only transaction', code: '25006' },
      expected: 'ERROR:  cannot execute DELETE in a read-only transaction\nQueries run read-only; add --write to allow changes.',
    },
    {
      name: 'two statements',
      query: 'SELECT 1; SELECT 2',
      error: { message: 'cannot insert multiple commands into a prepared statement', code: '42601' },
      expected: 'ERROR:  cannot insert multiple commands into a prepared statement\nRun one statement at a time.',
    },
  ])('$name', ({ query, error, expected }) => {
    expect(describeQueryError(query, error)).toBe(expected);
  });
});

describe('jsonValue', () => {
  it.each([
    [null, 23, null],
    ['42', 23, 42],
    ['9007199254740993', 20, '9007199254740993'],
    ['-5', 20, -5],
    ['1.5', 701, 1.5],
    ['NaN', 701, 'NaN'],
    ['12.50', 1700, '12.50'],
    ['t', 16, true],
    ['f', 16, false],
    ['{"a": [1]}', 3802, { a: [1] }],
    ['{a,"b c",NULL,"q\\"x"}', 1009, ['a', 'b c', null, 'q"x']],
    ['{}', 1009, []],
    ['{{a},{b}}', 1009, '{{a},{b}}'],
    ['2026-01-02 03:04:05.123456+00', 1184, '2026-01-02 03:04:05.123456+00'],
  ])('%s (type %i) → %j', (text, type, expected) => {
    expect(jsonValue(text, type)).toEqual(expected);
  });

  it('parseTextArray refuses what is not an array literal', () => {
    expect(parseTextArray('abc')).toBeUndefined();
  });
});

describe('output formats', () => {
  const result = {
    fields: [
      { name: 'name', typeId: 25 },
      { name: 'pulls', typeId: 20 },
    ],
    rows: [
      ['a,b', '10'],
      ['line\nbreak', null],
      ['"q"', '1234'],
    ],
    command: '',
  };

  it('csv quotes what needs it and leaves NULL empty', () => {
    expect(formatResult(result, 'csv')).toBe('name,pulls\n"a,b",10\n"line\nbreak",\n"""q""",1234\n');
    expect(csvField('')).toBe('""');
  });

  it('json keeps numbers as numbers and NULL as null', () => {
    expect(JSON.parse(formatResult(result, 'json'))).toEqual([
      { name: 'a,b', pulls: 10 },
      { name: 'line\nbreak', pulls: null },
      { name: '"q"', pulls: 1234 },
    ]);
  });

  it('the table aligns columns, numbers to the right, and counts rows', () => {
    expect(formatResult(result, 'table')).toBe(
      ['name         pulls', '-----------  -----', 'a,b             10', 'line\\nbreak', '"q"           1234', '(3 rows)', ''].join('\n'),
    );
  });

  it('a statement without rows prints its command tag', () => {
    expect(formatResult({ fields: [], rows: [], command: 'UPDATE 3' }, 'table')).toBe('UPDATE 3\n');
    expect(formatResult({ fields: [], rows: [], command: 'UPDATE 3' }, 'json')).toBe('{"command":"UPDATE 3"}\n');
  });

  it.each([
    ['UPDATE t SET n = 1', 3, 'UPDATE 3'],
    ['-- note\ninsert into t values (1)', 1, 'INSERT 0 1'],
    ['/* x */ DELETE FROM t', 0, 'DELETE 0'],
    ['create table x (n int)', 0, 'CREATE'],
  ])('commandTag(%j, %i) = %s', (text, affected, expected) => {
    expect(commandTag(text, affected)).toBe(expected);
  });
});

describe('sqlRequest', () => {
  const read = (file: string) => (file === 'q.sql' ? 'SELECT 1' : file === 'empty.sql' ? '  \n' : (() => { throw Object.assign(new Error('x'), { code: 'ENOENT' }); })());
  it.each([
    [{}, ['SELECT 1'], { text: 'SELECT 1', format: 'table', write: false }],
    [{ csv: true, write: true }, ['SELECT 1'], { text: 'SELECT 1', format: 'csv', write: true }],
    [{ json: true, file: 'q.sql' }, [], { text: 'SELECT 1', format: 'json', write: false }],
  ])('%j %j', (values, positionals, expected) => {
    expect(sqlRequest(values, positionals, read)).toEqual(expected);
  });
  it.each([
    [{}, [], 'expects a query'],
    [{ file: 'q.sql' }, ['SELECT 1'], 'not both'],
    [{ file: 'missing.sql' }, [], '--file missing.sql: cannot be read (ENOENT)'],
    [{ file: 'empty.sql' }, [], 'holds no query'],
    [{ csv: true, json: true }, ['SELECT 1'], 'one of --csv and --json'],
  ])('refuses %j %j', (values, positionals, message) => {
    expect(() => sqlRequest(values, positionals, read)).toThrow(UsageError);
    expect(() => sqlRequest(values, positionals, read)).toThrow(message);
  });
});

describe('the SQL port', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.0.0.2', true],
    ['localhost', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['10.1.2.3', false],
  ])('%s is loopback: %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
  it.each([
    ['127.0.0.1', 5433, 'postgres://postgres@127.0.0.1:5433/postgres'],
    ['::1', 5432, 'postgres://postgres@[::1]:5432/postgres'],
    ['0.0.0.0', 5432, 'postgres://postgres@127.0.0.1:5432/postgres'],
  ])('connectionUrl(%s, %i)', (host, port, expected) => {
    expect(connectionUrl(host, port)).toBe(expected);
  });

  it("the demo's last lines show the three ways in with exact commands", () => {
    const text = waysIn('pglite', 'embedded PGlite in data/demo/pglite', 'data/demo');
    expect(text).toContain('DATA_DIR=data/demo npx dockerhub-sync sql "SELECT');
    expect(text).toContain('DATA_DIR=data/demo npx dockerhub-sync db serve --port 5433');
    expect(text).toContain('psql postgres://postgres@127.0.0.1:5433/postgres');
    expect(text).toContain('Grafana');
  });
});
