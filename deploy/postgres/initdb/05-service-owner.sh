#!/bin/sh
# Runs once, on the first start of an empty Postgres volume (docker-entrypoint-initdb.d).
# Creates the role dockerhub-sync connects with: a plain login (no SUPERUSER, no CREATEROLE,
# no CREATEDB) that owns the database, so its migrations can create the `dockerhub` schema and
# grant the read-only role, and nothing else on the server. The superuser (POSTGRES_USER) stays
# with the Postgres container; the service never sees its password.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=owner="${DOCKERHUB_SYNC_DB_USER:-dockerhub_sync}" --set=password="$DOCKERHUB_SYNC_DB_PASSWORD" \
  --set=db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD :'password';
ALTER DATABASE :"db" OWNER TO :"owner";
SQL
