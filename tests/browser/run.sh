#!/usr/bin/env bash
# CORS in a real browser: installs Debian's `chromium` if it is missing, then
# runs the ignored test `tests/tests/builtin/cors_browser.rs`, which serves a
# page on one localhost port that calls a kiln API on another.
#
# Usage: bash tests/browser/run.sh   (from anywhere in the workspace; root for apt-get)
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v "${CHROMIUM:-chromium}" >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi
"${CHROMIUM:-chromium}" --version

cargo test -p kiln-tests --test builtin cors_browser -- --ignored --nocapture
