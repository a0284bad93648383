#!/usr/bin/env bash
# The scaled profile's PostgreSQL role and databases (docs/contracts/scale-out.md), created when
# missing: run by docker-compose.yml's `db-init` against the `postgres` service (PGHOST, PGUSER
# and PGPASSWORD name its superuser), so it works on a new volume and on one made before.
set -euo pipefail
until pg_isready -q; do sleep 1; done
psql -X -v ON_ERROR_STOP=1 -v password="${KESTREL_PASSWORD:?}" <<'SQL'
SELECT format('CREATE ROLE kestrel LOGIN PASSWORD %L', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kestrel') \gexec
SELECT format('CREATE DATABASE %I OWNER kestrel', name)
FROM unnest(ARRAY['kestrel_desk', 'kestrel_kb', 'kestrel_actions', 'kestrel_rasa']) AS name
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = name) \gexec
SQL
