#!/usr/bin/env bash
# Refreshes examples/.sqlx/, the offline data that lets `sqlx::query!` in the examples
# build without a database (SQLX_OFFLINE=true, set in .cargo/config.toml). Run it after
# changing a query or a migration, and commit the result.
#
# It builds a scratch SQLite database from the migrations (with the sqlite3 shell, or
# Python's sqlite3 module), then compiles the examples against it with SQLX_OFFLINE_DIR
# set, which makes the macros write their data there. With sqlx-cli installed
# (`cargo install sqlx-cli --no-default-features --features sqlite`), the same is
# `cargo sqlx prepare` run in examples/ with DATABASE_URL set.
set -euo pipefail
cd "$(dirname "$0")"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
db="$scratch/prepare.db"
for f in migrations/todo_db/*.sql; do
  if command -v sqlite3 >/dev/null 2>&1; then
    sqlite3 "$db" <"$f"
  else
    python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.commit()' "$db" "$f"
  fi
done
rm -rf .sqlx
mkdir -p .sqlx
# Touch the sources so the macros run again (cargo would reuse a cached build).
touch todo_db.rs
SQLX_OFFLINE=false DATABASE_URL="sqlite://$db" SQLX_OFFLINE_DIR="$PWD/.sqlx" \
  cargo check -p kiln-examples --examples
echo "wrote $(ls .sqlx | wc -l) queries to examples/.sqlx/"
