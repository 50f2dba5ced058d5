#!/bin/sh
# Runs once, on the first start of an empty Postgres volume (docker-entrypoint-initdb.d).
# Creates the login role Grafana connects with, as a member of the read-only role
# dockerhub_reader. The dockerhub-sync migration (run when the service starts) grants that role
# SELECT on every table and view; it finds the role already here and leaves it as it is.
# For a volume that already exists, run the same two statements by hand (see the README).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=login="${GRAFANA_DB_USER:-grafana}" --set=password="$GRAFANA_DB_PASSWORD" <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'dockerhub_reader') THEN
    CREATE ROLE dockerhub_reader NOLOGIN;
  END IF;
END
$$;
CREATE ROLE :"login" LOGIN PASSWORD :'password' CONNECTION LIMIT 20 IN ROLE dockerhub_reader;
SQL
