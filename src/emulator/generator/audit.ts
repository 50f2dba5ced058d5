// Audit events, like tags, are produced on demand: event `i` of an account (0 = newest) is a pure
// function of (seed, account, i) and event times fall strictly with `i`, so a from/to window is a
// binary search and a page is O(page_size). The catalogue follows the spec's "2-beta" example;
// an event's `action` is `<group>.<name>` (the spec's example event is `repo.tag.push`).

import { DAY, hubTime, sha256Digest, visibleMs } from '../format.js';
import type { AuditActionsResponse, AuditLogEvent } from '../model.js';
import { type Prng, prngFor } from '../prng.js';

const A = (name: string, label: string, description: string) => ({ name, label, description });

const CATALOGUE: AuditActionsResponse['actions'] = {
  billing: {
    label: 'Billing',
    actions: [
      A('plan.upgrade', 'Plan Upgraded', 'Occurs when your organization’s billing plan is upgraded to a higher tier plan.'),
      A('plan.downgrade', 'Plan Downgraded', 'Occurs when your organization’s billing plan is downgraded to a lower tier plan.'),
      A('plan.seat_add', 'Seat Added', 'Occurs when a seat is added to your organization’s billing plan.'),
      A('plan.seat_remove', 'Seat Removed', 'Occurs when a seat is removed from your organization’s billing plan.'),
    ],
  },
  enterprise: {
    label: 'Enterprise',
    actions: [
      A('setting.policy.create', 'Policy created', 'Details of adding an admin settings policy'),
      A('setting.policy.update', 'Policy updated', 'Details of updating an admin settings policy'),
      A('sso.connection.update', 'Update SSO Connection', 'Details of updating an existing org/company SSO connection'),
    ],
  },
  offload: {
    label: 'Offload',
    actions: [
      A('lease.start', 'Offload lease start', 'Details of the started Offload lease.'),
      A('lease.end', 'Offload lease end', 'Details of the ended Offload lease.'),
    ],
  },
  oidc: {
    label: 'OIDC',
    actions: [
      A('connection.create', 'OIDC connection created', 'Details of creating an OIDC connection.'),
      A('connection.delete', 'OIDC connection deleted', 'Details of deleting an OIDC connection.'),
    ],
  },
  org: {
    label: 'Organization',
    actions: [
      A('create', 'Organization Created', 'Activities related to the creation of a new organization'),
      A('member.add', 'Organization Member Added', 'Details of the member added to your organization'),
      A('member.remove', 'Organization Member Removed', 'Details about the member removed from your organization'),
      A('member.role.change', 'Member Role Changed', 'Details about the role changed for a member in your organization'),
      A('member.invite.send', 'Org Member Invited', 'Details of the member invited to your organization'),
      A('team.create', 'Team Created', 'Activities related to the creation of a team'),
      A('team.update', 'Team Updated', 'Activities related to the modification of a team'),
      A('team.delete', 'Team Deleted', 'Activities related to the deletion of a team'),
      A('team.member.add', 'Team Member Added', 'Details of the member added to your team'),
      A('team.member.remove', 'Team Member Removed', 'Details of the member removed from your team'),
      A('settings.update', 'Organization Settings Updated', 'Details related to the organization setting that was updated'),
      A('registry_access.enabled', 'Registry Access Management enabled', 'Activities related to enabling Registry Access Management'),
      A('access_token.create', 'Access token created', 'Access token created in organization'),
      A('access_token.update', 'Access token updated', 'Access token updated in organization'),
      A('access_token.delete', 'Access token deleted', 'Access token deleted in organization'),
    ],
  },
  repo: {
    label: 'Repository',
    actions: [
      A('create', 'Repository Created', 'Activities related to the creation of a new repository'),
      A('update', 'Repository Updated', 'Activities related to the modification of a repository'),
      A('delete', 'Repository Deleted', 'Activities related to the deletion of a repository'),
      A('change_privacy', 'Privacy Changed', 'Details related to the privacy policies that were updated'),
      A('category.updated', 'Categories updated', 'Details related to updating a repository categories'),
      A('immutable.tags.updated', 'Tag immutability updated', 'Details related to updating tag immutability of a repository'),
      A('tag.push', 'Tag Pushed', 'Activities related to the tags pushed'),
      A('tag.delete', 'Tag Deleted', 'Activities related to the tags deleted'),
    ],
  },
};

