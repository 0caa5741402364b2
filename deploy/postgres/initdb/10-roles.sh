#!/bin/sh
# Runs once, when the postgres volume is new (the image's /docker-entrypoint-initdb.d).
# The tables' owner is POSTGRES_USER (compose's `migrate` connects as it); the app connects as
# salonbot_app, which owns nothing and has no BYPASSRLS, so row-level security applies to it.
# `replicator` may stream WAL to the optional replica (compose profile `replica`).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$POSTGRES_APP_PASSWORD" -v replication_password="${POSTGRES_REPLICATION_PASSWORD:-}" <<'SQL'
CREATE ROLE salonbot_app LOGIN PASSWORD :'app_password' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
SELECT :'replication_password' <> '' AS with_replica \gset
\if :with_replica
CREATE ROLE replicator LOGIN REPLICATION PASSWORD :'replication_password';
\endif
SQL
if [ -n "${POSTGRES_REPLICATION_PASSWORD:-}" ]; then
  echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
fi
