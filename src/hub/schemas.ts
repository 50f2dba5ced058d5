// zod schemas for every Docker Hub response body the project reads or writes. Sources: the
// official spec (docs/hub-api/latest-0073bb6.yaml, 2-beta for repositories) and docs/hub-quirks.md for
// where real answers differ. Every object is loose so an unknown upstream field survives into
// `raw`; fields are nullish wherever Hub has been seen to omit or null them. Keys the database
// needs (names, ids) stay required so a broken item is reported, not stored half-empty.
//
// A schema accepts only what the database can hold: the spec types ids and counters as plain
// `number`, and one star count beyond the integer range would otherwise fail the upsert of a
// whole page. Fields stored in a column take their limits from that column's drizzle type; the
// whole item must fit the `raw` jsonb column. The library reads no database code (paths.ts): the
// columns are named below (STORED_COLUMNS) and a test checks each one against its table.

import { z } from 'zod';

// ---------------------------------------------------------------- what the database can hold

/** A column a response field is stored in, as src/db/schema declares it. */
export interface StoredColumn {
  table: string;
  name: string;
  /** drizzle's column type: PgText, PgInteger, PgBigInt53 … */
  columnType: string;
  /** For a column of the table's primary key: how many columns the key has. */
  keyColumns?: number;
}

const stored = (table: string, name: string, columnType: string, keyColumns?: number): StoredColumn => ({ table, name, columnType, ...(keyColumns ? { keyColumns } : {}) });

/**
 * The columns the schemas below fill, by table (test/unit/hub/storable-values.test.ts checks
 * each against the drizzle table: its type, and the size of the primary key it belongs to).
 */
export const STORED_COLUMNS = {
  repositories: {
    name: stored('repositories', 'name', 'PgText', 2),
    status: stored('repositories', 'status', 'PgInteger'),
    star_count: stored('repositories', 'star_count', 'PgInteger'),
    pull_count: stored('repositories', 'pull_count', 'PgBigInt53'),
    storage_size: stored('repositories', 'storage_size', 'PgBigInt53'),
    collaborator_count: stored('repositories', 'collaborator_count', 'PgInteger'),
  },
  tags: {
    repository: stored('tags', 'repository', 'PgText', 3),
    name: stored('tags', 'name', 'PgText', 3),
    id: stored('tags', 'id', 'PgBigInt53'),
    creator: stored('tags', 'creator', 'PgBigInt53'),
    last_updater: stored('tags', 'last_updater', 'PgBigInt53'),
    repository_id: stored('tags', 'repository_id', 'PgBigInt53'),
    full_size: stored('tags', 'full_size', 'PgBigInt53'),
  },
  tagImages: {
    repository: stored('tag_images', 'repository', 'PgText', 4),
    tag: stored('tag_images', 'tag', 'PgText', 4),
    digest: stored('tag_images', 'digest', 'PgText', 4),
    size: stored('tag_images', 'size', 'PgBigInt53'),
  },
  auditLogActions: { name: stored('audit_log_actions', 'name', 'PgText', 2) },
  orgMembers: { id: stored('org_members', 'id', 'PgText', 2) },
  teams: {
    id: stored('teams', 'id', 'PgBigInt53', 2),
    member_count: stored('teams', 'member_count', 'PgInteger'),
  },
  teamMembers: {
    team: stored('team_members', 'team', 'PgText', 3),
    id: stored('team_members', 'id', 'PgText', 3),
  },
  scimUsers: { id: stored('scim_users', 'id', 'PgText', 2) },
  accessTokens: { uuid: stored('access_tokens', 'uuid', 'PgText', 1) },
  orgAccessTokens: { id: stored('org_access_tokens', 'id', 'PgText', 2) },
  orgInvites: { id: stored('org_invites', 'id', 'PgText', 2) },
} as const satisfies Record<string, Record<string, StoredColumn>>;

const { repositories, tags, tagImages, auditLogActions, orgMembers, teams, teamMembers, scimUsers, accessTokens, orgAccessTokens, orgInvites } = STORED_COLUMNS;

