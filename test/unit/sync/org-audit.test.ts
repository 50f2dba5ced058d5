import { describe, expect, it } from 'vitest';
import { listingsOfAction, touchesListing } from '../../../src/endpoints/org-audit.js';

// Which organization listings an audit event makes due (src/endpoints/org-audit.ts).
describe('organization listings an audit action touches', () => {
  it('a custom role renamed or deleted re-reads members and teams, whose roles can name it', () => {
    expect(listingsOfAction('org.customrole.update')).toEqual(expect.arrayContaining(['org_members', 'teams']));
    expect(listingsOfAction('org.customrole.delete')).toEqual(expect.arrayContaining(['org_members', 'teams']));
    expect(listingsOfAction('org.customrole.create')).toEqual(['org_members']);
  });

  it('quiet groups touch nothing, an unknown action everything', () => {
    expect(listingsOfAction('repo.tag.push')).toEqual([]);
    expect(listingsOfAction('org.something.new')).toHaveLength(7);
  });

  it('a team member event touches only that team’s members', () => {
    const touches = touchesListing('team_members');
    const event = { action: 'org.team.member.add', data: { team: 'qa' } } as never;
    expect(touches(event, { org: 'acme', team: 'qa' } as never)).toBe(true);
    expect(touches(event, { org: 'acme', team: 'ops' } as never)).toBe(false);
  });
});