/** Organizations see every group; a personal account only has repository events. */
export function auditActions(isOrg: boolean): AuditActionsResponse {
  const groups = isOrg ? CATALOGUE : { repo: CATALOGUE.repo };
  return structuredClone({ actions: groups }) as AuditActionsResponse;
}

/** What the generator may mention in an account's events (names frozen at generation). */
export interface AuditContext {
  account: string;
  isOrg: boolean;
  count: number;
  newestMs: number;
  gapMs: number;
  repositories: string[];
  /** Org members (or the user himself): actors and subjects of member events. */
  people: string[];
  owners: string[];
  teams: string[];
}

export function auditContext(input: Omit<AuditContext, 'newestMs' | 'gapMs'>, epochMs: number): AuditContext {
  const spanMs = 182 * DAY;
  const count = Math.max(input.count, 1);
  return { ...input, newestMs: epochMs - 3 * 60 * 1000, gapMs: Math.max(60_000, Math.floor(spanMs / count)) };
}

function fractionalFor(seedKey: string, account: string, index: number): boolean {
  return prngFor(seedKey, 'audit-frac', account, index).chance(0.5);
}

/** The timestamp a client sees for generated event `index` (strictly newer for smaller indexes). */
export function auditEventMs(seedKey: string, ctx: AuditContext, index: number): number {
  const jitter = index === 0 ? 0 : prngFor(seedKey, 'audit-time', ctx.account, index).next() * 0.9;
  const raw = ctx.newestMs - Math.floor((index + jitter) * ctx.gapMs);
  return visibleMs(raw, fractionalFor(seedKey, ctx.account, index));
}

const ORG_WEIGHTS: readonly (readonly [string, number])[] = [
  ['repo.tag.push', 40], ['repo.tag.delete', 7], ['repo.create', 6], ['repo.update', 5], ['repo.change_privacy', 3],
  ['repo.delete', 2], ['repo.category.updated', 2], ['repo.immutable.tags.updated', 1],
  ['org.member.add', 5], ['org.member.remove', 2], ['org.member.role.change', 3], ['org.member.invite.send', 4],
  ['org.team.create', 2], ['org.team.update', 1], ['org.team.delete', 1], ['org.team.member.add', 6],
  ['org.team.member.remove', 2], ['org.settings.update', 1], ['org.access_token.create', 2],
  ['org.access_token.update', 1], ['org.access_token.delete', 1], ['billing.plan.seat_add', 1],
];
const USER_WEIGHTS: readonly (readonly [string, number])[] = [
  ['repo.tag.push', 60], ['repo.tag.delete', 8], ['repo.create', 6], ['repo.update', 6], ['repo.change_privacy', 3],
  ['repo.delete', 2], ['repo.category.updated', 1],
];

