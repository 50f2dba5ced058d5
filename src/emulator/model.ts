// Two kinds of types: the API shapes the emulator answers with (snake_case, as Docker Hub sends
// them; see docs/hub-quirks.md for where they differ from the spec) and the internal records the
// generator and the state keep (camelCase, times in epoch milliseconds).

// ---------------------------------------------------------------- API shapes

export interface Category {
  name: string;
  slug: string;
}

export interface RepositoryListEntry {
  name: string;
  namespace: string;
  repository_type: string | null;
  status: number;
  status_description: string;
  description: string;
  is_private: boolean;
  star_count: number;
  pull_count: number;
  last_updated: string | null;
  last_modified: string | null;
  date_registered: string;
  affiliation: string;
  media_types: (string | null)[];
  content_types: string[];
  categories: Category[];
  storage_size: number;
}

export interface RepositoryPermissions {
  read: boolean;
  write: boolean;
  admin: boolean;
}

export interface RepositoryInfo {
  user: string;
  name: string;
  namespace: string;
  repository_type: string | null;
  status: number;
  status_description: string;
  description: string;
  is_private: boolean;
  is_automated: boolean;
  star_count: number;
  pull_count: number;
  last_updated: string;
  last_modified: string | null;
  date_registered: string;
  collaborator_count: number;
  affiliation: string | null;
  hub_user: string | null;
  has_starred: boolean;
  full_description: string | null;
  permissions: RepositoryPermissions;
  media_types: (string | null)[];
  content_types: string[];
  categories: Category[];
  immutable_tags_settings: { enabled: boolean; rules: string[] };
  storage_size: number | null;
}

export interface TagLayer {
  digest: string | null;
  size: number;
  instruction: string;
}

export interface TagImage {
  architecture: string;
  features: string;
  variant: string | null;
  digest: string | null;
  os: string;
  os_features: string;
  os_version: string | null;
  size: number;
  status: 'active' | 'inactive';
  last_pulled: string | null;
  last_pushed: string | null;
  layers: TagLayer[];
}

export interface Tag {
  creator: number;
  id: number;
  images: TagImage[];
  last_updated: string | null;
  last_updater: number;
  last_updater_username: string;
  name: string;
  repository: number;
  full_size: number;
  v2: boolean;
  tag_status: 'active' | 'inactive';
  tag_last_pulled: string | null;
  tag_last_pushed: string | null;
  media_type: string;
  content_type: string;
  digest: string;
}

export interface AuditLogEvent {
  account: string;
  action: string;
  name: string;
  actor: string;
  data: Record<string, string>;
  timestamp: string;
  action_description: string;
}

export interface AuditAction {
  name: string;
  description: string;
  label: string;
}

export interface AuditActionsResponse {
  actions: Record<string, { label: string; actions: AuditAction[] }>;
}

export interface HubUser {
  id: string;
  company: string;
  date_joined: string;
  full_name: string;
  gravatar_email: string;
  gravatar_url: string;
  location: string;
  profile_url: string;
  type: 'User' | 'Org';
  username: string;
}

export interface OrgMember extends HubUser {
  email: string;
  /** Owner, Editor, Member, Invitee, or the name of a custom role (spec c95ded2). */
  role: 'Owner' | 'Editor' | 'Member' | 'Invitee' | (string & {});
  groups: string[];
  is_guest: boolean;
  primary_email: string;
  last_logged_in_at?: string;
  last_seen_at?: string;
  last_desktop_version?: string;
}

export interface OrgGroup {
  id: number;
  uuid: string;
  name: string;
  description: string;
  member_count: number;
  /** A core role (owner, editor, member) or a custom role's name (spec c95ded2). */
  role: string;
}

export interface GroupMember extends HubUser {
  email: string;
}

export interface OrgSettings {
  restricted_images: {
    enabled: boolean;
    allow_official_images: boolean;
    allow_verified_publishers: boolean;
  };
}

export interface RegistryAccessManagement {
  enabled: boolean;
  registries: { id: string; address: string; friendly_name: string; created_at: string }[];
}

export interface AccessToken {
  uuid: string;
  client_id: string;
  creator_ip: string;
  creator_ua: string;
  created_at: string;
  last_used: string | null;
  generated_by: string;
  is_active: boolean;
  token: string;
  token_label: string;
  scopes: string[];
  /** Absent for a token that never expires: spec c95ded2 types it a date-time, not nullable, not required. */
  expires_at?: string;
}

