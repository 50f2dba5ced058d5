import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPlan, renderSummary, runFailed } from '../../../src/writeback/report.js';
import { writebackWorld, type WritebackWorld } from './support.js';

let w: WritebackWorld;
let org: string;

beforeAll(async () => {
  w = await writebackWorld(47);
  org = w.org;
  await w.sync();
  await w.stagingSchema();
});
afterAll(async () => {
  await w?.close();
});

const invitees = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com`);
const pending = () => w.emulator.snapshot({ tags: false }).invites[org]!.map((i) => i.invitee);
const writes = () => w.emulator.requests.writes.map((e) => `${e.method} ${e.path}`);

describe('mirror write-back removes only what a complete source shows gone', () => {
  it('a NULL or empty key is a bad record naming its column, never a record that left the source: nothing is removed in that run', async () => {
    const people = invitees(12, 'keyed');
    await w.sql(`CREATE TABLE staging.keyed (org text, invitee text)`);
    await w.sql(`INSERT INTO staging.keyed VALUES ${people.map((p) => `('${org}', '${p}')`).join(', ')}`);
    const job = { name: 'keyed', source: 'staging.keyed', target: 'org_invites.bulk', mode: 'mirror' };
    expect(await w.push(job)).toMatchObject({ sent: 12, failed: 0 });

    await w.sql(`UPDATE staging.keyed SET invitee = NULL WHERE invitee = '${people[0]}'`);
    await w.sql(`UPDATE staging.keyed SET invitee = '' WHERE invitee = '${people[1]}'`);
    await w.sql(`UPDATE staging.keyed SET invitee = '  ' WHERE invitee = '${people[2]}'`);
    w.emulator.requests.reset();
    const plan = await w.push(job, { plan: true });
    expect(plan.plan!.calls.filter((c) => c.inverse)).toEqual([]);
    expect(renderPlan(plan)).toContain('mirror removes nothing in this run: 3 source record(s) have a NULL or empty key column');

    const run = await w.push(job);
    expect(writes()).toEqual([]);
    expect(run).toMatchObject({ removed: 0, failed: 3, calls: 0 });
    expect(run.failures.map((f) => f.error).sort()).toEqual([
      'key column invitee is NULL (a record is identified by org, invitee)',
      'key column invitee is empty (a record is identified by org, invitee)',
      'key column invitee is empty (a record is identified by org, invitee)',
    ]);
    expect(run.warnings.join('\n')).toContain('mirror removes nothing in this run');
    expect(pending()).toEqual(expect.arrayContaining(people));
    const results = await w.sql<{ error: string }>(`SELECT error FROM dockerhub.writeback_results WHERE job = 'keyed' AND outcome = 'failed'`);
    expect(results.map((r) => r.error).filter((e) => e.includes('key column invitee'))).toHaveLength(3);

    // The keys fixed: the one person really gone from the source is removed.
    await w.sql(`UPDATE staging.keyed SET invitee = '${people[0]}' WHERE invitee IS NULL`);
    await w.sql(`UPDATE staging.keyed SET invitee = '${people[1]}' WHERE invitee = ''`);
    await w.sql(`DELETE FROM staging.keyed WHERE invitee = '  '`);
    w.emulator.requests.reset();
    expect(await w.push(job)).toMatchObject({ removed: 1, failed: 0 });
    expect(writes()).toHaveLength(1);
    expect(writes()[0]).toMatch(/^DELETE \/v2\/invites\//);
    expect(pending()).not.toContain(people[2]);
  });

  it('a run that would remove more than maxRemove sends nothing at all and names the flag that allows it', async () => {
    const people = invitees(12, 'many');
    await w.sql(`CREATE TABLE staging.many (org text, invitee text)`);
    await w.sql(`INSERT INTO staging.many VALUES ${people.map((p) => `('${org}', '${p}')`).join(', ')}`);
    const job = { name: 'many', source: 'staging.many', target: 'org_invites.bulk', mode: 'mirror' };
    expect(await w.push(job)).toMatchObject({ sent: 12 });

    // 3 of 12 leave (default limit: 10% of 12 = 1), and a new person arrives: not even the new invite is sent.
    await w.sql(`DELETE FROM staging.many WHERE invitee IN ('${people[0]}', '${people[1]}', '${people[2]}')`);
    await w.sql(`INSERT INTO staging.many VALUES ('${org}', 'newcomer@example.com')`);
    w.emulator.requests.reset();
    const plan = await w.push(job, { plan: true });
    expect(renderPlan(plan)).toContain('refused: mirror would remove 3 record(s) that left the source, more than this run may (maxRemove defaults to 1 (10% of the 12 record(s) the job manages, at least 1))');
    const refused = await w.push(job);
    expect(writes()).toEqual([]);
    expect(refused.refused).toContain('run `dockerhub-sync push many --allow-removals 3`');
    expect(runFailed(refused)).toBe(true);
    expect(renderSummary(refused)).toMatch(/^many: not run: mirror would remove 3 record\(s\)/);
    expect(pending()).toEqual(expect.arrayContaining(people));
    expect(pending()).not.toContain('newcomer@example.com');

    // Fewer than asked for is not enough: 2 allowed, 3 to go.
    expect((await w.push(job, { allowRemovals: 2 })).refused).toContain('--allow-removals 2');
    expect(writes()).toEqual([]);

    const allowed = await w.push(job, { allowRemovals: 3 });
    expect(allowed).toMatchObject({ removed: 3, sent: 1, failed: 0 });
    expect(pending()).not.toContain(people[0]);
    expect(pending()).toContain('newcomer@example.com');

    // The job's own maxRemove: 2 may go without the flag, 3 may not.
    await w.sql(`DELETE FROM staging.many WHERE invitee IN ('${people[3]}', '${people[4]}')`);
    w.emulator.requests.reset();
    expect(await w.push({ ...job, maxRemove: 2 })).toMatchObject({ removed: 2 });
    await w.sql(`DELETE FROM staging.many WHERE invitee IN ('${people[5]}', '${people[6]}', '${people[7]}')`);
    w.emulator.requests.reset();
    const over = await w.push({ ...job, maxRemove: 2 });
    expect(over.refused).toContain('maxRemove is 2');
    expect(writes()).toEqual([]);
  });

  it('applies to every mirror target: a team membership whose member is NULL is kept', async () => {
    const teams = w.emulator.snapshot({ tags: false }).teams[org]!;
    const team = teams[0]!.name;
    const member = w.emulator.credentials.member.username;
    await w.sql(`CREATE TABLE staging.team_adds (org text, team text, member text)`);
    await w.sql(`INSERT INTO staging.team_adds VALUES ('${org}', '${team}', '${member}')`);
    const job = { name: 'team_adds', source: 'staging.team_adds', target: 'team_members.add', mode: 'mirror' };
    const first = await w.push(job);
    expect(first.failed, JSON.stringify(first.failures)).toBe(0);
    await w.sql(`UPDATE staging.team_adds SET member = NULL`);
    w.emulator.requests.reset();
    const run = await w.push(job);
    expect(writes()).toEqual([]);
    expect(run.failures.map((f) => f.error)).toEqual(['key column member is NULL (a record is identified by org, team, member)']);
  });
});
