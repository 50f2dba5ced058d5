-- Custom SQL migration file, put your code below! --
-- dockerhub_reader: a NOLOGIN role that may read every table and view of the schema and change
-- nothing. Dashboards and BI tools log in with their own role that is granted it:
--   CREATE ROLE grafana LOGIN PASSWORD '...' IN ROLE dockerhub_reader;
-- Roles are cluster-wide, so several databases on one server (test clones, staging next to
-- production) share it: creating it must be idempotent and must survive two databases migrating
-- at the same moment (the loser of that race sees unique_violation or duplicate_object).
-- A migrating user without CREATEROLE gets a warning instead of a failed start; an administrator
-- can then create the role and run the three grants below by hand (see the README).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'dockerhub_reader') THEN
    BEGIN
      CREATE ROLE dockerhub_reader NOLOGIN;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN
        NULL;
      WHEN insufficient_privilege THEN
        RAISE WARNING 'dockerhub-sync: role dockerhub_reader not created (the migrating user lacks CREATEROLE); see "Read-only access" in the README';
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'dockerhub_reader') THEN
    GRANT USAGE ON SCHEMA "dockerhub" TO dockerhub_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA "dockerhub" TO dockerhub_reader;
    -- Tables and views that later migrations create (as the same migrating user) are covered too.
    ALTER DEFAULT PRIVILEGES IN SCHEMA "dockerhub" GRANT SELECT ON TABLES TO dockerhub_reader;
  END IF;
END
$$;
