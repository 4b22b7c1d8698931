#!/usr/bin/env bash
# Latency and memory cost of a background save, terndb-server and redis-server side by side.
#
# For each server: a fresh instance in a temp dir is loaded with KEYS keys "key:<i>"
# (16-byte values, through redis-cli --pipe). Then for SET and then GET:
#   1. baseline: redis-benchmark -c 50 -t <test> -r KEYS for REQS requests: its p99;
#   2. during a save: BGSAVE, then the same benchmark at once: its p99. Each test gets a
#      save of its own, and as many requests as the baseline served in 80% of the time a
#      save took with no load (measured first), so that the benchmark ends before the
#      save does: requests served after it would dilute the figure. The line shows how
#      long both took;
#   3. memory: after the rounds, one more save under the same load, during which
#      bench/save_monitor.py samples the server's PSS (plus the save child's, from
#      /proc/<pid>/smaps_rollup, so copy-on-write pages are counted once) every 20 ms; the
#      peak is compared with the server's PSS just before that save. Sampling PSS disturbs
#      the server (save_monitor.py says how much), so steps 1 and 2 run without it.
# Steps 1 and 2 run ROUNDS times per test (a line each); p99 swings from run to run on a
# small machine, so the summary line compares the medians.
# terndb runs twice: with its default forkless snapshot ("terndb") and with
# `use-fork yes` ("tn-fork").
# Usage: bench/bgsave_latency.sh [KEYS] [REQS]     (defaults 2000000 and 400000)
# Environment: ROUNDS (default 3); SERVERS (default "terndb tn-fork redis": which to run);
# THREADS (terndb's server-threads, default 2); TERNDB_SERVER, REDIS_SERVER,
# REDIS_BENCHMARK, REDIS_CLI override binaries.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
KEYS="${1:-2000000}"
REQS="${2:-400000}"
ROUNDS="${ROUNDS:-3}"
SERVERS="${SERVERS:-terndb tn-fork redis}"
THREADS="${THREADS:-2}"
TERNDB="${TERNDB_SERVER:-$ROOT/build/terndb-server}"
REDIS="${REDIS_SERVER:-redis-server}"
BENCH="${REDIS_BENCHMARK:-redis-benchmark}"
CLI="${REDIS_CLI:-redis-cli}"
PY=/usr/bin/python3

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

pss_kb() {  # PSS of a pid in kB, 0 when gone
  awk '/^Pss:/ {print $2; found=1} END {if (!found) print 0}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0
}

p99_of() {  # redis-benchmark --csv output on stdin: "<ops/s> <p99 ms>" of its one test
  awk -F'","' 'NR > 1 {gsub(/"/, "", $2); gsub(/"/, "", $7); print $2, $7}'
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
  local keys test base during before t0 t1 save_s peak probe_s rate n
  keys="$($CLI -p "$port" dbsize)"
  # A save with no load first, to size the benchmarks run during a save below.
  $CLI -p "$port" bgsave > /dev/null
  read -r probe_s _ < <("$PY" "$ROOT/bench/save_monitor.py" "$port" "$pid")
  for test in set get; do
    local bases="" durings=""
    for round in $(seq "$ROUNDS"); do
      base="$($BENCH -p "$port" -c 50 -n "$REQS" -r "$KEYS" -t "$test" --csv | p99_of)"
      # As many requests as the baseline served in 80% of the unloaded save's time: a save
      # under load takes no less, so every request measured below is sent during the save.
      rate="${base%% *}"
      n=$(awk -v r="$rate" -v s="$probe_s" 'BEGIN {n = int(r * s * 0.8); print (n < 10000 ? 10000 : n)}')
      sleep 1
      $CLI -p "$port" bgsave > /dev/null
      "$PY" "$ROOT/bench/save_monitor.py" "$port" "$pid" --no-memory > "$dir/save.txt" &
      local monitor=$!
      t0=$(date +%s.%N)
      during="$($BENCH -p "$port" -c 50 -n "$n" -r "$KEYS" -t "$test" --csv | p99_of)"
      t1=$(date +%s.%N)
      wait "$monitor"
      read -r save_s _ < "$dir/save.txt"
      printf '%-8s %-4s p99 without save %6.3f ms, during save %6.3f ms (x%.2f); ' "$name" \
        "${test^^}" "${base#* }" "${during#* }" \
        "$(awk -v a="${during#* }" -v b="${base#* }" 'BEGIN {print (b > 0 ? a / b : 0)}')"
      printf '%d requests in %.1fs, save %.1fs of %s keys\n' \
        "$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "$save_s" "$keys"
      keys="$($CLI -p "$port" dbsize)"
      bases+="${base#* } "; durings+="${during#* } "
    done
    # Memory: a save under the same load, its PSS sampled ("before": after the load above,
    # whose writes already reshaped the heap).
    sleep 1
    before="$(pss_kb "$pid")"
    $CLI -p "$port" bgsave > /dev/null
    "$PY" "$ROOT/bench/save_monitor.py" "$port" "$pid" > "$dir/save.txt" &
    local monitor=$!
    $BENCH -p "$port" -c 50 -n "$n" -r "$KEYS" -t "$test" --csv > /dev/null
    wait "$monitor"
    read -r save_s peak < "$dir/save.txt"
    keys="$($CLI -p "$port" dbsize)"
    local mb md
    mb=$(echo "$bases" | tr ' ' '\n' | grep . | median)
    md=$(echo "$durings" | tr ' ' '\n' | grep . | median)
    printf '%-8s %-4s MEDIAN of %d: p99 without save %6.3f ms, during save %6.3f ms (x%.2f); ' \
      "$name" "${test^^}" "$ROUNDS" "$mb" "$md" "$(awk -v a="$md" -v b="$mb" 'BEGIN {print (b > 0 ? a / b : 0)}')"
    printf 'PSS %dMB -> peak %dMB during a save (x%.2f)\n' $((before / 1024)) $((peak / 1024)) \
      "$(awk -v a="$peak" -v b="$before" 'BEGIN {print a / b}')"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

for server in $SERVERS; do
  case "$server" in
    terndb) run terndb "$TERNDB" --server-threads "$THREADS" ;;
    tn-fork) run tn-fork "$TERNDB" --server-threads "$THREADS" --use-fork yes ;;
    redis) run redis "$REDIS" --appendonly no ;;
    *) echo "unknown server: $server" >&2; exit 2 ;;
  esac
done
