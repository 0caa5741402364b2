#!/usr/bin/env bash
# What does the per-user rate limiter cost? Throughput and latency of an authenticated endpoint
# under gunicorn on loopback, with the limiter on (counters in Redis, a limit too high to refuse
# anything, so every request pays the full count) and off (RATELIMIT_ENABLE=0), in the same run.
# Each round measures on and off back to back, in alternating order (on-off, off-on, ...), so that
# drift of the machine and any favour of going first or second hit both alike; medians count.
# Worker CPU per request is reported beside wrk's figures: on a machine shared with other work it
# is the steadier measure of what the limiter adds (throughput also moves with everyone else's load).
#
#   benchmarks/bench_ratelimit.sh
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/salonbot_bench \
#     ENDPOINTS="/api/auth/me /api/salons" DURATION=10 ROUNDS=4 benchmarks/bench_ratelimit.sh
#
# Starts its own redis-server on a free loopback port (the limiter's production store, not shared
# with test suites whose traffic would show up as limiter latency); BENCH_REDIS_URL points it at
# another one instead. Needs wrk (installed with apt-get when missing).
# A postgres DATABASE_URL names a throwaway database: it is dropped and created anew.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

export SALONBOT_VAR_DIR="${SALONBOT_VAR_DIR:-$PWD/var/bench-ratelimit}"
export DEBUG=0 SECRET_KEY="bench-only-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 LOG_LEVEL=WARNING FAST_PASSWORD_HASHER=1
ENDPOINTS="${ENDPOINTS:-/api/auth/me /api/salons}"
DURATION="${DURATION:-10}"     # seconds per measurement
ROUNDS="${ROUNDS:-4}"          # on/off pairs per endpoint
CONNECTIONS="${CONNECTIONS:-8}"
WORKERS="${WORKERS:-2}"        # gunicorn sync workers; the machine has 2 cores and wrk needs one too

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  (apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }) >/dev/null
fi
free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

rm -rf "$SALONBOT_VAR_DIR" && mkdir -p "$SALONBOT_VAR_DIR"
redis=""
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -n "$redis" ]; then kill "$redis" 2>/dev/null || true; wait "$redis" 2>/dev/null || true; fi
}
trap cleanup EXIT
if [ -n "${BENCH_REDIS_URL:-}" ]; then
  export REDIS_URL="$BENCH_REDIS_URL"
else
  rport=$(free_port)
  redis-server --bind 127.0.0.1 --port "$rport" --save "" --appendonly no --daemonize no \
    --logfile "$SALONBOT_VAR_DIR/redis.log" &
  redis=$!
  export REDIS_URL="redis://127.0.0.1:$rport/0"
fi
for _ in $(seq 30); do redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 && break; sleep 0.2; done
redis-cli -u "$REDIS_URL" ping >/dev/null || { echo "Redis at $REDIS_URL is not answering" >&2; exit 1; }
if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  $PY - <<'EOF'
import os
import psycopg
from urllib.parse import urlsplit

url = urlsplit(os.environ["DATABASE_URL"])
admin = url._replace(path="/postgres").geturl()
with psycopg.connect(admin, autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{url.path.lstrip("/")}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{url.path.lstrip("/")}"')
EOF
fi
$PY manage.py migrate --noinput -v0
$PY manage.py seed_demo >/dev/null

# wrk reports through this script: one JSON line per run, read back below.
report="$SALONBOT_VAR_DIR/report.lua"
cat >"$report" <<'EOF'
done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format(
    '{"rps": %.1f, "mean_ms": %.3f, "p50_ms": %.3f, "p99_ms": %.3f, "requests": %d, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests / (summary.duration / 1e6), latency.mean / 1000, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
EOF

port=$(free_port)
base="http://127.0.0.1:$port"
stop_server() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=""; fi
}

start_server() {  # $1: RATELIMIT_ENABLE value
  stop_server
  # A limit no benchmark reaches: the limiter does all its work (key, SET NX, INCR) and admits.
  RATELIMIT_ENABLE="$1" API_RATE_LIMIT=1000000000/m AUTH_RATE_LIMIT=1000000000/m \
    .venv/bin/gunicorn salonbot.wsgi --bind "127.0.0.1:$port" --workers "$WORKERS" \
    --error-logfile "$SALONBOT_VAR_DIR/gunicorn.log" >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 60); do curl -fs "$base/healthz" >/dev/null 2>&1 && return; sleep 0.5; done
  echo "gunicorn did not start; see $SALONBOT_VAR_DIR/gunicorn.log" >&2
  exit 1
}

worker_cpu_seconds() {  # CPU time (user + system) used so far by the gunicorn workers
  $PY - "$server" <<'EOF'
import os
import sys

master = sys.argv[1]
children = open(f"/proc/{master}/task/{master}/children").read().split()
ticks = 0
for pid in children:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
print(ticks / os.sysconf("SC_CLK_TCK"))
EOF
}

