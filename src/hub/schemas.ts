// zod schemas for every Docker Hub response body the project reads or writes. Sources: the
// official spec (shared/hub-api/latest-0073bb6.yaml, 2-beta for repositories) and NOTES.md for
// where real answers differ. Every object is loose so an unknown upstream field survives into
// `raw`; fields are nullish wherever Hub has been seen to omit or null them. Keys the database
// needs (names, ids) stay required so a broken item is reported, not stored half-empty.

import { z } from 'zod';

// Hub timestamps come with and without fractional seconds ("…:35Z", "…:53.506400Z"), sometimes
// with an offset, and an empty string has been seen where a value is unknown.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/i;
export const timestampSchema = z.string().refine((s) => s === '' || TIMESTAMP.test(s), {
  message: 'expected an ISO 8601 timestamp',
});
const ts = timestampSchema.nullish();
const str = z.string().nullish();
const num = z.number().nullish();
const bool = z.boolean().nullish();
const strArray = z.array(z.string()).nullish();

/** Hub timestamp → Date; null for missing, empty or unparseable values. */
export function parseHubTimestamp(value: string | null | undefined): Date | null {
  if (!value) return null;
  const withZone = /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value) ? value : `${value}Z`;
  const d = new Date(withZone.replace(' ', 'T'));
  return Number.isNaN(d.getTime()) ? null : d;
}

// ---------------------------------------------------------------- repositories

export const categorySchema = z.looseObject({ name: z.string(), slug: z.string() });

/** Item of GET /v2/namespaces/{ns}/repositories. */
export const repositoryListEntrySchema = z.looseObject({
  name: z.string(),
  namespace: z.string(),
  repository_type: str,
  status: num,
  status_description: str,
  description: str,
  is_private: bool,
  star_count: num,
  pull_count: num,
  last_updated: ts,
  last_modified: ts,
  date_registered: ts,
  affiliation: str,
  media_types: z.array(z.string().nullable()).nullish(),
  content_types: z.array(z.string().nullable()).nullish(),
  categories: z.array(categorySchema).nullish(),
  storage_size: num,
});

export const repositoryPermissionsSchema = z.looseObject({ read: bool, write: bool, admin: bool });
export const immutableTagsSettingsSchema = z.looseObject({ enabled: bool, rules: strArray });

/** GET /v2/namespaces/{ns}/repositories/{repo}; also the answer to create and immutable-tags PATCH. */
export const repositoryInfoSchema = repositoryListEntrySchema.extend({
  user: str,
  is_automated: bool,
  collaborator_count: num,
  hub_user: str,
  has_starred: bool,
  full_description: str,
  permissions: repositoryPermissionsSchema.nullish(),
  immutable_tags_settings: immutableTagsSettingsSchema.nullish(),
  source: str,
});

/** POST /v2/repositories/{ns}/{repo}/groups (team access to a repository). */
export const repositoryGroupSchema = z.looseObject({ group_name: str, permission: str, group_id: num });

/** POST …/immutabletags/verify. */
export const immutableTagsVerifyResponseSchema = z.looseObject({ tags: z.array(z.string()) });

// ---------------------------------------------------------------- tags

export const layerSchema = z.looseObject({ digest: str, size: num, instruction: str });

/** One entry of a tag's `images` (the spec says object; real answers are arrays of these). */
export const tagImageSchema = z.looseObject({
  architecture: str,
  features: str,
  variant: str,
  digest: str,
  os: str,
  os_features: str,
  os_version: str,
  size: num,
  status: str,
  last_pulled: ts,
  last_pushed: ts,
  layers: z.array(layerSchema).nullish(),
});

const imagesSchema = z.preprocess(
  (v) => (v && typeof v === 'object' && !Array.isArray(v) ? [v] : v),
  z.array(tagImageSchema).nullish(),
);

