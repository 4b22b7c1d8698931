#!/usr/bin/env bash
# Pub/sub fan-out throughput of terndb-server and redis-server in one run: messages
# delivered per second to the subscribers of one channel.
#
# redis-benchmark cannot measure this (it only times the publisher), so the load comes
# from build/bench/pubsub_bench: N subscriber connections, one publisher pipelining
# PUBLISH in batches of 100, reader threads that drain the subscribers; the clock stops
# when every subscriber holds every message. Each scenario runs on both servers in turn
# (terndb, redis, terndb, redis, ...) for several rounds so that drifts in machine load
# hit both alike; the table shows the median deliveries/s and publishes/s.
#
# Usage: bench/pubsub_compare.sh [options]
#   --scenarios LIST  comma-separated SUBSCRIBERSxMESSAGES (default 50x200000,500x20000)
#   --payload BYTES   message size (default 32)
#   --rounds N        rounds (default 3)
#   --threads N       terndb --server-threads (default 2)
#   --quick           smoke run: 1 round, 10x20000 and 100x2000
# Environment: TERNDB_SERVER, REDIS_SERVER, PUBSUB_BENCH override binaries.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$script_dir")
source "$script_dir/lib.sh"

PUBSUB_BENCH=${PUBSUB_BENCH:-$repo_dir/build/bench/pubsub_bench}

scenarios="50x200000,500x20000"
payload=32
rounds=3
threads=2

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --scenarios) scenarios=$2; shift 2 ;;
    --payload) payload=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --quick) rounds=1; scenarios="10x20000,100x2000"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

for bin in "$TERNDB_SERVER" "$REDIS_SERVER" "$PUBSUB_BENCH" "$REDIS_CLI" "$PY"; do
  [[ -x "$bin" ]] || { echo "missing executable: $bin (build first: ninja -C build)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/terndb-pubsub-compare.XXXXXX)
declare -A server_pid=() server_port=()

cleanup() {
  local pid
  for pid in "${server_pid[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pid[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

start_server terndb
start_server redis

echo "pub/sub fan-out: one channel, one publisher, ${payload}-byte messages, $rounds round(s);"
echo "terndb with $threads server threads; $(nproc) cores"
printf '\n%-22s %16s %16s %8s %14s %14s\n' scenario "terndb deliv/s" "redis deliv/s" ratio \
  "terndb pub/s" "redis pub/s"

IFS=, read -r -a scenario_list <<<"$scenarios"
for scenario in "${scenario_list[@]}"; do
  subscribers=${scenario%x*}
  messages=${scenario#*x}
  declare -A deliveries=() publishes=()
  for name in terndb redis; do deliveries[$name]=""; publishes[$name]=""; done
  for round in $(seq "$rounds"); do
    for name in terndb redis; do
      out=$("$PUBSUB_BENCH" --port "${server_port[$name]}" --subscribers "$subscribers" \
        --messages "$messages" --payload "$payload") || {
        echo "pubsub_bench failed against $name" >&2
        exit 1
      }
      d=$(sed -E 's/.*deliveries_per_sec=([0-9]+).*/\1/' <<<"$out")
      p=$(sed -E 's/.*publishes_per_sec=([0-9]+).*/\1/' <<<"$out")
      deliveries[$name]+="$d"$'\n'
      publishes[$name]+="$p"$'\n'
    done
  done
  td=$(median <<<"${deliveries[terndb]%$'\n'}")
  rd=$(median <<<"${deliveries[redis]%$'\n'}")
  tp=$(median <<<"${publishes[terndb]%$'\n'}")
  rp=$(median <<<"${publishes[redis]%$'\n'}")
  ratio=$(awk -v a="$td" -v b="$rd" 'BEGIN { printf "%.2fx", (b > 0) ? a / b : 0 }')
  printf '%-22s %16.0f %16.0f %8s %14.0f %14.0f\n' "${subscribers} subs x ${messages}" \
    "$td" "$rd" "$ratio" "$tp" "$rp"
done
