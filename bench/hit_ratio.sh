#!/usr/bin/env bash
# Cache hit ratio at a memory limit, terndb-server and redis-server side by side in one run.
#
# Workload (bench/hit_ratio_driver.cc): read-through over N keys (default 1,000,000) drawn
# from Zipf(0.99): GET, and SET the key (VALUE bytes) when the GET missed. maxmemory is
# sized for about 10% of the keys in redis-server: a fresh redis-server is loaded with N/10
# keys of the workload's shape and its used_memory is taken as the limit for both servers.
# For allkeys-lru and allkeys-lfu, each server starts fresh with that limit, runs WARMUP
# requests, then MEASURED requests whose hit ratio is reported, and the number of keys it
# holds at the limit.
#
# Usage: bench/hit_ratio.sh [--keys N] [--warmup N] [--requests N] [--value BYTES]
# Environment: TERNDB_SERVER, REDIS_SERVER, REDIS_CLI, HIT_RATIO_DRIVER override binaries.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$script_dir")
source "$script_dir/lib.sh"
DRIVER=${HIT_RATIO_DRIVER:-$repo_dir/build/bench/hit_ratio_driver}

keys=1000000
warmup=2000000
requests=2000000
value=32
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keys) keys=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --value) value=$2; shift 2 ;;
    *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
for bin in "$TERNDB_SERVER" "$REDIS_SERVER" "$REDIS_CLI" "$DRIVER"; do
  [[ -x $bin ]] || { echo "missing $bin (build first: ninja -C build)" >&2; exit 1; }
done

workdir=$(mktemp -d)
pid=""
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

# start NAME [options...]: a fresh server with those options; sets $pid and $port.
start() {
  local name=$1
  shift
  rm -rf "${workdir:?}/$name"
  bench_launch "$name" "$workdir/$name" "$@"
  pid=$BENCH_PID
  port=$BENCH_PORT
}
stop() {
  bench_stop "$pid"
  pid=""
}
used_memory() {
  "$REDIS_CLI" -p "$port" info memory | tr -d '\r' | awk -F: '$1 == "used_memory" {print $2}'
}

# The limit: what redis-server uses with a tenth of the keys loaded.
start redis
"$PY" - "$((keys / 10))" "$value" <<'PYEOF' | "$REDIS_CLI" -p "$port" --pipe >/dev/null
import sys
n, size = int(sys.argv[1]), int(sys.argv[2])
value = b"v" * size
out = sys.stdout.buffer
for i in range(n):
    key = b"key:%07d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, size, value))
PYEOF
maxmemory=$(used_memory)
stop
echo "== hit ratio: Zipf(0.99) read-through over $keys keys, ${value}-byte values =="
echo "   maxmemory $maxmemory bytes (redis-server with $((keys / 10)) keys);" \
     "$warmup warm-up + $requests measured requests"
printf "  %-14s %-8s %10s %12s\n" policy server hit_ratio keys_at_limit
for policy in allkeys-lru allkeys-lfu; do
  for name in terndb redis; do
    start "$name" --maxmemory "$maxmemory" --maxmemory-policy "$policy"
    read -r _ ratio _ count _ errors < <("$DRIVER" "$port" "$keys" "$warmup" "$requests" "$value")
    stop
    printf "  %-14s %-8s %10s %12s%s\n" "$policy" "$name" "$ratio" "$count" \
      "$([[ $errors != 0 ]] && echo "  ($errors errors)")"
  done
done
echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg)"