/** Item of GET …/tags and the body of GET …/tags/{tag}. */
export const tagSchema = z.looseObject({
  id: num,
  name: z.string(),
  images: imagesSchema,
  creator: num,
  last_updated: ts,
  last_updater: num,
  last_updater_username: str,
  repository: num,
  full_size: num,
  v2: z.union([z.boolean(), z.string()]).nullish(),
  // Real answers use tag_status; the spec says status. Accept both.
  status: str,
  tag_status: str,
  tag_last_pulled: ts,
  tag_last_pushed: ts,
  media_type: str,
  content_type: str,
  digest: str,
});

// ---------------------------------------------------------------- audit logs

/** Item of GET /v2/auditlogs/{account} `logs`. Events have no id. */
export const auditLogEventSchema = z.looseObject({
  account: str,
  action: z.string(),
  name: str,
  actor: str,
  data: z.record(z.string(), z.unknown()).nullish(),
  timestamp: timestampSchema,
  action_description: str,
});

export const auditActionSchema = z.looseObject({ name: z.string(), description: str, label: str });
export const auditActionGroupSchema = z.looseObject({ label: str, actions: z.array(auditActionSchema) });

/** GET /v2/auditlogs/{account}/actions: `{actions: {<group>: {label, actions: [...]}}}`. */
export const auditActionsResponseSchema = z.looseObject({ actions: z.record(z.string(), auditActionGroupSchema) });

// ---------------------------------------------------------------- organizations

const userFields = {
  id: z.string(),
  company: str,
  date_joined: ts,
  full_name: str,
  gravatar_email: str,
  gravatar_url: str,
  location: str,
  profile_url: str,
  type: str,
  username: str,
};

/** Item of GET /v2/orgs/{org}/members; body of PUT …/members/{username}. */
export const orgMemberSchema = z.looseObject({
  ...userFields,
  email: str,
  role: str,
  groups: strArray,
  is_guest: bool,
  primary_email: str,
  last_logged_in_at: ts,
  last_seen_at: ts,
  last_desktop_version: str,
});

/** A team ("group" in the API). */
export const orgGroupSchema = z.looseObject({
  id: z.number(),
  uuid: str,
  name: z.string(),
  description: str,
  member_count: num,
});

export const groupMemberSchema = z.looseObject({ ...userFields, email: str });

export const restrictedImagesSchema = z.looseObject({
  enabled: bool,
  allow_official_images: bool,
  allow_verified_publishers: bool,
});

export const orgSettingsSchema = z.looseObject({ restricted_images: restrictedImagesSchema });

// ---------------------------------------------------------------- tokens

/** Personal access token. Reads carry `token: ""`; only the create answer holds the secret. */
export const accessTokenSchema = z.looseObject({
  uuid: z.string(),
  client_id: str,
  creator_ip: str,
  creator_ua: str,
  created_at: ts,
  last_used: ts,
  generated_by: str,
  is_active: bool,
  token: str,
  token_label: str,
  scopes: strArray,
  expires_at: ts,
});

export const orgAccessTokenResourceSchema = z.looseObject({ type: z.string(), path: z.string(), scopes: z.array(z.string()) });

/** Organization access token (list item, get, create — which adds the secret `token` — and update). */
export const orgAccessTokenSchema = z.looseObject({
  id: z.string(),
  label: str,
  description: str,
  created_by: str,
  is_active: bool,
  created_at: ts,
  expires_at: ts,
  last_used_at: ts,
  resources: z.array(orgAccessTokenResourceSchema).nullish(),
  token: str,
});

// ---------------------------------------------------------------- invites

export const inviteSchema = z.looseObject({
  id: z.string(),
  inviter_username: str,
  invitee: str,
  org: str,
  team: str,
  role: str,
  created_at: ts,
});

export const bulkInviteResultSchema = z.looseObject({ invitee: z.string(), status: str, invite: inviteSchema.nullish() });

/** 202 of POST /v2/invites/bulk. The spec nests {invitees: {invitees: [...]}}; its example does not. */
export const bulkInviteResponseSchema = z.looseObject({
  invitees: z.preprocess(
    (v) => (v && typeof v === 'object' && !Array.isArray(v) && 'invitees' in v ? (v as { invitees: unknown }).invitees : v),
    z.array(bulkInviteResultSchema),
  ),
});

// ---------------------------------------------------------------- auth and errors

