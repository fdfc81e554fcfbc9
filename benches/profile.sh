#!/usr/bin/env bash
# Profiles one peer server of the HTTP suite the way the goal run loads it
# (server pinned to CPU 0, one `wrk` thread on CPU 1, 64 connections): the
# figures behind "Rows not met" in BENCHMARKS.md.
#
#   bash benches/profile.sh cpu     <server> <scenario> <path> [header...]
#   bash benches/profile.sh perf    <server> <scenario> <path> [header...]
#   bash benches/profile.sh latency <server> <scenario> <path> [header...]
#   bash benches/profile.sh conns   <server> [count]
#
# cpu:     user and system CPU µs per request (/proc/PID/stat), three 5 s runs.
# perf:    `perf record` of the server under load; the top user-space symbols.
# latency: mean, p50, p99; requests waiting at the server (Little's law:
#          mean latency × req/s); wrk's and the server's CPU µs per request.
# conns:   resident memory per idle kept-alive connection (after one request).
#
# <server> is a binary of `cargo build -p kiln-http-suite --release --bins`
# (server_kiln, server_axum, server_actix, server_hyper); headers are passed
# to wrk as given, e.g. 'origin: http://localhost:3000'. Needs wrk, perf for
# `perf`, GNU time (/usr/bin/time) for `latency` and python3 for `latency` and
# `conns`. Run it on a quiet machine: nothing else should use either CPU.
set -euo pipefail

mode=${1:?mode: cpu, perf, latency or conns}
server=${2:?server binary, e.g. server_kiln}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/target/release/$server"
port=${PROFILE_PORT:-18199}
conns=${PROFILE_CONNECTIONS:-64}
tck=$(getconf CLK_TCK)
out=$(mktemp -d)
trap 'rm -rf "$out"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT

start() { # <scenario>
    taskset -c 0 "$bin" --scenario "$1" --port "$port" >"$out/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return
        sleep 0.05
    done
    echo "$server did not listen on $port" >&2
    exit 1
}

cpu_ticks() { awk '{print $14, $15}' "/proc/$pid/stat"; }

load() { # <seconds> <path> [wrk args...]: wrk's output in $out/wrk
    local secs=$1 path=$2
    shift 2
    taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" "$@" "http://127.0.0.1:$port$path" >"$out/wrk"
}

requests() { awk '/requests in/ {print $1}' "$out/wrk"; }

headers=()
with_headers() { # <header...>: wrk's -H arguments in $headers
    headers=()
    for h in "$@"; do headers+=(-H "$h"); done
}

warm_up() { # <mode> <server> <scenario> <path> [header...]: starts the server and loads it for 2 s
    scenario=${3:?scenario}
    path=${4:?path}
    with_headers "${@:5}"
    start "$scenario"
    load 2 "$path" "${headers[@]}"
}

case "$mode" in
cpu)
    warm_up "$@"
    for round in 1 2 3; do
        read -r u0 s0 < <(cpu_ticks)
        load 5 "$path" "${headers[@]}"
        read -r u1 s1 < <(cpu_ticks)
        awk -v u="$((u1 - u0))" -v s="$((s1 - s0))" -v t="$tck" -v n="$(requests)" -v r="$round" \
            'BEGIN { printf "round %d: user %.2f  system %.2f  total %.2f µs/req\n",
                     r, u / t * 1e6 / n, s / t * 1e6 / n, (u + s) / t * 1e6 / n }'
    done
    ;;
perf)
    warm_up "$@"
    perf record -F 2000 -p "$pid" -o "$out/perf.data" -- sleep 6 >/dev/null 2>&1 &
    recorder=$!
    load 6 "$path" "${headers[@]}"
    wait "$recorder" || true
    perf report -i "$out/perf.data" --no-children --sort dso --stdio 2>/dev/null |
        grep -v '^#' | grep -v '^$' | head -5 || true
    echo
    perf report -i "$out/perf.data" --no-children --dso "$server" --sort symbol --stdio 2>/dev/null |
        grep -v '^#' | grep -v '^$' | cut -c1-140 | head -40 || true
    ;;
latency)
    warm_up "$@"
    for round in 1 2; do
        read -r u0 s0 < <(cpu_ticks)
        /usr/bin/time -o "$out/time" -f "%U %S" \
            taskset -c 1 wrk -t1 -c"$conns" -d5s --latency "${headers[@]}" \
            "http://127.0.0.1:$port$path" >"$out/wrk"
        read -r u1 s1 < <(cpu_ticks)
        python3 - "$out/wrk" "$out/time" "$((u1 - u0 + s1 - s0))" "$tck" "$conns" "$round" <<'PY'
import re, sys
wrk, times, ticks, tck, conns, rnd = sys.argv[1:]
text = open(wrk).read()
def us(v):
    n, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]
mean = us(re.search(r"Latency\s+(\S+)", text).group(1))
p50 = us(re.search(r" 50%\s+(\S+)", text).group(1))
p99 = us(re.search(r" 99%\s+(\S+)", text).group(1))
n = int(re.search(r"(\d+) requests in", text).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
wrk_cpu = sum(map(float, open(times).read().split()[-2:])) * 1e6 / n
server_cpu = int(ticks) / int(tck) * 1e6 / n
print(f"round {rnd}: {rps:.0f} req/s  mean {mean:.0f}  p50 {p50:.0f}  p99 {p99:.0f} µs  "
      f"waiting at the server {mean * rps / 1e6:.1f} of {conns}  "
      f"CPU µs/req: server {server_cpu:.2f}, wrk {wrk_cpu:.2f}")
PY
    done
    ;;
conns)
    count=${3:-1000}
    start basic
    python3 - "$pid" "$port" "$count" <<'PY'
import socket, sys, time
pid, port, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def rss_kib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
def open_some(n):
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET / HTTP/1.1\r\nhost: profile\r\n\r\n")
        socks.append(s)
    for s in socks:
        s.recv(4096)
    return socks
held = open_some(50)  # the first connections' one-off costs
time.sleep(0.3)
before = rss_kib()
held += open_some(count)
time.sleep(0.5)
after = rss_kib()
print(f"{(after - before) / count:.1f} KiB per idle connection ({count} connections; RSS {before} -> {after} KiB)")
PY
    ;;
*)
    echo "unknown mode $mode: cpu, perf, latency or conns" >&2
    exit 2
    ;;
esac
