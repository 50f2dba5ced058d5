-- Custom SQL migration file, put your code below! --
-- Views that answer the questions Docker Hub's UI cannot. Hand-written (drizzle-kit generate
-- --custom), so a later `drizzle-kit generate` never touches them. Rules:
--   * current-state views skip soft-deleted rows (deleted_at IS NULL); `deletions` is about them;
--   * "days since" columns are whole days (floor) relative to now(), so callers filter
--     `WHERE days_since_pull > 90` with their own threshold;
--   * days are UTC calendar days;
--   * changing a view later: CREATE OR REPLACE VIEW may only append columns; anything else
--     needs DROP VIEW + CREATE VIEW in a new migration (and the grants re-applied).
-- The column lists are mirrored in src/db/views.ts (typed, for TypeScript consumers).

CREATE OR REPLACE VIEW "dockerhub"."stale_tags" AS
SELECT
  t.namespace,
  t.repository,
  t.name AS tag,
  r.is_private,
  t.tag_status,
  t.digest,
  t.full_size,
  t.tag_last_pulled,
  t.tag_last_pushed,
  t.last_updated,
  t.tag_last_pulled IS NULL AS never_pulled,
  -- A tag never pulled has been idle since it was pushed.
  COALESCE(t.tag_last_pulled, t.tag_last_pushed, t.last_updated, t.first_seen_at) AS idle_since,
  floor(extract(epoch FROM now() - COALESCE(t.tag_last_pulled, t.tag_last_pushed, t.last_updated, t.first_seen_at)) / 86400)::integer AS days_since_pull
FROM "dockerhub"."tags" t
JOIN "dockerhub"."repositories" r
  ON r.namespace = t.namespace AND r.name = t.repository AND r.deleted_at IS NULL
WHERE t.deleted_at IS NULL;
--> statement-breakpoint
COMMENT ON VIEW "dockerhub"."stale_tags" IS 'Every live tag with days_since_pull (days since the last pull, or since the push when never pulled). Filter: WHERE days_since_pull > 90.';
--> statement-breakpoint
CREATE OR REPLACE VIEW "dockerhub"."images_per_architecture" AS
WITH live AS (
  SELECT
    i.namespace, i.repository, i.tag, i.digest, i.os, i.architecture, i.variant, i.size, i.last_pushed, i.last_pulled,
    row_number() OVER (PARTITION BY i.namespace, i.os, i.architecture, i.variant, i.digest ORDER BY i.repository, i.tag) = 1 AS first_of_digest
  FROM "dockerhub"."tag_images" i
  JOIN "dockerhub"."tags" t
    ON t.namespace = i.namespace AND t.repository = i.repository AND t.name = i.tag AND t.deleted_at IS NULL
  JOIN "dockerhub"."repositories" r
    ON r.namespace = i.namespace AND r.name = i.repository AND r.deleted_at IS NULL
  WHERE i.deleted_at IS NULL
)
SELECT
  namespace,
  os,
  architecture,
  variant,
  concat_ws('/', os, architecture, variant) AS platform,
  count(DISTINCT digest)::integer AS images,
  count(DISTINCT (repository, tag))::integer AS tags,
  count(DISTINCT repository)::integer AS repositories,
  -- Each image counted once even when several tags point at it.
  COALESCE(sum(size) FILTER (WHERE first_of_digest), 0)::bigint AS total_size,
  max(last_pushed) AS last_pushed,
  max(last_pulled) AS last_pulled
FROM live
GROUP BY namespace, os, architecture, variant;
--> statement-breakpoint
COMMENT ON VIEW "dockerhub"."images_per_architecture" IS 'Live images per namespace and platform (os/architecture/variant): distinct digests, tags and repositories using them, size counted once per digest.';
--> statement-breakpoint
CREATE OR REPLACE VIEW "dockerhub"."repository_visibility_changes" AS
SELECT
  c.entity_key->>'namespace' AS namespace,
  c.entity_key->>'name' AS name,
  c.observed_at AS changed_at,
  (c.changed->'is_private'->>'old')::boolean AS was_private,
  (c.changed->'is_private'->>'new')::boolean AS is_private,
  CASE
    WHEN (c.changed->'is_private'->>'old')::boolean AND (c.changed->'is_private'->>'new')::boolean IS FALSE THEN 'made public'
    WHEN (c.changed->'is_private'->>'old')::boolean IS FALSE AND (c.changed->'is_private'->>'new')::boolean THEN 'made private'
    ELSE 'changed'
  END AS change,
  -- An event log: a repository deleted since then still shows its history, flagged.
  COALESCE(r.deleted_at IS NOT NULL, true) AS repository_deleted,
  c.op,
  c.run_id,
  c.id AS change_id