/** Event body for an action; shared by generated events and events the state appends at runtime. */
export function describeEvent(
  action: string,
  account: string,
  subject: { repository?: string; tag?: string; digest?: string; username?: string; team?: string; role?: string; previousRole?: string; label?: string; privacy?: string; invitee?: string },
): { name: string; data: Record<string, string>; description: string } {
  const repo = `${account}/${subject.repository ?? 'unknown'}`;
  const user = subject.username ?? 'unknown';
  const team = subject.team ?? 'unknown';
  switch (action) {
    case 'repo.tag.push': {
      const digest = subject.digest ?? 'sha256:0';
      const tag = subject.tag ?? 'latest';
      return { name: repo, data: { digest, tag }, description: `pushed the tag ${tag} with the digest ${digest.slice(0, 20)} to the repository ${repo}\n` };
    }
    case 'repo.tag.delete':
      return { name: repo, data: { tag: subject.tag ?? 'latest' }, description: `deleted the tag ${subject.tag ?? 'latest'} from the repository ${repo}\n` };
    case 'repo.create':
      return { name: repo, data: {}, description: `created the repository ${repo}\n` };
    case 'repo.update':
      return { name: repo, data: { field: 'description' }, description: `updated the description of the repository ${repo}\n` };
    case 'repo.delete':
      return { name: repo, data: {}, description: `deleted the repository ${repo}\n` };
    case 'repo.change_privacy': {
      const privacy = subject.privacy ?? 'private';
      return { name: repo, data: { privacy }, description: `changed the privacy of the repository ${repo} to ${privacy}\n` };
    }
    case 'repo.category.updated':
      return { name: repo, data: {}, description: `updated the categories of the repository ${repo}\n` };
    case 'repo.immutable.tags.updated':
      return { name: repo, data: {}, description: `updated tag immutability of the repository ${repo}\n` };
    case 'org.member.add':
      return { name: account, data: { username: user }, description: `added ${user} to the organization ${account}\n` };
    case 'org.member.remove':
      return { name: account, data: { username: user }, description: `removed ${user} from the organization ${account}\n` };
    case 'org.member.role.change':
      return {
        name: account,
        data: { username: user, role: subject.role ?? 'member', previous_role: subject.previousRole ?? 'member' },
        description: `changed the role of ${user} from ${subject.previousRole ?? 'member'} to ${subject.role ?? 'member'} in the organization ${account}\n`,
      };
    case 'org.member.invite.send':
      return {
        name: account,
        data: { invitee: subject.invitee ?? user, team, role: subject.role ?? 'member' },
        description: `invited ${subject.invitee ?? user} to the organization ${account}\n`,
      };
    case 'org.team.create':
    case 'org.team.update':
    case 'org.team.delete': {
      const verb = action === 'org.team.create' ? 'created' : action === 'org.team.update' ? 'updated' : 'deleted';
      return { name: account, data: { team }, description: `${verb} the team ${team} in the organization ${account}\n` };
    }
    case 'org.team.member.add':
      return { name: user, data: { team, username: user }, description: `added ${user} to the team ${team}\n` };
    case 'org.team.member.remove':
      return { name: user, data: { team, username: user }, description: `removed ${user} from the team ${team}\n` };
    case 'org.settings.update':
      return { name: account, data: { setting: 'restricted_images' }, description: `updated the settings of the organization ${account}\n` };
    case 'org.access_token.create':
    case 'org.access_token.update':
    case 'org.access_token.delete': {
      const verb = action.endsWith('create') ? 'created' : action.endsWith('update') ? 'updated' : 'deleted';
      const label = subject.label ?? 'token';
      return { name: account, data: { label }, description: `${verb} the access token ${label} in the organization ${account}\n` };
    }
    default:
      return { name: account, data: {}, description: `${action} in ${account}\n` };
  }
}

function subjectFor(rng: Prng, ctx: AuditContext, action: string) {
  const pickOr = (list: string[], fallback: string) => (list.length > 0 ? rng.pick(list) : fallback);
  return {
    repository: pickOr(ctx.repositories, 'app'),
    tag: rng.chance(0.3) ? 'latest' : `${rng.int(0, 4)}.${rng.int(0, 20)}.${rng.int(0, 9)}`,
    digest: sha256Digest(rng),
    username: pickOr(ctx.people, ctx.account),
    team: pickOr(ctx.teams, 'developers'),
    role: rng.pick(['owner', 'editor', 'member']),
    previousRole: rng.pick(['editor', 'member']),
    label: rng.pick(['ci-pipeline', 'terraform', 'backup-job', 'github-actions']),
    privacy: rng.pick(['private', 'public']),
    invitee: action === 'org.member.invite.send' ? `${rng.pick(['dev', 'ops', 'new.hire', 'contractor'])}${rng.int(1, 999)}@example.com` : undefined,
  };
}

/** A plausible event for the account, drawn from `rng` (generated history and appended events alike). */
export function randomAuditEvent(rng: Prng, ctx: AuditContext, timestamp: string): AuditLogEvent {
  const action = rng.weighted(ctx.isOrg ? ORG_WEIGHTS : USER_WEIGHTS);
  const actor = action.startsWith('org.') ? (ctx.owners.length > 0 ? rng.pick(ctx.owners) : ctx.account) : ctx.people.length > 0 ? rng.pick(ctx.people) : ctx.account;
  const body = describeEvent(action, ctx.account, subjectFor(rng, ctx, action));
  return { account: ctx.account, action, name: body.name, actor, data: body.data, timestamp, action_description: body.description };
}

export function generateAuditEvent(seedKey: string, ctx: AuditContext, index: number): AuditLogEvent {
  const timestamp = hubTime(auditEventMs(seedKey, ctx, index), fractionalFor(seedKey, ctx.account, index));
  return randomAuditEvent(prngFor(seedKey, 'audit', ctx.account, index), ctx, timestamp);
}
