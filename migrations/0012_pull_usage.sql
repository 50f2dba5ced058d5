CREATE TABLE "dockerhub"."pull_usage" (
	"org" text NOT NULL,
	"report_type" text NOT NULL,
	"cadence" text NOT NULL,
	"report_date" date NOT NULL,
	"event_date" date NOT NULL,
	"repository" text NOT NULL,
	"tag" text NOT NULL,
	"pull_count" bigint NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"loaded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pull_usage_pk" PRIMARY KEY("org","report_type","cadence","report_date","event_date","repository","tag")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."pull_usage_loads" (
	"org" text NOT NULL,
	"report_type" text NOT NULL,
	"cadence" text NOT NULL,
	"date" date NOT NULL,
	"key" text,
	"size_bytes" bigint,
	"rows" integer NOT NULL,
	"loaded_at" timestamp with time zone NOT NULL,
	"error" text,
	CONSTRAINT "pull_usage_loads_org_report_type_cadence_date_pk" PRIMARY KEY("org","report_type","cadence","date")
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."pull_usage_reports" (
	"org" text NOT NULL,
	"report_type" text NOT NULL,
	"cadence" text NOT NULL,
	"date" date NOT NULL,
	"key" text,
	"size_bytes" bigint,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "pull_usage_reports_org_report_type_cadence_date_pk" PRIMARY KEY("org","report_type","cadence","date")
);
--> statement-breakpoint
CREATE INDEX "pull_usage_repository_day" ON "dockerhub"."pull_usage" USING btree ("repository","event_date");