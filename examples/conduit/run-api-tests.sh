#!/usr/bin/env bash
# Runs the RealWorld API test collection (api-tests/, with newman) against the
# conduit example on a fresh database, then stops the server. Exits non-zero
# when a request or an assertion fails.
#
#   examples/conduit/run-api-tests.sh              # a fresh SQLite file in a temp dir
#   DATABASE_URL=postgres://... examples/conduit/run-api-tests.sh   # an empty Postgres database
#
# newman comes from the npm registry, installed once into
# ${KILN_NEWMAN_DIR:-~/.cache/kiln/newman} when it is not on PATH; nothing
# else is fetched.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
port="${CONDUIT_PORT:-8084}"

if command -v newman >/dev/null 2>&1; then
  newman=newman
else
  dir="${KILN_NEWMAN_DIR:-$HOME/.cache/kiln/newman}"
  if [[ ! -x "$dir/node_modules/.bin/newman" ]]; then
    echo "run-api-tests: installing newman into $dir" >&2
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error newman@6 >&2
  fi
  newman="$dir/node_modules/.bin/newman"
fi

scratch="$(mktemp -d)"
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

(cd "$root" && cargo build -p kiln-examples --example conduit)
DATABASE_URL="${DATABASE_URL:-sqlite://$scratch/conduit.sqlite}" \
  CONDUIT_ADDR="127.0.0.1:$port" \
  "$root/target/debug/examples/conduit" >"$scratch/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$scratch/server.log" >&2; exit 1; fi
  sleep 0.1
done

# Unique per run, so a database that is not fresh still works.
run="k$(date +%s)$RANDOM"
"$newman" run "$here/api-tests/Conduit.postman_collection.json" \
  --delay-request 10 \
  --global-var "APIURL=http://127.0.0.1:$port/api" \
  --global-var "USERNAME=$run" \
  --global-var "EMAIL=$run@mail.com" \
  --global-var "PASSWORD=password"
