CREATE SCHEMA "dockerhub";
--> statement-breakpoint
CREATE TABLE "dockerhub"."access_tokens" (
	"uuid" text PRIMARY KEY NOT NULL,
	"account" text,
	"client_id" text,
	"creator_ip" text,
	"creator_ua" text,
	"created_at" timestamp with time zone,
	"last_used" timestamp with time zone,
	"generated_by" text,
	"is_active" boolean,
	"token_label" text,
	"scopes" jsonb,
	"expires_at" timestamp with time zone,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."audit_log_actions" (
	"account" text NOT NULL,
	"name" text NOT NULL,
	"group" text,
	"group_label" text,
	"description" text,
	"label" text,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "audit_log_actions_account_name_pk" PRIMARY KEY("account","name")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."audit_logs" (
	"account" text NOT NULL,
	"event_hash" text NOT NULL,
	"action" text,
	"name" text,
	"actor" text,
	"data" jsonb,
	"timestamp" timestamp with time zone,
	"action_description" text,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "audit_logs_account_event_hash_pk" PRIMARY KEY("account","event_hash")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" bigint,
	"entity" text NOT NULL,
	"entity_key" jsonb NOT NULL,
	"op" text NOT NULL,
	"changed" jsonb,
	"observed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."custom_records" (
	"endpoint" text NOT NULL,
	"record_key" text NOT NULL,
	"data" jsonb,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "custom_records_endpoint_record_key_pk" PRIMARY KEY("endpoint","record_key")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."org_access_tokens" (
	"org" text NOT NULL,
	"id" text NOT NULL,
	"label" text,
	"description" text,
	"created_by" text,
	"is_active" boolean,
	"created_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"resources" jsonb,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "org_access_tokens_org_id_pk" PRIMARY KEY("org","id")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."org_invites" (
	"org" text NOT NULL,
	"id" text NOT NULL,
	"inviter_username" text,
	"invitee" text,
	"team" text,
	"role" text,
	"created_at" timestamp with time zone,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "org_invites_org_id_pk" PRIMARY KEY("org","id")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."org_members" (
	"org" text NOT NULL,
	"id" text NOT NULL,
	"username" text,
	"full_name" text,
	"email" text,
	"role" text,
	"type" text,
	"groups" jsonb,
	"is_guest" boolean,
	"company" text,
	"location" text,
	"date_joined" timestamp with time zone,
	"last_logged_in_at" timestamp with time zone,
	"member_last_seen_at" timestamp with time zone,
	"last_desktop_version" text,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "org_members_org_id_pk" PRIMARY KEY("org","id")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."org_settings" (
	"org" text PRIMARY KEY NOT NULL,
	"restricted_images" jsonb,
	"registry_access_management" jsonb,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."repositories" (
	"namespace" text NOT NULL,
	"name" text NOT NULL,
	"repository_type" text,
	"status" integer,
	"status_description" text,
	"description" text,
	"is_private" boolean,
	"is_automated" boolean,
	"star_count" integer,
	"pull_count" bigint,
	"last_updated" timestamp with time zone,
	"last_modified" timestamp with time zone,
	"date_registered" timestamp with time zone,
	"affiliation" text,
	"media_types" jsonb,
	"content_types" jsonb,
	"categories" jsonb,
	"storage_size" bigint,
	"user" text,
	"hub_user" text,
	"collaborator_count" integer,
	"has_starred" boolean,
	"full_description" text,
	"permissions" jsonb,
	"immutable_tags_settings" jsonb,
	"source" text,
	"detail_synced_at" timestamp with time zone,
	"tags_synced_for" timestamp with time zone,
	"tags_synced_at" timestamp with time zone,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "repositories_namespace_name_pk" PRIMARY KEY("namespace","name")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."repository_stats" (
	"namespace" text NOT NULL,
	"name" text NOT NULL,
	"observed_at" timestamp with time zone NOT NULL,
	"pull_count" bigint,
	"star_count" integer,
	CONSTRAINT "repository_stats_namespace_name_observed_at_pk" PRIMARY KEY("namespace","name","observed_at")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."sync_errors" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" bigint,
	"endpoint" text NOT NULL,
	"slice_key" text NOT NULL,
	"kind" text NOT NULL,
	"url" text,
	"payload" jsonb,
	"issues" jsonb,
	"message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."sync_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_group" text,
	"endpoint" text NOT NULL,
	"slice_key" text NOT NULL,
	"mode" text,
	"status" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"requests" integer DEFAULT 0 NOT NULL,
	"pages" integer DEFAULT 0 NOT NULL,
	"rows_inserted" integer DEFAULT 0 NOT NULL,
	"rows_updated" integer DEFAULT 0 NOT NULL,
	"rows_deleted" integer DEFAULT 0 NOT NULL,
	"rows_invalid" integer DEFAULT 0 NOT NULL,
	"rate_limit_wait_ms" bigint DEFAULT 0 NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."sync_state" (
	"endpoint" text NOT NULL,
	"slice_key" text NOT NULL,
	"cursor" jsonb,
	"last_complete_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_state_endpoint_slice_key_pk" PRIMARY KEY("endpoint","slice_key")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."tag_images" (
	"namespace" text NOT NULL,
	"repository" text NOT NULL,
	"tag" text NOT NULL,
	"digest" text NOT NULL,
	"architecture" text,
	"features" text,
	"variant" text,
	"os" text,
	"os_features" text,
	"os_version" text,
	"size" bigint,
	"status" text,
	"last_pulled" timestamp with time zone,
	"last_pushed" timestamp with time zone,
	"layers" jsonb,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "tag_images_namespace_repository_tag_digest_pk" PRIMARY KEY("namespace","repository","tag","digest")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."tags" (
	"namespace" text NOT NULL,
	"repository" text NOT NULL,
	"name" text NOT NULL,
	"id" bigint,
	"creator" bigint,
	"last_updater" bigint,
	"last_updater_username" text,
	"repository_id" bigint,
	"full_size" bigint,
	"v2" boolean,
	"tag_status" text,
	"tag_last_pulled" timestamp with time zone,
	"tag_last_pushed" timestamp with time zone,
	"last_updated" timestamp with time zone,
	"media_type" text,
	"content_type" text,
	"digest" text,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "tags_namespace_repository_name_pk" PRIMARY KEY("namespace","repository","name")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."team_members" (
	"org" text NOT NULL,
	"team" text NOT NULL,
	"id" text NOT NULL,
	"username" text,
	"full_name" text,
	"email" text,
	"type" text,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "team_members_org_team_id_pk" PRIMARY KEY("org","team","id")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."teams" (
	"org" text NOT NULL,
	"id" bigint NOT NULL,
	"uuid" text,
	"name" text,
	"description" text,
	"member_count" integer,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "teams_org_id_pk" PRIMARY KEY("org","id")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."writeback_results" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job" text NOT NULL,
	"record_key" text,
	"method" text NOT NULL,
	"url" text NOT NULL,
	"request_body" jsonb,
	"status" integer,
	"response" jsonb,
	"error" text,
	"dry_run" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_logs_timestamp_idx" ON "dockerhub"."audit_logs" USING btree ("account","timestamp");--> statement-breakpoint
CREATE INDEX "changes_entity_idx" ON "dockerhub"."changes" USING btree ("entity","observed_at");--> statement-breakpoint
CREATE INDEX "sync_errors_endpoint_idx" ON "dockerhub"."sync_errors" USING btree ("endpoint","created_at");--> statement-breakpoint
CREATE INDEX "sync_runs_endpoint_idx" ON "dockerhub"."sync_runs" USING btree ("endpoint","slice_key","started_at");--> statement-breakpoint
CREATE INDEX "tags_last_pulled_idx" ON "dockerhub"."tags" USING btree ("tag_last_pulled");--> statement-breakpoint
CREATE INDEX "writeback_results_job_idx" ON "dockerhub"."writeback_results" USING btree ("job","created_at");