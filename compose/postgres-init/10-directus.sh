#!/bin/sh
# Directus' own role and database beside the engine's (docker-compose.yml). The postgres image runs
# this once, on an empty data folder; running it again changes nothing. The password comes from the
# environment (psql's \getenv), so it never appears on a command line.
: "${DIRECTUS_DB_PASSWORD:?set DIRECTUS_DB_PASSWORD}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\getenv password DIRECTUS_DB_PASSWORD
SELECT format('CREATE ROLE directus LOGIN PASSWORD %L', :'password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'directus') \gexec
SELECT 'CREATE DATABASE directus OWNER directus'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'directus') \gexec
SQL
