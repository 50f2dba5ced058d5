#!/bin/sh
# Runs once, on the first start of an empty Postgres volume (docker-entrypoint-initdb.d).
# Creates the read-only role (DATABASE_READER_ROLE, default dockerhub_reader; the service's
# owner role may not create roles) and the login role Grafana connects with, as its member. The
# dockerhub-sync migration (run when the service starts) grants that role SELECT on every table
# and view. For a volume that already exists, run the same statements by hand (see the README).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=reader="${DATABASE_READER_ROLE:-dockerhub_reader}" \
  --set=login="${GRAFANA_DB_USER:-grafana}" --set=password="$GRAFANA_DB_PASSWORD" <<'SQL'
SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :'reader') AS missing \gset
\if :missing
  CREATE ROLE :"reader" NOLOGIN;
\endif
CREATE ROLE :"login" LOGIN PASSWORD :'password' CONNECTION LIMIT 20 IN ROLE :"reader";
SQL
