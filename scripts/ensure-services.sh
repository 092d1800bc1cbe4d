#!/usr/bin/env bash
# PostgreSQL (127.0.0.1:5432, user postgres, trust auth) and Redis (127.0.0.1:6379) for the tests and
# the stack. Installs them from Debian's packages when they are missing, starts them without systemd,
# and does nothing when they already answer. PostgreSQL runs as a cluster of the project's own (its
# data outside git), so the machine's default cluster and its password rules are left untouched.
# Exits non-zero with what is missing, so the tests never run without them.
set -u

PG_PORT=5432
REDIS_PORT=6379
STATE_DIR=${CABINET_SERVICES_DIR:-/var/lib/cabinet-engine}
[ "$(id -u)" = 0 ] || STATE_DIR=${CABINET_SERVICES_DIR:-$HOME/.cache/cabinet-engine/services}

pg_up() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; }
pg_trusts() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -w -tAc 'select 1' >/dev/null 2>&1; }
redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

apt_updated=""
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "Cannot install $* without root: run 'sudo apt-get install $*' once." >&2
    return 1
  fi
  if [ -z "$apt_updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return 1
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_bin_dir() {
  # The newest server installed, e.g. /usr/lib/postgresql/15/bin.
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

start_postgres() {
  local bin data run_as=()
  bin=$(pg_bin_dir)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "Installing PostgreSQL from Debian's packages..." >&2
    apt_install postgresql postgresql-client || return 1
    bin=$(pg_bin_dir)
  fi
  command -v pg_isready >/dev/null 2>&1 || apt_install postgresql-client || return 1
  data="$STATE_DIR/postgres"
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root: the cluster belongs to Debian's postgres user.
    run_as=(runuser -u postgres --)
    mkdir -p "$STATE_DIR"
    install -d -o postgres -g postgres -m 700 "$data"
  else
    mkdir -p "$data" && chmod 700 "$data"
  fi
  if [ ! -s "$data/PG_VERSION" ]; then
    "${run_as[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
      >"$STATE_DIR/postgres-initdb.log" 2>&1 \
      || { echo "initdb failed; see $STATE_DIR/postgres-initdb.log" >&2; return 1; }
  fi
  "${run_as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories='$data' -c fsync=off" \
    start >/dev/null \
    || { echo "PostgreSQL did not start; see $data/server.log" >&2; return 1; }
}

start_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "Installing Redis from Debian's packages..." >&2
    apt_install redis-server redis-tools || return 1
  fi
  command -v redis-cli >/dev/null 2>&1 || apt_install redis-tools || return 1
  mkdir -p "$STATE_DIR"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$STATE_DIR" --logfile "$STATE_DIR/redis.log" >/dev/null || return 1
  for _ in $(seq 1 40); do redis_up && return 0; sleep 0.25; done
  return 1
}

command -v pg_isready >/dev/null 2>&1 || apt_install postgresql-client
pg_up || start_postgres
command -v redis-cli >/dev/null 2>&1 || apt_install redis-tools
redis_up || start_redis

status=0
if ! pg_up; then
  echo "PostgreSQL is not answering at 127.0.0.1:$PG_PORT and could not be installed and started here." >&2
  status=1
elif ! pg_trusts; then
  echo "PostgreSQL at 127.0.0.1:$PG_PORT answers but refuses user postgres without a password: the tests" \
       "need trust auth on loopback. Stop that server (or give this project's cluster the port)." >&2
  status=1
fi
redis_up || { echo "Redis is not answering at 127.0.0.1:$REDIS_PORT and could not be installed and started here." >&2; status=1; }
exit $status
