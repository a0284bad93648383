#!/usr/bin/env bash
# What a scaled deployment (`make run-scaled`) runs on, installed and answering: HAProxy (the front
# door; tools/scaled.py starts it), PostgreSQL (every service's store) and Redis (the desk's live
# state, Rasa's lock store); then the role and databases the services connect as. Installs with
# apt-get (as root or through sudo), starts a server that does not answer, creates what is
# missing; quiet when all is there.
#
# Settable: KESTREL_PG_HOST (127.0.0.1), KESTREL_PG_PORT (5432), KESTREL_PG_ADMIN (postgres, a
# superuser), KESTREL_PG_ROLE (kestrel), KESTREL_PG_DATABASES ("kestrel_desk kestrel_kb
# kestrel_actions kestrel_rasa"), KESTREL_REDIS_PORT (6379).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

pg_host="${KESTREL_PG_HOST:-127.0.0.1}"
pg_port="${KESTREL_PG_PORT:-5432}"
pg_admin="${KESTREL_PG_ADMIN:-postgres}"
pg_role="${KESTREL_PG_ROLE:-kestrel}"
pg_databases="${KESTREL_PG_DATABASES:-kestrel_desk kestrel_kb kestrel_actions kestrel_rasa}"
redis_port="${KESTREL_REDIS_PORT:-6379}"

fail() {
  echo "error: $*" >&2
  exit 1
}

say() { echo "==> $*"; }

