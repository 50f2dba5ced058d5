CREATE TABLE "dockerhub"."namespace_kinds" (
	"namespace" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dockerhub"."scim_users" (
	"org" text NOT NULL,
	"id" text NOT NULL,
	"user_name" text,
	"display_name" text,
	"active" boolean,
	"name" jsonb,
	"emails" jsonb,
	"groups" jsonb,
	"created" timestamp with time zone,
	"last_modified" timestamp with time zone,
	"raw" jsonb NOT NULL,
	"row_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "scim_users_org_id_pk" PRIMARY KEY("org","id")
);
