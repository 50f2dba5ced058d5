import type { AuditEvent, AuditTouches } from '../sync/audit-follow.js';

/**
 * Which organization listings each audit action touches: when an event with the action is stored,
 * those listings are read at the organization job's next tick (sync/audit-follow.ts). Actions are
 * `<group>.<name>` as the audit log spells them (spec 2-beta's action catalogue, the emulator's
 * events). An action not in this table, of a group not known to touch nothing, makes every
 * listing of the organization due: a conservative read.
 */
export type OrgListing = 'org_members' | 'teams' | 'team_members' | 'org_settings' | 'org_access_tokens' | 'org_invites' | 'scim_users';

export const ORG_LISTINGS: readonly OrgListing[] = ['org_members', 'teams', 'team_members', 'org_settings', 'org_access_tokens', 'org_invites', 'scim_users'];

const ALL = ORG_LISTINGS;
const NONE: readonly OrgListing[] = [];

/** Action → the listings it touches. `team_members` of an event naming a team: only that team's. */
export const ORG_AUDIT_ACTIONS: Readonly<Record<string, readonly OrgListing[]>> = {
  'org.create': ALL,
  // A member added or removed (SSO just-in-time, SCIM, an accepted invite) shows on the members,
  // in the pending invites and among SCIM users (team memberships have events of their own).
  'org.member.add': ['org_members', 'org_invites', 'scim_users'],
  'org.member.remove': ['org_members', 'org_invites', 'scim_users'],
  'org.member.role.change': ['org_members'],
  // The members listing shows invitees too.
  'org.member.invite.send': ['org_invites', 'org_members'],
  'org.team.create': ['teams'],
  'org.team.update': ['teams'],
  'org.team.delete': ['teams'],
  'org.team.member.add': ['teams', 'team_members'],
  'org.team.member.remove': ['teams', 'team_members'],
  'org.team.member.invite': ['org_invites', 'org_members'],
  'org.settings.update': ['org_settings'],
  'org.registry_access.enabled': ['org_settings'],
  'org.registry_access.disabled': ['org_settings'],
  'org.registry_access.registry_added': ['org_settings'],
  'org.registry_access.registry_updated': ['org_settings'],
  'org.registry_access.registry_removed': ['org_settings'],
  'org.access_token.create': ['org_access_tokens'],
  'org.access_token.update': ['org_access_tokens'],
  'org.access_token.delete': ['org_access_tokens'],
  // Verified domains, custom roles and security policies are not stored.
  'org.domain.create': NONE,
  'org.domain.verify': NONE,
  'org.domain.delete': NONE,
  // A member's or a team's role can be a custom role's name (spec c95ded2): renaming or deleting
  // one changes what both listings show.
  'org.customrole.create': ['org_members'],
  'org.customrole.update': ['org_members', 'teams'],
  'org.customrole.delete': ['org_members', 'teams'],
  // Admin settings policies and SSO: settings, and who is provisioned.
  'enterprise.setting.policy.create': ['org_settings'],
  'enterprise.setting.policy.update': ['org_settings'],
  'enterprise.setting.policy.delete': ['org_settings'],
  'enterprise.setting.policy.transfer': ['org_settings'],
  'enterprise.sso.connection.create': ['scim_users', 'org_members'],
  'enterprise.sso.connection.update': ['scim_users', 'org_members'],
  'enterprise.sso.connection.delete': ['scim_users', 'org_members'],
  'enterprise.sso.connection.enforcement_toggle': ['org_settings'],
  'enterprise.sso.connection.scim_toggle': ['scim_users'],
  'enterprise.sso.connection.scim_token_refresh': NONE,
  'enterprise.sso.connection.connection_type_change': ['scim_users', 'org_members'],
  'enterprise.sso.connection.jit_toggle': ['org_settings'],
  // A plan change can make settings (registry access management) available or not.
  'billing.plan.upgrade': ['org_settings'],
  'billing.plan.downgrade': ['org_settings'],
  'billing.plan.product_change': ['org_settings'],
};

/** Groups whose actions touch no organization listing unless the table says otherwise. */
const QUIET_GROUPS = ['repo.', 'billing.', 'offload.', 'oidc.', 'org.securepolicy'];

/** The listings an action touches (an unknown action: all of them). */
export function listingsOfAction(action: string): readonly OrgListing[] {
  const known = ORG_AUDIT_ACTIONS[action];
  if (known) return known;
  if (QUIET_GROUPS.some((group) => action.startsWith(group))) return NONE;
  return ALL;
}

/** The event's team, when it names one (team events and invites to a team). */
function teamOf(event: AuditEvent): string | undefined {
  const team = event.data.team;
  return typeof team === 'string' && team !== '' ? team : undefined;
}

/** `touches` of an organization listing: the action touches it (team members: of that team, when the event names one). */
export function touchesListing(listing: OrgListing): AuditTouches {
  return (event, params) => {
    if (!listingsOfAction(event.action).includes(listing)) return false;
    if (listing !== 'team_members' || params.team === undefined) return true;
    const team = teamOf(event);
    return team === undefined || team === params.team;
  };
}