const INTEGER_RANGES: Record<string, readonly [number, number, string]> = {
  PgSmallInt: [-32_768, 32_767, 'smallint'],
  PgInteger: [-2_147_483_648, 2_147_483_647, 'integer'],
  // bigint columns are read as JavaScript numbers: beyond the safe range they would not be exact.
  PgBigInt53: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'bigint'],
};

/** An integer the column can hold (its Postgres type's range); rejects fractions, which bigint refuses. */
export function integerFor(column: Pick<StoredColumn, 'name' | 'columnType'>) {
  const range = INTEGER_RANGES[column.columnType];
  if (!range) throw new TypeError(`column ${column.name} is ${column.columnType}, not an integer column`);
  const [min, max, type] = range;
  const error = `must be a whole number from ${min} to ${max} to fit the ${type} column ${column.name}`;
  return z.number().int({ error }).min(min, { error }).max(max, { error });
}

// Postgres refuses index entries over 2704 bytes (a third of an 8 kB page). Each text column of
// a primary key gets an equal share, less the per-column header and alignment.
const BTREE_MAX_INDEX_ROW = 2704;
const INDEX_COLUMN_OVERHEAD = 16;

/** UTF-8 bytes a text column of a primary key of `keyColumns` columns may hold so the key's index entry always fits. */
export function keyTextBudget(keyColumns: number): number {
  return Math.floor((BTREE_MAX_INDEX_ROW - 8) / keyColumns) - INDEX_COLUMN_OVERHEAD;
}

/** UTF-8 bytes a text column of a primary key may hold so the key's index entry always fits. */
export function keyTextBytes(column: StoredColumn): number {
  if (!column.keyColumns) throw new TypeError(`column ${column.name} is not part of the primary key of ${column.table}`);
  return keyTextBudget(column.keyColumns);
}

/** The smallest budget of the key columns a value lands in (a repository name keys its tags and images too). */
function keyBudget(columns: readonly StoredColumn[]): { bytes: number; column: StoredColumn } {
  let smallest: { bytes: number; column: StoredColumn } | undefined;
  for (const column of columns) {
    if (column.columnType !== 'PgText') throw new TypeError(`column ${column.name} is ${column.columnType}, not text`);
    const bytes = keyTextBytes(column);
    if (!smallest || bytes < smallest.bytes) smallest = { bytes, column };
  }
  if (!smallest) throw new TypeError('keyTextFor needs at least one column');
  return smallest;
}

/** A string that can be (part of) the primary key of every one of `columns`. */
export function keyTextFor(...columns: StoredColumn[]) {
  const { bytes, column } = keyBudget(columns);
  return z.string().refine((value) => Buffer.byteLength(value, 'utf8') <= bytes, {
    error: `is longer than the ${bytes} bytes the key column ${column.table}.${column.name} can index`,
  });
}

