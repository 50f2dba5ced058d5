import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { writebackWorld, type WritebackWorld } from './support.js';

// A value placed in a path is one segment: `..` in a member column must not turn
// DELETE /v2/orgs/{org}/groups/{team}/members/{member} into DELETE /v2/orgs/{org}/groups/{team}.
// And a header made from a record is checked like one written in the config.

let w: WritebackWorld;
let org: string;
let team: string;

beforeAll(async () => {
  w = await writebackWorld(43);
  org = w.org;
  await w.sync();
  team = w.emulator.snapshot({ tags: false }).teams[org]![0]!.name;
  await w.stagingSchema();
});
afterAll(async () => {
  await w?.close();
});

const teamsOf = () => w.emulator.snapshot({ tags: false }).teams[org]!.map((t) => t.name).sort();
const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

describe('a value that would change which resource a call hits', () => {
  it('team_members.remove with member "..", ".", "" and their look-alikes fails naming the column; no team is deleted, nothing is sent', async () => {
    const before = teamsOf();
    // As SQL expressions: Postgres text cannot hold NUL, so a control character is chr(1).
    const members = [`'..'`, `'.'`, `''`, `'a/../..'`, `'..\\..'`, `'%2e%2e'`, `'.%2E'`, `'\uFF0E\uFF0E'`, `'\u2024\u2024'`, `'x' || chr(1) || 'y'`, `E'x\\ny'`];
    await w.sql(`CREATE TABLE staging.removals (org text, team text, member text)`);
    for (const member of members) await w.sql(`INSERT INTO staging.removals VALUES (${quote(org)}, ${quote(team)}, ${member})`);
    const source = 'staging.removals';
    w.emulator.requests.reset();
    const run = await w.push({ name: 'removals', source, target: 'team_members.remove' });
    expect(teamsOf()).toEqual(before);
    expect(w.emulator.requests.writes.map((e) => `${e.method} ${e.path} → ${e.status}`)).toEqual([]);
    expect(w.emulator.requests.total).toBe(0);
    expect(run).toMatchObject({ calls: 0, sent: 0, unknown: 0, failed: members.length });
    // Each names the column: an empty value is refused first as an empty key, the others as path segments.
    for (const failure of run.failures) expect(failure.error).toMatch(/\{member\}|key column member is empty/);
    expect(run.failures.map((f) => f.error).join('\n')).toMatch(/is not a usable path segment/);
    const outcomes = await w.sql<{ outcome: string; n: number }>(`SELECT outcome, count(*)::int AS n FROM dockerhub.writeback_results WHERE job = 'removals' GROUP BY 1`);
    expect(outcomes).toEqual([{ outcome: 'failed', n: members.length }]);
  });

  it('a value with "/" or "%2F" stays one segment: sent percent-encoded, it names no other resource', async () => {
    const before = teamsOf();
    await w.sql(`CREATE TABLE staging.odd (org text, team text, member text)`);
    await w.sql(`INSERT INTO staging.odd VALUES (${quote(org)}, ${quote(team)}, '%2F..%2F'), (${quote(org)}, ${quote(team)}, 'a/b')`);
    w.emulator.requests.reset();
    const run = await w.push({ name: 'odd', source: 'staging.odd', target: 'team_members.remove' });
    expect(run.unknown).toBe(0);
    expect(w.emulator.requests.writes.map((e) => `${e.method} ${e.route} ${e.path}`).sort()).toEqual(
      [`/v2/orgs/${org}/groups/${team}/members/%252F..%252F`, `/v2/orgs/${org}/groups/${team}/members/a%2Fb`].map((path) => `DELETE groups.members.remove ${path}`).sort(),
    );
    expect(teamsOf()).toEqual(before);
  });

  it('a custom target whose {team} is "." fails naming the column, and nothing is sent', async () => {
    await w.sql(`CREATE TABLE staging.dot (org text, team text)`);
    await w.sql(`INSERT INTO staging.dot VALUES (${quote(org)}, '.')`);
    w.emulator.requests.reset();
    const run = await w.push({ name: 'dot', source: 'staging.dot', key: ['org', 'team'], target: { method: 'DELETE', path: '/v2/orgs/{org}/groups/{team}/members/zz' } });
    expect(w.emulator.requests.writes.map((e) => `${e.method} ${e.path} → ${e.status}`)).toEqual([]);
    expect(w.emulator.requests.total).toBe(0);
    expect(run).toMatchObject({ calls: 0, failed: 1, unknown: 0 });
    expect(run.failures[0]!.error).toMatch(/\{team\}/);
  });
});

describe('headers of a write-back job', () => {
  it('a templated header value with CR/LF fails that record clearly (failed, not unknown); the other record is sent', async () => {
    await w.sql(`CREATE TABLE staging.noted (org text, name text, note text)`);
    await w.sql(`INSERT INTO staging.noted VALUES (${quote(org)}, 'hdr-bad', E'ok\\r\\nX-Injected: 1'), (${quote(org)}, 'hdr-good', 'fine')`);
    w.emulator.requests.reset();
    const run = await w.push({ name: 'noted', source: 'select org, name, note from staging.noted', target: 'teams.create', headers: { 'X-Note': '{note}' } });
    expect(run).toMatchObject({ calls: 1, sent: 1, failed: 1, unknown: 0 });
    expect(run.failures[0]!.error).toMatch(/header X-Note.*control character/);
    expect(w.emulator.requests.writes.map((e) => (e.body as { name: string }).name)).toEqual(['hdr-good']);
    const [row] = await w.sql<{ outcome: string }>(`SELECT outcome FROM dockerhub.writeback_results WHERE job = 'noted' AND record_key LIKE '%hdr-bad%'`);
    expect(row).toEqual({ outcome: 'failed' });
  });

  it('Authorization, Cookie and Host are refused at load in any case, with every problem listed at once', () => {
    const job = (headers: Record<string, string>, name: string) => ({ name, source: 'staging.noted', target: 'teams.create', headers });
    const load = () =>
      loadConfig({
        env: { DOCKERHUB_API_URL: w.emulator.url, LOG_LEVEL: 'silent' },
        overrides: {
          writeback: [
            job({ Authorization: 'Basic eDp5' }, 'a'),
            job({ AUTHORIZATION: 'Bearer x' }, 'b'),
            job({ cookie: 'session=1' }, 'c'),
            job({ Host: 'elsewhere' }, 'd'),
            job({ 'X-Ok': 'line\r\nX-Injected: 1' }, 'e'),
            job({ 'Bad Name': 'x' }, 'f'),
          ],
        },
      });
    expect(load).toThrow(/writeback\[0\]\.headers\.Authorization/);
    let message = '';
    try {
      load();
    } catch (error) {
      message = (error as Error).message;
    }
    for (const at of ['writeback[0].headers.Authorization', 'writeback[1].headers.AUTHORIZATION', 'writeback[2].headers.cookie', 'writeback[3].headers.Host', 'writeback[4].headers.X-Ok', 'writeback[5].headers.Bad Name']) {
      expect(message).toContain(at);
    }
    expect(message).not.toContain('eDp5');
  });
});
