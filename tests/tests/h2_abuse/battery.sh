#!/usr/bin/env bash
# Runs battery.py (HTTP/2 abuse with Python's h2) against a kiln server on
# 127.0.0.1:PORT whose process is PID. Installs python3-h2 from Debian's
# packages when it is missing (as root; otherwise says what to install).
# Usually started by the ignored test:
#   cargo test -p kiln-tests --test h2_abuse -- --ignored --nocapture
set -euo pipefail
port=${1:?usage: battery.sh PORT PID}
pid=${2:?usage: battery.sh PORT PID}
# Debian's package serves Debian's interpreter, which may not be the first
# python3 on PATH (pyenv, say).
has_h2() { "$1" -c 'import h2, hyperframe, hpack' 2>/dev/null; }
py=python3
if ! has_h2 "$py"; then
    py=/usr/bin/python3
    if ! has_h2 "$py"; then
        if [ "$(id -u)" = 0 ]; then
            echo "battery: installing python3-h2" >&2
            apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-h2 >/dev/null
        else
            echo "battery: needs python3-h2 (apt-get install python3-h2)" >&2
            exit 2
        fi
    fi
fi
exec "$py" "$(dirname "$0")/battery.py" "$port" "$pid"