sudo=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo=(sudo); fi
as_root() {
  if [ "$(id -u)" -ne 0 ] && [ ${#sudo[@]} -eq 0 ]; then
    fail "need root for: $*; run it yourself, or install sudo"
  fi
  "${sudo[@]}" "$@"
}

# A TCP port that accepts connections (no client needed).
port_open() { (exec 3<>"/dev/tcp/$1/$2") >/dev/null 2>&1; }

for name in "$pg_role" $pg_databases; do
  [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || fail "not a plain PostgreSQL name: '$name' (lower-case letters, digits, _)"
done

# --- packages -----------------------------------------------------------------------------
missing=()
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
if ! command -v psql >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1; then
  # A server elsewhere (a container, another host) only needs the client.
  if port_open "$pg_host" "$pg_port"; then missing+=(postgresql-client); else missing+=(postgresql); fi
elif ! port_open "$pg_host" "$pg_port" && ! command -v pg_ctlcluster >/dev/null 2>&1 \
  && ! command -v postgres >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if ! command -v redis-cli >/dev/null 2>&1; then
  if port_open 127.0.0.1 "$redis_port"; then missing+=(redis-tools); else missing+=(redis-server); fi
elif ! port_open 127.0.0.1 "$redis_port" && ! command -v redis-server >/dev/null 2>&1; then
  missing+=(redis-server)
fi
installed_server=no
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 \
    || fail "install ${missing[*]} with your system's package manager (make run-scaled needs them)"
  say "installing system packages for the scaled deployment: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get could not install ${missing[*]}"
  if [[ " ${missing[*]} " == *" postgresql "* ]]; then installed_server=yes; fi
fi

# --- PostgreSQL running ---------------------------------------------------------------------
pg_up() { pg_isready -q -h "$pg_host" -p "$pg_port" -t 3; }
if ! pg_up; then
  say "starting PostgreSQL (nothing answers on $pg_host:$pg_port)"
  if command -v pg_lsclusters >/dev/null 2>&1; then
    # Debian's clusters: start the one that listens on our port.
    read -r version cluster < <(pg_lsclusters --no-header | awk -v p="$pg_port" '$3 == p { print $1, $2; exit }') || true
    if [ -n "${version:-}" ]; then
      as_root pg_ctlcluster "$version" "$cluster" start || true
    fi
  fi
  pg_up || as_root service postgresql start >/dev/null 2>&1 || true
  for _ in $(seq 30); do pg_up && break; sleep 1; done
  pg_up || fail "PostgreSQL does not answer on $pg_host:$pg_port; start it (pg_ctlcluster, service postgresql start) or set KESTREL_PG_HOST/KESTREL_PG_PORT"
fi

# The superuser: over TCP as $pg_admin (trust, or a password in PGPASSWORD / ~/.pgpass), else as
# the postgres system user over the local socket (Debian's default peer authentication).
admin=(psql -X -A -t -q -v ON_ERROR_STOP=1 -h "$pg_host" -p "$pg_port" -U "$pg_admin" -d postgres)
if ! PGCONNECT_TIMEOUT=5 "${admin[@]}" -c 'select 1' </dev/null >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null 2>&1; then
    admin=(runuser -u postgres -- psql -X -A -t -q -v ON_ERROR_STOP=1 -p "$pg_port" -d postgres)
  else
    admin=("${sudo[@]}" -u postgres psql -X -A -t -q -v ON_ERROR_STOP=1 -p "$pg_port" -d postgres)
  fi
  (cd / && "${admin[@]}" -c 'select 1' </dev/null >/dev/null 2>&1) \
    || fail "cannot connect to PostgreSQL on $pg_host:$pg_port as $pg_admin (a superuser) nor as the postgres system user; set KESTREL_PG_ADMIN, or PGPASSWORD for it"
fi
sql() { (cd / && "${admin[@]}" -c "$1" </dev/null); }

# --- the role and databases -----------------------------------------------------------------
if [ -z "$(sql "SELECT 1 FROM pg_roles WHERE rolname = '$pg_role'")" ]; then
  say "creating PostgreSQL role $pg_role"
  sql "CREATE ROLE \"$pg_role\" LOGIN" || fail "could not create the role $pg_role"
fi
for db in $pg_databases; do
  if [ -z "$(sql "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    say "creating PostgreSQL database $db (owner $pg_role)"
    sql "CREATE DATABASE \"$db\" OWNER \"$pg_role\"" || fail "could not create the database $db"
  fi
done
first_db=${pg_databases%% *}
role_connects() {
  PGCONNECT_TIMEOUT=5 psql -X -q -h "$pg_host" -p "$pg_port" -U "$pg_role" -d "$first_db" -c 'select 1' \
    </dev/null >/dev/null 2>&1
}
if ! role_connects && [ "$installed_server" = yes ] && [ "$pg_host" = 127.0.0.1 ]; then
  # A server this script just installed asks for passwords on TCP: for development, let the
  # role in from loopback without one (the first matching line of pg_hba.conf wins).
  hba=$(sql 'SHOW hba_file')
  say "letting PostgreSQL role $pg_role connect from 127.0.0.1 without a password ($hba)"
  as_root sed -i "1i host all $pg_role 127.0.0.1/32 trust" "$hba"
  sql 'SELECT pg_reload_conf()' >/dev/null
  sleep 1
fi
if ! role_connects; then
  fail "PostgreSQL refuses $pg_role@$pg_host:$pg_port without a password; for development add
  'host all $pg_role 127.0.0.1/32 trust' above the other lines of $(sql 'SHOW hba_file' 2>/dev/null || echo pg_hba.conf)
  and reload PostgreSQL, or give the role a password and put it in DESK_DATABASE_URL, KB_DATABASE_URL,
  ACTIONS_OUTBOX_URL (and PGPASSWORD for Rasa's tracker store)"
fi

# --- Redis running --------------------------------------------------------------------------
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = "PONG" ]; }
if ! redis_up; then
  say "starting Redis (nothing answers on 127.0.0.1:$redis_port)"
  if [ "$redis_port" = 6379 ] && command -v service >/dev/null 2>&1; then
    as_root service redis-server start >/dev/null 2>&1 || true
  fi
  if ! redis_up; then
    mkdir -p "$root/var/redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --dir "$root/var/redis" \
      --logfile "$root/var/redis/redis.log" >/dev/null || true
  fi
  for _ in $(seq 20); do redis_up && break; sleep 0.5; done
  redis_up || fail "Redis does not answer on 127.0.0.1:$redis_port (see var/redis/redis.log); start it or set KESTREL_REDIS_PORT"
fi
exit 0