// Postgres text and jsonb refuse the NUL character, and jsonb refuses unpaired UTF-16 surrogates.
const UNSTORABLE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The first string (or field name) in `value` that Postgres text and jsonb cannot hold, with its path. */
export function firstUnstorable(value: unknown, path: (string | number)[]): { path: (string | number)[]; message: string } | undefined {
  if (typeof value === 'string') {
    return UNSTORABLE_TEXT.test(value) ? { path, message: 'contains a NUL character or a broken UTF-16 surrogate, which Postgres cannot store' } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstUnstorable(value[i], [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (UNSTORABLE_TEXT.test(key)) return { path: [...path, key], message: 'field name contains a NUL character or a broken UTF-16 surrogate' };
      const found = firstUnstorable(child, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * A copy of `value` that Postgres can store whatever it holds: NUL characters and broken
 * surrogates become U+FFFD. For recording a rejected payload (sync_errors), never for data rows.
 */
export function storableCopy(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(new RegExp(UNSTORABLE_TEXT.source, 'g'), '\ufffd');
  if (Array.isArray(value)) return value.map(storableCopy);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [storableCopy(key) as string, storableCopy(child)]));
  }
  return value;
}

/** An API item as stored: a loose object whose every string fits Postgres text and jsonb. */
function item<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.looseObject(shape).check((ctx) => {
    const found = firstUnstorable(ctx.value, []);
    if (found) ctx.issues.push({ code: 'custom', input: ctx.value, path: found.path, message: found.message });
  });
}

// Hub timestamps come with and without fractional seconds ("…:35Z", "…:53.506400Z"), sometimes
// with an offset, and an empty string has been seen where a value is unknown.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-](\d{2})(?::?(\d{2}))?)?$/i;

/**
 * A real instant Postgres timestamptz accepts: a calendar date (no February 30), a time of day,
 * an offset within ±15:59, and a year from 1 to 9999 once converted to UTC (Postgres has no year 0).
 */
export function isStorableTimestamp(value: string): boolean {
  const m = TIMESTAMP.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const offsetHours = Number(m[9] ?? 0);
  const offsetMinutes = Number(m[10] ?? 0);
  if (offsetHours > 15 || offsetMinutes > 59) return false;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const exact =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day &&
    date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
  if (!exact) return false;
  const sign = m[8]?.startsWith('-') ? -1 : 1;
  const utc = date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  return utc >= FIRST_INSTANT && utc <= LAST_INSTANT;
}

const FIRST_INSTANT = new Date('0001-01-01T00:00:00Z').getTime();
const LAST_INSTANT = new Date('9999-12-31T23:59:59.999Z').getTime();

export const timestampSchema = z.string().refine((s) => s === '' || isStorableTimestamp(s), {
  message: 'expected an ISO 8601 timestamp of a real date in the years 1 to 9999',
});
const ts = timestampSchema.nullish();
const str = z.string().nullish();
const num = z.number().nullish();
const bool = z.boolean().nullish();
const strArray = z.array(z.string()).nullish();
/** A nullable field stored in an integer or bigint column. */
const int = (column: StoredColumn) => integerFor(column).nullish();

/** Hub timestamp → Date; null for missing, empty or unparseable values. */
export function parseHubTimestamp(value: string | null | undefined): Date | null {
  if (!value) return null;
  const withZone = /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value) ? value : `${value}Z`;
  const d = new Date(withZone.replace(' ', 'T'));
  return Number.isNaN(d.getTime()) ? null : d;
}

// ---------------------------------------------------------------- repositories

export const categorySchema = z.looseObject({ name: z.string(), slug: z.string() });

const repositoryListShape = {
  name: keyTextFor(repositories.name, tags.repository, tagImages.repository),
  namespace: z.string(),
  repository_type: str,
  status: int(repositories.status),
  status_description: str,
  description: str,
  is_private: bool,
  star_count: int(repositories.star_count),
  pull_count: int(repositories.pull_count),
  last_updated: ts,
  last_modified: ts,
  date_registered: ts,
  affiliation: str,
  media_types: z.array(z.string().nullable()).nullish(),
  content_types: z.array(z.string().nullable()).nullish(),
  categories: z.array(categorySchema).nullish(),
  storage_size: int(repositories.storage_size),
};

/** Item of GET /v2/namespaces/{ns}/repositories. */
export const repositoryListEntrySchema = item(repositoryListShape);

export const repositoryPermissionsSchema = z.looseObject({ read: bool, write: bool, admin: bool });
export const immutableTagsSettingsSchema = z.looseObject({ enabled: bool, rules: strArray });