FROM "dockerhub"."changes" c
LEFT JOIN "dockerhub"."repositories" r
  ON r.namespace = c.entity_key->>'namespace' AND r.name = c.entity_key->>'name'
WHERE c.entity = 'repositories' AND c.changed ? 'is_private';
--> statement-breakpoint
COMMENT ON VIEW "dockerhub"."repository_visibility_changes" IS 'Every observed change of a repository''s visibility (from changes): made public / made private, when, in which run.';
--> statement-breakpoint
CREATE OR REPLACE VIEW "dockerhub"."repository_visibility" AS
WITH last_change AS (
  SELECT DISTINCT ON (namespace, name) namespace, name, changed_at, was_private
  FROM "dockerhub"."repository_visibility_changes"
  ORDER BY namespace, name, changed_at DESC, change_id DESC
)
SELECT
  r.namespace,
  r.name,
  CASE WHEN r.is_private THEN 'private' WHEN r.is_private IS FALSE THEN 'public' ELSE 'unknown' END AS visibility,
  r.is_private,
  r.pull_count,
  r.star_count,
  r.last_updated,
  r.date_registered,
  v.changed_at AS visibility_changed_at,
  CASE WHEN v.was_private THEN 'private' WHEN v.was_private IS FALSE THEN 'public' END AS previous_visibility,
  COALESCE(v.was_private AND r.is_private IS FALSE, false) AS made_public,
  floor(extract(epoch FROM now() - v.changed_at) / 86400)::integer AS days_since_visibility_change
FROM "dockerhub"."repositories" r
LEFT JOIN last_change v ON v.namespace = r.namespace AND v.name = r.name
WHERE r.deleted_at IS NULL;
--> statement-breakpoint
COMMENT ON VIEW "dockerhub"."repository_visibility" IS 'Live repositories with their visibility and its last observed change (made_public: the last change went private to public).';
--> statement-breakpoint
CREATE OR REPLACE VIEW "dockerhub"."token_usage" AS
WITH tokens AS (
  SELECT
    'personal'::text AS kind, a.account AS owner, a.uuid AS token_id, a.token_label AS label, a.is_active,
    a.scopes, a.created_at, a.last_used AS last_used_at, a.expires_at
  FROM "dockerhub"."access_tokens" a
  WHERE a.deleted_at IS NULL
  UNION ALL
  SELECT
    'organization'::text, o.org, o.id, o.label, o.is_active,
    o.resources, o.created_at, o.last_used_at, o.expires_at
  FROM "dockerhub"."org_access_tokens" o
  WHERE o.deleted_at IS NULL
)
SELECT
  kind,
  owner,
  token_id,
  label,
  is_active,
  scopes,
  created_at,
  last_used_at,
  expires_at,
  last_used_at IS NULL AS never_used,
  -- Since the last use, or since creation for a token never used.
  floor(extract(epoch FROM now() - COALESCE(last_used_at, created_at)) / 86400)::integer AS days_since_use,
  floor(extract(epoch FROM expires_at - now()) / 86400)::integer AS days_until_expiry,
  COALESCE(expires_at <= now(), false) AS expired,
  -- Thresholds in seconds, not calendar intervals, so the session time zone (DST) cannot move them.
  CASE
    WHEN is_active IS FALSE THEN 'inactive'
    WHEN expires_at <= now() THEN 'expired'
    WHEN extract(epoch FROM expires_at - now()) <= 30 * 86400 THEN 'expiring'
    WHEN last_used_at IS NULL THEN 'never used'
    WHEN extract(epoch FROM now() - last_used_at) > 90 * 86400 THEN 'unused'
    ELSE 'ok'
  END AS status
FROM tokens;
--> statement-breakpoint
COMMENT ON VIEW "dockerhub"."token_usage" IS 'Personal and organization access tokens (metadata) with use and expiry: status is inactive / expired / expiring (30 days) / never used / unused (90 days) / ok.';
--> statement-breakpoint
CREATE OR REPLACE VIEW "dockerhub"."member_activity" AS
SELECT
  m.org,
  m.id,
  m.username,
  m.full_name,
  m.email,
  m.role,
  m.is_guest,
  m.groups,
  CASE WHEN jsonb_typeof(m.groups) = 'array' THEN jsonb_array_length(m.groups) ELSE 0 END AS team_count,
  m.date_joined,
  m.last_logged_in_at,
  m.member_last_seen_at,
  m.last_logged_in_at IS NULL AS never_logged_in,
  floor(extract(epoch FROM now() - m.last_logged_in_at) / 86400)::integer AS days_since_login,
  m.last_desktop_version
