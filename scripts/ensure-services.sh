#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer; start them if they are
# installed but stopped. Exits non-zero with what is missing, so the tests never run without them.
set -u

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for version in /etc/postgresql/*; do
      pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || true
    done
    for _ in $(seq 1 30); do pg_up && break; sleep 0.5; done
  fi
fi
if ! redis_up && command -v redis-server >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/cabinet-redis.log || true
  for _ in $(seq 1 20); do redis_up && break; sleep 0.25; done
fi

status=0
pg_up || { echo "PostgreSQL is not answering at 127.0.0.1:5432: install and start it (trust auth for user postgres)." >&2; status=1; }
redis_up || { echo "Redis is not answering at 127.0.0.1:6379: install and start redis-server." >&2; status=1; }
exit $status
