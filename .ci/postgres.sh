#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for kiln's database tests, for CI and developers alike.
#
#   eval "$(.ci/postgres.sh start)"   # prints `export KILN_TEST_POSTGRES_URL=...`
#   cargo test -p kiln-tests --test db
#   .ci/postgres.sh stop
#
# Installs PostgreSQL from the Debian packages when no server binaries are found and
# this runs as root (CI does). The cluster lives in a temporary directory, owned by an
# unprivileged user (`postgres` when it exists, else `kilnci`, created here) when run
# as root, listens on 127.0.0.1 only (port $KILN_PG_PORT, default 55432), trusts local
# connections (it is disposable: no password), and runs with fsync off.
set -euo pipefail

port="${KILN_PG_PORT:-55432}"
dir="${KILN_PG_DIR:-${TMPDIR:-/tmp}/kiln-pg-$port}"

bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" ]] && { echo "$d"; return; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return
  return 1
}

# Runs a command as the cluster's owner.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u "$owner" -- "$@"
  else
    "$@"
  fi
}

pick_owner() {
  if [[ $(id -u) -ne 0 ]]; then
    owner="$(id -un)"
  elif id postgres >/dev/null 2>&1; then
    owner=postgres
  else
    id kilnci >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin kilnci
    owner=kilnci
  fi
}

start() {
  if ! bin="$(bindir)"; then
    if [[ $(id -u) -ne 0 ]]; then
      echo "postgres.sh: no PostgreSQL server found; install it (apt-get install postgresql)" >&2
      exit 1
    fi
    echo "postgres.sh: installing postgresql from the Debian packages" >&2
    # An unreachable mirror must not hang CI for long.
    apt-get update -qq -o Acquire::Retries=2 >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
    bin="$(bindir)"
  fi
  pick_owner
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    echo "postgres.sh: a cluster is already running in $dir; stopping it first" >&2
    stop
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  [[ $(id -u) -eq 0 ]] && chown "$owner" "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U kiln --auth=trust --encoding=UTF8 --no-sync >"$dir.initdb.log" 2>&1 \
    || { cat "$dir.initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >&2 || { cat "$dir/server.log" >&2; exit 1; }
  echo "export KILN_TEST_POSTGRES_URL=postgres://kiln@127.0.0.1:$port/postgres"
}

stop() {
  local bin
  bin="$(bindir)" || return 0
  [[ -d "$dir/data" ]] || return 0
  pick_owner
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  rm -rf "$dir" "$dir.initdb.log"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
