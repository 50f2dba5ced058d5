ALTER TABLE "dockerhub"."custom_records" ALTER COLUMN "data" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "dockerhub"."custom_records" ADD COLUMN "slice_key" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "dockerhub"."custom_records" ADD COLUMN "metadata" jsonb;--> statement-breakpoint
CREATE INDEX "custom_records_endpoint_live" ON "dockerhub"."custom_records" USING btree ("endpoint") WHERE deleted_at IS NULL;