measure() {  # $1: path → one JSON line: wrk's figures plus worker CPU per request
  local before after line
  before=$(worker_cpu_seconds)
  line=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$report" -H "Authorization: Bearer $token" "$base$1" | tail -1)
  after=$(worker_cpu_seconds)
  $PY -c 'import json, sys
r = json.loads(sys.argv[1])
r["cpu_ms_per_request"] = round(1000 * (float(sys.argv[3]) - float(sys.argv[2])) / max(r["requests"], 1), 3)
print(json.dumps(r))' "$line" "$before" "$after"
}

start_server 1
token=$(curl -fsS -X POST "$base/api/auth/login" -H 'Content-Type: application/json' \
  -d '{"email": "owner@salonbot.local", "password": "salonbot-demo-2025"}' |
  $PY -c 'import json, sys; print(json.load(sys.stdin)["access"])')

results="$SALONBOT_VAR_DIR/results.jsonl"
: >"$results"
for path in $ENDPOINTS; do
  for round in $(seq "$ROUNDS"); do
    order="1 0"
    if [ $((round % 2)) -eq 0 ]; then order="0 1"; fi  # ABBA: whatever favours the second run evens out
    for limiter in $order; do
      start_server "$limiter"
      wrk -t1 -c"$CONNECTIONS" -d2s -H "Authorization: Bearer $token" "$base$path" >/dev/null  # warm up
      line=$(measure "$path")
      echo "{\"path\": \"$path\", \"limiter\": $limiter, \"round\": $round, \"result\": $line}" | tee -a "$results" >&2
    done
  done
done
stop_server

$PY - "$results" <<'EOF'
import json
import statistics
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
print(
    f"\n{'endpoint':<16} {'limiter':<8} {'req/s':>9} {'mean ms':>9} {'p50 ms':>8} {'p99 ms':>8} "
    f"{'CPU ms/req':>10} {'non-2xx':>8}"
)
for path in dict.fromkeys(r["path"] for r in rows):
    medians = {}
    for limiter in (1, 0):
        runs = [r["result"] for r in rows if r["path"] == path and r["limiter"] == limiter]
        keys = ("rps", "mean_ms", "p50_ms", "p99_ms", "cpu_ms_per_request")
        m = {key: statistics.median(run[key] for run in runs) for key in keys}
        m["non_2xx"] = sum(run["non_2xx"] + run["socket_errors"] for run in runs)
        medians[limiter] = m
        label = "on" if limiter else "off"
        print(
            f"{path:<16} {label:<8} {m['rps']:>9.1f} {m['mean_ms']:>9.2f} {m['p50_ms']:>8.2f} "
            f"{m['p99_ms']:>8.2f} {m['cpu_ms_per_request']:>10.3f} {m['non_2xx']:>8}"
        )
    cost = 100 * (1 - medians[1]["rps"] / medians[0]["rps"])
    cpu = 100 * (medians[1]["cpu_ms_per_request"] / medians[0]["cpu_ms_per_request"] - 1)
    print(
        f"{path:<16} limiter costs {cost:.1f}% of throughput, {cpu:+.1f}% worker CPU per request "
        f"(medians of {len(runs)} rounds each)"
    )
EOF

# The same comparison without HTTP, wrk and gunicorn sharing the cores: Django's test client in
# one process, limiter on and off interleaved. Steadier on a busy machine; it leaves out the
# Redis server's own CPU, which in production runs on another host anyway.
DJANGO_SETTINGS_MODULE=salonbot.settings $PY - $ENDPOINTS <<'EOF'
import statistics
import sys
import time

import django

django.setup()
from django.conf import settings
from django.test import Client
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User

settings.API_RATE_LIMIT = "1000000000/m"
owner = User.objects.get(email="owner@salonbot.local")
client = Client(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(owner).access_token}", HTTP_HOST="127.0.0.1")


def per_request(path, enabled, n=300):
    settings.RATELIMIT_ENABLE = enabled
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        assert client.get(path).status_code == 200
    return 1000 * (time.process_time() - cpu) / n, 1000 * (time.perf_counter() - wall) / n


print(f"\nin-process    {'endpoint':<16} {'limiter':<8} {'CPU ms/req':>10} {'wall ms/req':>11}")
for path in sys.argv[1:]:
    per_request(path, True), per_request(path, False)  # warm up
    runs = {True: [], False: []}
    for _ in range(6):
        for enabled in (True, False):
            runs[enabled].append(per_request(path, enabled))
    medians = {e: [statistics.median(r[i] for r in runs[e]) for i in (0, 1)] for e in runs}
    for enabled in (True, False):
        cpu, wall = medians[enabled]
        print(f"in-process    {path:<16} {'on' if enabled else 'off':<8} {cpu:>10.3f} {wall:>11.3f}")
    added = medians[True][1] - medians[False][1]
    print(f"in-process    {path:<16} limiter adds {added:.3f} ms wall ({100 * added / medians[False][1]:.1f}%)")
EOF