/** GET /v2/namespaces/{ns}/repositories/{repo}; also the answer to create and immutable-tags PATCH. */
export const repositoryInfoSchema = item({
  ...repositoryListShape,
  user: str,
  is_automated: bool,
  collaborator_count: int(repositories.collaborator_count),
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

/** The key of an image in `tag_images`: its digest, or its platform when Hub sends none. */
export function imageKey(image: Record<string, unknown>): string {
  const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
  if (typeof image.digest === 'string') return image.digest;
  return `platform:${text(image.os)}/${text(image.architecture)}${image.variant ? `/${text(image.variant)}` : ''}`;
}

const imageKeyBudget = keyBudget([tagImages.digest]);

/** One entry of a tag's `images` (the spec says object; real answers are arrays of these). */
export const tagImageSchema = z.looseObject({
  architecture: str,
  features: str,
  variant: str,
  digest: str,
  os: str,
  os_features: str,
  os_version: str,
  size: int(tagImages.size),
  status: str,
  last_pulled: ts,
  last_pushed: ts,
  layers: z.array(layerSchema).nullish(),
}).refine((image) => Buffer.byteLength(imageKey(image), 'utf8') <= imageKeyBudget.bytes, {
  error: `digest (or os/architecture/variant without one) is longer than the ${imageKeyBudget.bytes} bytes the key column tag_images.digest can index`,
});

const imagesSchema = z.preprocess(
  (v) => (v && typeof v === 'object' && !Array.isArray(v) ? [v] : v),
  z.array(tagImageSchema).nullish(),
);

/** Item of GET …/tags and the body of GET …/tags/{tag}. */
export const tagSchema = item({
  id: int(tags.id),
  name: keyTextFor(tags.name, tagImages.tag),
  images: imagesSchema,
  creator: int(tags.creator),
  last_updated: ts,
  last_updater: int(tags.last_updater),
  last_updater_username: str,
  repository: int(tags.repository_id),
  full_size: int(tags.full_size),
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
export const auditLogEventSchema = item({
  account: str,
  action: z.string(),
  name: str,
  actor: str,
  data: z.record(z.string(), z.unknown()).nullish(),
  timestamp: timestampSchema,
  action_description: str,
});

export const auditActionSchema = z.looseObject({ name: keyTextFor(auditLogActions.name), description: str, label: str });
export const auditActionGroupSchema = z.looseObject({ label: str, actions: z.array(auditActionSchema) });

/** GET /v2/auditlogs/{account}/actions: `{actions: {<group>: {label, actions: [...]}}}`. */
export const auditActionsResponseSchema = item({ actions: z.record(z.string(), auditActionGroupSchema) });

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
export const orgMemberSchema = item({
  ...userFields,
  id: keyTextFor(orgMembers.id),
  email: str,
  // Owner, Editor, Member, Invitee, or a custom role's name (spec c95ded2): any text.
  role: str,
  groups: strArray,
  is_guest: bool,
  primary_email: str,
  last_logged_in_at: ts,
  last_seen_at: ts,
  last_desktop_version: str,
});

/** A team ("group" in the API). */
export const orgGroupSchema = item({
  id: integerFor(teams.id),
  uuid: str,
  // The name keys the team's members.
  name: keyTextFor(teamMembers.team),
  description: str,
  member_count: int(teams.member_count),
  // A core role (owner, editor, member) or a custom role's name (spec c95ded2).
  role: str,
});

export const groupMemberSchema = item({ ...userFields, id: keyTextFor(teamMembers.id), email: str });

export const restrictedImagesSchema = z.looseObject({
  enabled: bool,
  allow_official_images: bool,
  allow_verified_publishers: bool,
});

export const orgSettingsSchema = item({ restricted_images: restrictedImagesSchema });

// ---------------------------------------------------------------- SCIM (spec 2-beta, bearerSCIMAuth)

/** A SCIM user (RFC 7643 core User as Docker Hub sends it). */
export const scimUserSchema = item({
  id: keyTextFor(scimUsers.id),
  schemas: strArray,
  userName: str,
  displayName: str,
  active: bool,
  name: z.looseObject({ givenName: str, familyName: str }).nullish(),
  emails: z.array(z.looseObject({ value: str, display: str, primary: bool })).nullish(),
  groups: z.array(z.looseObject({ value: str, display: str })).nullish(),
  meta: z.looseObject({ resourceType: str, location: str, created: ts, lastModified: ts }).nullish(),
});

// ---------------------------------------------------------------- tokens

/** Personal access token. Reads carry `token: ""`; only the create answer holds the secret. */
export const accessTokenSchema = item({
  uuid: keyTextFor(accessTokens.uuid),
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

/**
 * Organization access token (list item, get, create — which adds the secret `token` — and update).
 * The create answer of spec c95ded2 has no `created_by`: every field but the id may be missing.
 */
export const orgAccessTokenSchema = item({
  id: keyTextFor(orgAccessTokens.id),
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

export const inviteSchema = item({
  id: keyTextFor(orgInvites.id),
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
export type ScimUser = z.infer<typeof scimUserSchema>;
export type BulkInviteResult = z.infer<typeof bulkInviteResultSchema>;
export type BulkInviteResponse = z.infer<typeof bulkInviteResponseSchema>;