export interface OrgAccessTokenResource {
  type: 'TYPE_REPO' | 'TYPE_ORG';
  path: string;
  scopes: string[];
}

export interface OrgAccessToken {
  id: string;
  label: string;
  created_by: string;
  is_active: boolean;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

export interface OrgAccessTokenDetail extends OrgAccessToken {
  description: string;
  resources: OrgAccessTokenResource[];
  token?: string;
}

/** createOrgAccessTokenResponse (spec c95ded2): neither `created_by` nor `description`. */
export type CreatedOrgAccessToken = Omit<OrgAccessTokenDetail, 'created_by' | 'description'> & { token: string };

export interface Invite {
  id: string;
  inviter_username: string;
  invitee: string;
  org: string;
  team: string;
  created_at: string;
}

// ---------------------------------------------------------------- internal records

export type OrgRole = 'owner' | 'editor' | 'member';

export interface Person {
  /** Hub's "UUID trimmed": 32 hex characters. */
  id: string;
  /** Integer id used where tags name a user (creator, last_updater). */
  numericId: number;
  username: string;
  fullName: string;
  company: string;
  location: string;
  email: string;
  profileUrl: string;
  dateJoinedMs: number;
}

export interface Membership {
  username: string;
  /** A core role, or the name of one of the organization's custom roles. */
  role: OrgRole | string;
  isGuest: boolean;
  lastLoggedInMs: number;
  lastSeenMs: number;
  lastDesktopVersion: string;
}

export interface TeamRecord {
  id: number;
  uuid: string;
  name: string;
  description: string;
  /** A core role, or the name of one of the organization's custom roles. */
  role: OrgRole | string;
  members: string[];
}

/**
 * A role an organization defines (Admin Console; no Hub API call makes one). `base` is the core
 * role whose access it stands for in the emulator's coarse permission model.
 */
export interface CustomRoleRecord {
  name: string;
  label: string;
  base: Exclude<OrgRole, 'owner'>;
}

export interface InviteRecord {
  id: string;
  inviter: string;
  invitee: string;
  team: string;
  role: OrgRole;
  createdMs: number;
}

export interface OatRecord {
  id: string;
  label: string;
  description: string;
  createdBy: string;
  isActive: boolean;
  createdMs: number;
  expiresMs: number | null;
  lastUsedMs: number | null;
  resources: OrgAccessTokenResource[];
  secret: string;
}

export interface PatRecord {
  uuid: string;
  label: string;
  scopes: string[];
  clientId: string;
  creatorIp: string;
  creatorUa: string;
  generatedBy: string;
  createdMs: number;
  lastUsedMs: number | null;
  expiresMs: number | null;
  isActive: boolean;
  secret: string;
}

export interface OrgRecord {
  name: string;
  /** Member insights on: members carry last_logged_in_at / last_seen_at / last_desktop_version. */
  insights: boolean;
  members: Map<string, Membership>;
  teams: TeamRecord[];
  invites: InviteRecord[];
  settings: OrgSettings;
  registryAccess: { enabled: boolean; registries: { id: string; address: string; friendlyName: string; createdMs: number }[] };
  oats: OatRecord[];
  customRoles: CustomRoleRecord[];
}

export type TagStyle = 'semver' | 'vsemver' | 'sha' | 'build' | 'nightly' | 'channel';

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant: string | null;
  osVersion: string | null;
}

/** Everything needed to produce a repository and, lazily, each of its tags. */
export interface RepoSeed {
  id: number;
  namespace: string;
  name: string;
  isPrivate: boolean;
  description: string;
  fullDescription: string | null;
  dateRegisteredMs: number;
  lastModifiedMs: number | null;
  /** Print this repository's timestamps with microseconds. */
  fractional: boolean;
  status: 0 | 1;
  repositoryType: string | null;
  pullCount: number;
  starCount: number;
  categories: Category[];
  mediaTypes: (string | null)[];
  contentTypes: string[];
  immutableTags: { enabled: boolean; rules: string[] };
  tagCount: number;
  newestTagMs: number;
  tagGapMs: number;
  tagStyle: TagStyle;
  hasLatest: boolean;
  variantSuffixes: string[];
  channels: string[];
  versionRadix: { patch: number; minor: number; majorBase: number };
  buildBase: number;
  platforms: PlatformSpec[];
  imageSizeBase: number;
  /** Users who push to this repository (first one created it). */
  pushers: { username: string; numericId: number }[];
}
