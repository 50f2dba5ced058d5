-- Custom SQL migration file, put your code below! --
-- Pulls per repository and tag per day, from the daily pull-usage reports of the Enterprise Data
-- API (dockerhub.pull_usage). Weekly reports cover the same pulls again, so they are left out
-- here; query pull_usage with cadence = 'weekly' for them. Mirrored in src/db/views.ts.
CREATE OR REPLACE VIEW "dockerhub"."pulls_daily" AS
SELECT
  u.org,
  split_part(u.repository, '/', 1) AS namespace,
  u.repository,
  u.tag,
  u.event_date AS day,
  sum(u.pull_count)::bigint AS pulls
FROM "dockerhub"."pull_usage" u
WHERE u.report_type = 'usage_pulls' AND u.cadence = 'daily'
GROUP BY u.org, u.repository, u.tag, u.event_date;
