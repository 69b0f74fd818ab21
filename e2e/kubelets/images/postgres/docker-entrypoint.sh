#!/bin/sh
# The entrypoint of the database image built offline under the name the stacks deploy
# (docker.io/library/postgres:15-bookworm): Debian's PostgreSQL 15 with the part of the official
# image's contract the StatefulSet uses (infra/homecare_infra/components/database.py):
#   - arguments that start with "-" are the server's (`postgres -c ...`);
#   - on an empty PGDATA: initdb as the current user with POSTGRES_USER and POSTGRES_PASSWORD,
#     password authentication for TCP (POSTGRES_HOST_AUTH_METHOD, default scram-sha-256), then
#     POSTGRES_DB is created and /docker-entrypoint-initdb.d/*.sql and *.sh are run once;
#   - then the server runs in the foreground, as PID 1's successor.
# Unlike the official image it never runs as root (the stacks run it as uid 10001, restricted).
set -eu

if [ $# -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
  exec "$@"
fi
if [ "$(id -u)" = 0 ]; then
  echo "error: this image runs PostgreSQL as a non-root user; set runAsUser (the stacks use 10001)" >&2
  exit 1
fi

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
export PGDATA

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    echo "error: the database is not initialised and POSTGRES_PASSWORD is empty; set it (the" \
      "stacks take it from the Secret postgres-credentials)" >&2
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  pwfile=$(mktemp)
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "${POSTGRES_PASSWORD:-}" > "$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of arguments, as upstream's
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
    --auth-host="$POSTGRES_HOST_AUTH_METHOD" ${POSTGRES_INITDB_ARGS:-}
  rm -f "$pwfile"
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"
  # A server on the socket only, for the one-time setup.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
  if [ "$POSTGRES_DB" != postgres ]; then
    # psql interpolates :"db" (a quoted identifier) in its input, not in -c commands.
    echo 'CREATE DATABASE :"db"' | psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
      --no-password --dbname postgres --set db="$POSTGRES_DB"
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sql) psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sh) . "$f" ;;
      *) ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  echo "PostgreSQL init process complete; ready for start up."
fi

exec "$@"
