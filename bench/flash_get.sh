#!/usr/bin/env bash
# GET throughput with flash storage: a 10% hot set in RAM against everything in RAM.
#
# N keys "key:%012d" of VALUE bytes are loaded, then redis-benchmark GETs keys drawn
# uniformly over all of them (-r N), so with 10% of the keys in RAM about 90% of GETs take
# the flash read path (RocksDB read, decode, bring the key back into RAM, evict another).
# Three servers, one after the other, same data and load:
#   ram        terndb without storage-provider, no maxmemory (everything in RAM)
#   flash-all  terndb with flash, no maxmemory (everything in RAM, written through to flash)
#   flash-10   terndb with flash, maxmemory sized for about 10% of the keys (allkeys-lru)
# Reported per server: GET requests/s, p50 and p99 latency (ms, redis-benchmark's), the
# share of the GETs served from RAM (INFO flash, over the benchmark); then the throughput ratio flash-10 / ram.
#
# Usage: bench/flash_get.sh [--keys N] [--value BYTES] [--requests N] [--clients N]
# Environment: TERNDB_SERVER, REDIS_BENCHMARK, REDIS_CLI override binaries.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$script_dir/lib.sh"

keys=50000
value=4096
requests=200000
clients=50
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keys) keys=$2; shift 2 ;;
    --value) value=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
for bin in "$TERNDB_SERVER" "$REDIS_BENCHMARK" "$REDIS_CLI"; do
  [[ -x $bin ]] || { echo "missing $bin (build first: ninja -C build)" >&2; exit 1; }
done

work=$(mktemp -d)
pid=""
cleanup() {
  [[ -n $pid ]] && bench_stop "$pid"
  rm -rf "$work"
}
trap cleanup EXIT

load() {  # load PORT: writes the N keys, pipelined
  "$PY" - "$1" "$keys" "$value" <<'EOF'
import socket, sys
port, n, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
value = (b"0123456789abcdef" * (size // 16 + 1))[:size]
batch, pending = [], 0
def drain(count):
    got, buf = 0, b""
    while got < count:
        buf += s.recv(1 << 16)
        got = buf.count(b"\r\n")
for i in range(n):
    key = b"key:%012d" % i
    batch.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, size, value))
    if len(batch) == 200 or i == n - 1:
        s.sendall(b"".join(batch))
        drain(len(batch))
        batch = []
EOF
}

info_field() {  # info_field PORT SECTION FIELD
  "$REDIS_CLI" -p "$1" info "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f {print $2}'
}

# run NAME ARGS...: starts terndb with ARGS, loads, benchmarks GET; prints one line and
# sets RPS.
run() {
  local name=$1
  shift
  bench_launch terndb "$work/$name" --server-threads 2 "$@"
  pid=$BENCH_PID
  local port=$BENCH_PORT
  USED0=$(info_field "$port" memory used_memory)
  load "$port"
  local dbsize
  dbsize=$("$REDIS_CLI" -p "$port" dbsize)
  [[ $dbsize == "$keys" ]] || { echo "$name: DBSIZE $dbsize, expected $keys" >&2; exit 1; }
  local hits0 reads0
  hits0=$(info_field "$port" flash flash_ram_hits)
  reads0=$(info_field "$port" flash flash_reads)
  local csv
  csv=$("$REDIS_BENCHMARK" -p "$port" -t get -n "$requests" -r "$keys" -d "$value" \
    -c "$clients" --csv | tail -1 | tr -d '"')
  # "GET",rps,avg,min,p50,p95,p99,max
  RPS=$(cut -d, -f2 <<<"$csv")
  local p50 p99 hit=""
  p50=$(cut -d, -f5 <<<"$csv")
  p99=$(cut -d, -f7 <<<"$csv")
  if [[ -n $hits0 ]]; then
    local hits reads
    hits=$(( $(info_field "$port" flash flash_ram_hits) - hits0 ))
    reads=$(( $(info_field "$port" flash flash_reads) - reads0 ))
    hit=$("$PY" -c "print('%.3f' % ($hits / max(1, $hits + $reads)))")
  fi
  printf "%-10s GET %10.0f req/s   p50 %6s ms   p99 %6s ms   RAM hit rate %s   used_memory %s\n" \
    "$name" "$RPS" "$p50" "$p99" "${hit:-n/a}" "$(info_field "$port" memory used_memory_human)"
  USED=$(info_field "$port" memory used_memory)
  bench_stop "$pid"
  pid=""
}

echo "keys $keys x $value bytes, $requests GETs uniform over all keys, $clients clients"
run ram
ram_rps=$RPS
ram_data=$(( USED - USED0 ))
run flash-all --storage-provider flash "$work/flash-all/flash"
# RAM for about 10% of the keys: an empty flash server's used_memory plus a tenth of the
# dataset's share measured in the all-in-RAM run.
bench_launch terndb "$work/empty" --storage-provider flash "$work/empty/flash"
base=$(info_field "$BENCH_PORT" memory used_memory)
bench_stop "$BENCH_PID"
maxmemory=$(( base + ram_data / 10 ))
run flash-10 --storage-provider flash "$work/flash-10/flash" \
  --maxmemory "$maxmemory" --maxmemory-policy allkeys-lru
"$PY" -c "print('ratio flash-10 / ram: %.3f' % ($RPS / $ram_rps))"
