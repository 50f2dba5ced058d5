CREATE TABLE "dockerhub"."namespace_kinds" (
	"namespace" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL
);