export const authTokenResponseSchema = z.looseObject({ access_token: z.string().min(1) });
export const loginResponseSchema = z.looseObject({ token: z.string().min(1) });
export const loginErrorSchema = z.looseObject({ detail: str, login_2fa_token: str });

/** Any of Hub's error bodies: `error` {errinfo, detail, message}, `ValueError` {fields, text}, 429 {detail, error}. */
export const hubErrorBodySchema = z.looseObject({
  detail: str,
  message: str,
  text: str,
  errinfo: z.unknown().optional(),
  fields: z.unknown().optional(),
});

// ---------------------------------------------------------------- page envelopes

/** `{count, next, previous, results}`: repositories, tags, members, teams, team members. */
export function resultsPageSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({ count: num, next: str, previous: str, results: z.array(item) });
}

/** GET /v2/access-tokens: the results envelope plus `active_count`. */
export const accessTokenPageSchema = resultsPageSchema(accessTokenSchema).extend({ active_count: num });

/** `{total, next, previous, results}`: organization access tokens. */
export function totalPageSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({ total: num, next: str, previous: str, results: z.array(item) });
}

/** `{data: [...]}`: invites, no paging. */
export function dataPageSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({ data: z.array(item) });
}

/** `{logs: [...]}`: audit logs; no count or next. */
export function logsPageSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({ logs: z.array(item) });
}

/** A bare array (team members have been seen this way). */
export function arrayPageSchema<T extends z.ZodType>(item: T) {
  return z.array(item);
}

// ---------------------------------------------------------------- validation

export interface InvalidItem {
  raw: unknown;
  issues: z.core.$ZodIssue[];
  /** Position in the page, for the log line. */
  index: number;
}

/** Valid items parsed; invalid ones kept with their payload and issues. One bad item never fails a page. */
export function validateItems<S extends z.ZodType>(
  schema: S,
  items: unknown[],
): { valid: z.output<S>[]; invalid: InvalidItem[] } {
  const valid: z.output<S>[] = [];
  const invalid: InvalidItem[] = [];
  items.forEach((raw, index) => {
    const r = schema.safeParse(raw);
    if (r.success) valid.push(r.data);
    else invalid.push({ raw, issues: r.error.issues, index });
  });
  return { valid, invalid };
}

/** zod issues as one short line: `images.0.size: expected number, received string; name: required`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], max = 5): string {
  const shown = issues.slice(0, max).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  const more = issues.length > max ? `; +${issues.length - max} more` : '';
  return shown.join('; ') + more;
}

export type Category = z.infer<typeof categorySchema>;
export type RepositoryListEntry = z.infer<typeof repositoryListEntrySchema>;
export type RepositoryInfo = z.infer<typeof repositoryInfoSchema>;
export type RepositoryGroup = z.infer<typeof repositoryGroupSchema>;
export type ImmutableTagsVerifyResponse = z.infer<typeof immutableTagsVerifyResponseSchema>;
export type Layer = z.infer<typeof layerSchema>;
export type TagImage = z.infer<typeof tagImageSchema>;
export type Tag = z.infer<typeof tagSchema>;
export type AuditLogEvent = z.infer<typeof auditLogEventSchema>;
export type AuditAction = z.infer<typeof auditActionSchema>;
export type AuditActionsResponse = z.infer<typeof auditActionsResponseSchema>;
export type OrgMember = z.infer<typeof orgMemberSchema>;
export type OrgGroup = z.infer<typeof orgGroupSchema>;
export type GroupMember = z.infer<typeof groupMemberSchema>;
export type OrgSettings = z.infer<typeof orgSettingsSchema>;
export type AccessToken = z.infer<typeof accessTokenSchema>;
export type OrgAccessTokenResource = z.infer<typeof orgAccessTokenResourceSchema>;
export type OrgAccessToken = z.infer<typeof orgAccessTokenSchema>;
export type Invite = z.infer<typeof inviteSchema>;
export type BulkInviteResult = z.infer<typeof bulkInviteResultSchema>;
export type BulkInviteResponse = z.infer<typeof bulkInviteResponseSchema>;
