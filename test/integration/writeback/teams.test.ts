import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writebackWorld, type WritebackWorld } from './support.js';

let w: WritebackWorld;
beforeAll(async () => {
  w = await writebackWorld();
  await w.sync();
  await w.stagingSchema();
});
afterAll(async () => {
  await w?.close();
});

describe('team and member templates', () => {
  it('creates teams, adds members, a second run sends nothing, a sync shows the change', async () => {
    const org = w.org;
    const members = w.emulator.snapshot({ tags: false }).members[org]!.map((m) => m.username);
    await w.sql(`CREATE TABLE staging.teams (org text, name text, description text)`);
    await w.sql(`INSERT INTO staging.teams VALUES ('${org}', 'wb-alpha', 'Alpha'), ('${org}', 'wb-beta', NULL)`);
    w.emulator.requests.reset();
    const created = await w.push({ name: 'make_teams', source: 'staging.teams', target: 'teams.create' });
    expect(created).toMatchObject({ calls: 2, sent: 2, failed: 0, unknown: 0 });
    expect(w.emulator.requests.writes.map((e) => e.route)).toEqual(['groups.create', 'groups.create']);

    await w.sql(`CREATE TABLE staging.team_adds (org text, team text, member text)`);
    await w.sql(`INSERT INTO staging.team_adds VALUES ('${org}', 'wb-alpha', '${members[0]}'), ('${org}', 'wb-alpha', '${members[1]}'), ('${org}', 'wb-beta', '${members[0]}')`);
    const added = await w.push({ name: 'adds', source: 'select * from staging.team_adds', target: 'team_members.add', mode: 'mirror' });
    expect(added).toMatchObject({ calls: 3, sent: 3, failed: 0 });

    w.emulator.requests.reset();
    const again = await w.push({ name: 'adds', source: 'select * from staging.team_adds', target: 'team_members.add', mode: 'mirror' });
    expect(again).toMatchObject({ calls: 0, unchanged: 3 });
    expect(w.emulator.requests.writes).toHaveLength(0);

    await w.sync();
    const rows = await w.sql<{ team: string; username: string }>(`SELECT team, username FROM dockerhub.team_members WHERE org = '${org}' AND team LIKE 'wb-%' AND deleted_at IS NULL ORDER BY 1, 2`);
    expect(rows).toEqual([
      { team: 'wb-alpha', username: [members[0], members[1]].sort()[0] },
      { team: 'wb-alpha', username: [members[0], members[1]].sort()[1] },
      { team: 'wb-beta', username: members[0] },
    ]);

    // Mirror: exactly the record that left the source is undone.
    await w.sql(`DELETE FROM staging.team_adds WHERE team = 'wb-alpha' AND member = '${members[1]}'`);
    w.emulator.requests.reset();
    const mirrored = await w.push({ name: 'adds', source: 'select * from staging.team_adds', target: 'team_members.add', mode: 'mirror' });
    expect(mirrored).toMatchObject({ calls: 1, removed: 1, unchanged: 2 });
    expect(w.emulator.requests.writes.map((e) => `${e.method} ${e.path}`)).toEqual([`DELETE /v2/orgs/${org}/groups/wb-alpha/members/${members[1]}`]);
    await w.sync();
    const after = await w.sql<{ n: number }>(`SELECT count(*)::int AS n FROM dockerhub.team_members WHERE org = '${org}' AND team LIKE 'wb-%' AND deleted_at IS NULL`);
    expect(after[0]!.n).toBe(2);
  });
});
