#!/usr/bin/env bash
# Latency and memory cost of a background save, terndb-server and redis-server side by side.
#
# For each server: a fresh instance in a temp dir is loaded with KEYS keys "key:<i>"
# (16-byte values, through redis-cli --pipe). Then:
#   1. baseline: redis-benchmark -c 50 -t get,set -r KEYS for REQS requests: p99 per test;
#   2. during a save: BGSAVE, then the same benchmark at once; p99 per test, and how long
#      the save took (size REQS so that the benchmark lasts about as long as the save);
#   3. memory: the servers' PSS (parent plus the save child, from /proc/<pid>/smaps_rollup,
#      so copy-on-write pages are counted once) sampled every 20 ms during the save; the
#      peak is compared with the parent's PSS just before the save (after step 1).
# terndb runs twice: with its default forkless snapshot ("terndb") and with
# `use-fork yes` ("tn-fork").
# Usage: bench/bgsave_latency.sh [KEYS] [REQS]     (defaults 2000000 and 400000)
# Environment: TERNDB_SERVER, REDIS_SERVER, REDIS_BENCHMARK, REDIS_CLI override binaries.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
KEYS="${1:-2000000}"
REQS="${2:-400000}"
TERNDB="${TERNDB_SERVER:-$ROOT/build/terndb-server}"
REDIS="${REDIS_SERVER:-redis-server}"
BENCH="${REDIS_BENCHMARK:-redis-benchmark}"
CLI="${REDIS_CLI:-redis-cli}"
PY=/usr/bin/python3

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pss_kb() {  # PSS of a pid in kB, 0 when gone
  awk '/^Pss:/ {print $2; found=1} END {if (!found) print 0}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0
}

p99_of() {  # redis-benchmark --csv output on stdin: "test p99" lines
  awk -F'","' 'NR > 1 {gsub(/"/, "", $1); gsub(/"/, "", $7); print $1, $7}'
}

load_keys() {
  $PY - "$KEYS" <<'PYEOF' | $CLI -p "$1" --pipe > /dev/null
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
for i in range(n):
    k = b"key:%d" % i
    v = b"value-%010d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
PYEOF
}

run() {
  local name="$1"; shift
  local dir port pid
  dir="$(mktemp -d)"
  port="$(free_port)"
  "$@" --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" > "$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do $CLI -p "$port" ping > /dev/null 2>&1 && break; sleep 0.1; done
  load_keys "$port"
  local keys before base during peak start end
  keys="$($CLI -p "$port" dbsize)"
  base="$($BENCH -p "$port" -c 50 -n "$REQS" -r "$KEYS" -t get,set --csv | p99_of)"
  # "Before the save": after the baseline run, whose writes already reshaped the heap.
  sleep 1
  before="$(pss_kb "$pid")"
  ( while :; do
      total=$(pss_kb "$pid")
      for c in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do total=$((total + $(pss_kb "$c"))); done
      echo "$total"
      sleep 0.02
    done ) > "$dir/pss.samples" &
  local sampler=$!
  start=$(date +%s.%N)
  $CLI -p "$port" bgsave > /dev/null
  $BENCH -p "$port" -c 50 -n "$REQS" -r "$KEYS" -t get,set --csv > "$dir/during.csv" &
  local bench=$!
  until [ "$($CLI -p "$port" info persistence | tr -d '\r' | awk -F: '/^rdb_bgsave_in_progress/ {print $2}')" = "0" ]; do
    sleep 0.02
  done
  end=$(date +%s.%N)
  wait "$bench"
  during="$(p99_of < "$dir/during.csv")"
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  peak=$(sort -n "$dir/pss.samples" | tail -1)
  printf '%-8s keys=%s save=%.2fs pss_before=%dMB pss_peak=%dMB ratio=%.2f\n' "$name" "$keys" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')" $((before / 1024)) $((peak / 1024)) \
    "$(awk -v a="$peak" -v b="$before" 'BEGIN {print a / b}')"
  paste <(echo "$base") <(echo "$during") | awk -v n="$name" '{printf "%-8s %-4s p99 without save %6.3f ms, during save %6.3f ms (x%.2f)\n", n, $1, $2, $4, ($2 > 0 ? $4 / $2 : 0)}'
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

run terndb "$TERNDB" --server-threads 2
run tn-fork "$TERNDB" --server-threads 2 --use-fork yes
run redis "$REDIS" --appendonly no
