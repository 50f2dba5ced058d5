CREATE TABLE "dockerhub"."writeback_intents" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job" text NOT NULL,
	"run_id" text NOT NULL,
	"action" text NOT NULL,
	"record_keys" jsonb NOT NULL,
	"records" jsonb NOT NULL,
	"payload_hash" text NOT NULL,
	"method" text NOT NULL,
	"url" text NOT NULL,
	"body" jsonb,
	"idempotent" boolean NOT NULL,
	"inverse" boolean DEFAULT false NOT NULL,
	"state" text NOT NULL,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."writeback_records" (
	"job" text NOT NULL,
	"record_key" text NOT NULL,
	"payload_hash" text NOT NULL,
	"state" text NOT NULL,
	"record" jsonb NOT NULL,
	"created_id" text,
	"intent_id" bigint,
	"note" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "writeback_records_job_record_key_pk" PRIMARY KEY("job","record_key")
);
--> statement-breakpoint
ALTER TABLE "dockerhub"."writeback_results" ADD COLUMN "intent_id" bigint;--> statement-breakpoint
ALTER TABLE "dockerhub"."writeback_results" ADD COLUMN "run_id" text;--> statement-breakpoint
ALTER TABLE "dockerhub"."writeback_results" ADD COLUMN "outcome" text;--> statement-breakpoint
ALTER TABLE "dockerhub"."writeback_results" ADD COLUMN "duration_ms" integer;--> statement-breakpoint
ALTER TABLE "dockerhub"."writeback_results" ADD COLUMN "created_ids" jsonb;--> statement-breakpoint
CREATE INDEX "writeback_intents_job_state_idx" ON "dockerhub"."writeback_intents" USING btree ("job","state");--> statement-breakpoint
CREATE INDEX "writeback_results_intent_idx" ON "dockerhub"."writeback_results" USING btree ("intent_id");