-- Chaining state moves from marker columns of the list's table into the chained endpoints' own
-- state (sync_state, slice `namespace/name`): what was read for what is carried over, so no
-- repository is read again because of the upgrade.
INSERT INTO "dockerhub"."sync_state" ("endpoint", "slice_key", "cursor", "last_complete_at", "updated_at")
SELECT 'repository_details', r."namespace" || '/' || r."name",
  jsonb_build_object('for', to_char(r."detail_synced_for" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
  r."detail_synced_at", now()
FROM "dockerhub"."repositories" r
WHERE r."detail_synced_at" IS NOT NULL
ON CONFLICT ("endpoint", "slice_key") DO UPDATE
  SET "cursor" = excluded."cursor", "last_complete_at" = excluded."last_complete_at";--> statement-breakpoint
INSERT INTO "dockerhub"."sync_state" ("endpoint", "slice_key", "cursor", "last_complete_at", "updated_at")
SELECT 'tags', r."namespace" || '/' || r."name",
  jsonb_build_object('read', jsonb_build_object(
    'at', to_char(r."tags_synced_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'last_updated', to_char(r."tags_synced_for" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    -- The pull count the read saw: the last one the list recorded at or before it.
    'pull_count', (
      SELECT s."pull_count" FROM "dockerhub"."repository_stats" s
      WHERE s."namespace" = r."namespace" AND s."name" = r."name" AND s."observed_at" <= r."tags_synced_at"
      ORDER BY s."observed_at" DESC LIMIT 1),
    'tags', (
      SELECT count(*) FROM "dockerhub"."tags" t
      WHERE t."namespace" = r."namespace" AND t."repository" = r."name" AND t."deleted_at" IS NULL))),
  r."tags_synced_at", now()
FROM "dockerhub"."repositories" r
-- A deleted repository took its tags along: they are read again if it comes back.
WHERE r."tags_synced_at" IS NOT NULL AND r."deleted_at" IS NULL
ON CONFLICT ("endpoint", "slice_key") DO UPDATE
  SET "cursor" = coalesce("dockerhub"."sync_state"."cursor", '{}'::jsonb) || excluded."cursor";--> statement-breakpoint
ALTER TABLE "dockerhub"."repositories" DROP COLUMN "detail_synced_at";--> statement-breakpoint
ALTER TABLE "dockerhub"."repositories" DROP COLUMN "detail_synced_for";--> statement-breakpoint
ALTER TABLE "dockerhub"."repositories" DROP COLUMN "tags_synced_for";--> statement-breakpoint
ALTER TABLE "dockerhub"."repositories" DROP COLUMN "tags_synced_at";