FROM "dockerhub"."org_members" m
WHERE m.deleted_at IS NULL;
--> statement-breakpoint
COMMENT ON VIEW "dockerhub"."member_activity" IS 'Organization members with role, teams and last login (days_since_login is NULL for a member who never logged in).';
--> statement-breakpoint
CREATE OR REPLACE VIEW "dockerhub"."pending_invites" AS
SELECT
  i.org,
  i.id,
  i.invitee,
  i.inviter_username,
  i.team,
  i.role,
  i.created_at,
  floor(extract(epoch FROM now() - i.created_at) / 86400)::integer AS age_days
FROM "dockerhub"."org_invites" i
WHERE i.deleted_at IS NULL;
--> statement-breakpoint
COMMENT ON VIEW "dockerhub"."pending_invites" IS 'Invites not yet accepted or revoked, with their age in days.';
--> statement-breakpoint
CREATE OR REPLACE VIEW "dockerhub"."repository_pull_growth" AS
WITH daily AS (
  -- The last observation of each UTC day.
  SELECT DISTINCT ON (s.namespace, s.name, (s.observed_at AT TIME ZONE 'UTC')::date)
    s.namespace, s.name, (s.observed_at AT TIME ZONE 'UTC')::date AS day, s.observed_at, s.pull_count, s.star_count
  FROM "dockerhub"."repository_stats" s
  JOIN "dockerhub"."repositories" r
    ON r.namespace = s.namespace AND r.name = s.name AND r.deleted_at IS NULL
  ORDER BY s.namespace, s.name, (s.observed_at AT TIME ZONE 'UTC')::date, s.observed_at DESC
)
SELECT
  namespace,
  name,
  day,
  observed_at,
  pull_count,
  star_count,
  pull_count - lag(pull_count) OVER w AS pulls_added,
  star_count - lag(star_count) OVER w AS stars_added,
  lag(day) OVER w AS previous_day,
  day - lag(day) OVER w AS days_covered
FROM daily
WINDOW w AS (PARTITION BY namespace, name ORDER BY day);
--> statement-breakpoint
COMMENT ON VIEW "dockerhub"."repository_pull_growth" IS 'Pull and star counts per repository per UTC day on which they changed; pulls_added is the growth since previous_day (days_covered days).';
--> statement-breakpoint
CREATE OR REPLACE VIEW "dockerhub"."audit_activity_daily" AS
SELECT
  a.account,
  (a."timestamp" AT TIME ZONE 'UTC')::date AS day,
  a.actor,
  a.action,
  act."group" AS action_group,
  act.label AS action_label,
  count(*)::integer AS events,
  min(a."timestamp") AS first_event_at,
  max(a."timestamp") AS last_event_at
FROM "dockerhub"."audit_logs" a
LEFT JOIN "dockerhub"."audit_log_actions" act
  ON act.account = a.account AND act.name = a.action AND act.deleted_at IS NULL
WHERE a.deleted_at IS NULL AND a."timestamp" IS NOT NULL
GROUP BY a.account, (a."timestamp" AT TIME ZONE 'UTC')::date, a.actor, a.action, act."group", act.label;
--> statement-breakpoint
COMMENT ON VIEW "dockerhub"."audit_activity_daily" IS 'Audit-log events per account, UTC day, actor and action.';
--> statement-breakpoint
CREATE OR REPLACE VIEW "dockerhub"."deletions" AS
SELECT
  c.entity,
  c.entity_key,
  c.observed_at AS deleted_at,
  c.run_id,
  r.restored_at,
  c.id AS change_id
FROM "dockerhub"."changes" c
LEFT JOIN LATERAL (
  SELECT min(x.observed_at) AS restored_at
  FROM "dockerhub"."changes" x
  WHERE x.entity = c.entity AND x.entity_key = c.entity_key AND x.op = 'restore' AND x.observed_at >= c.observed_at AND x.id > c.id
) r ON true
WHERE c.op = 'delete';
--> statement-breakpoint
COMMENT ON VIEW "dockerhub"."deletions" IS 'Every entity a complete listing stopped showing (repositories, tags, members, tokens, invites ...), and when it came back if it did.';
