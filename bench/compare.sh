#!/usr/bin/env bash
# Side-by-side throughput, latency, CPU efficiency and memory of terndb-server and
# redis-server on loopback.
#
# Throughput: for each test and pipelining (none, -P 16), the two
# servers are driven in turn (terndb, redis, terndb, redis, ...) for several rounds, so
# slow drifts in machine load hit both alike. Each run uses two redis-benchmark processes
# at once (25 clients each, 50 in all), because one redis-benchmark process is a single
# thread and cannot load a multi-threaded server; their rates are added. (redis-benchmark's
# own --threads mode rounds its timing to 250 ms, which makes short runs meaningless.)
#
# Per run: ops/s (sum of both processes), p50 (mean of both) and p99 (larger of both)
# latency, and the server's CPU time (utime+stime from /proc/<pid>/stat) to give ops per
# server CPU-second, a measure that does not depend on how many cores the server used.
# The tables show medians over the rounds.
#
# Tests: redis-benchmark's own set, get, incr, mset, lpush, rpop, sadd and hset; zadd is
# the command line "ZADD myzset __rand_int__ element:__rand_int__"; evalsha10 is EVALSHA of
# a script making 10 redis.call's on its key (loaded with SCRIPT LOAD into both servers),
# run as "EVALSHA <sha> 1 key:__rand_int__". lpush runs before rpop with the same request
# count, so every RPOP finds an element.
#
# Memory: fresh instances of both, loaded with exactly N keys "key:<i>" holding 16-byte
# strings through redis-cli --pipe, without and then with a TTL on every key; RSS (VmRSS)
# and INFO used_memory growth per key.
#
# Usage: bench/compare.sh [options]
#   -n N             requests per run, both processes together (default: sized from a short
#                    calibration run against redis so that a run takes about 4 s)
#   --quick          smoke run: 1 round, ~0.5 s runs, 100000 keys in the memory step
#   --threads N      terndb --server-threads (default 2)
#   --only TESTS     comma-separated subset of
#                    set,get,incr,mset,lpush,rpop,sadd,hset,zadd,evalsha10
#   --rounds N       rounds (default 3)
#   --keyspace N     redis-benchmark -r (random keys out of N; default 100000, 0 = one key)
#   --mem-keys N     keys in the memory step (default 1000000; 0 skips the step)
#   --no-memory      same as --mem-keys 0
# Environment: TERNDB_SERVER, REDIS_SERVER, REDIS_BENCHMARK, REDIS_CLI override binaries.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$script_dir/lib.sh"


requests=""
rounds=3
threads=2
tests="set,get,incr,mset,lpush,rpop,sadd,hset,zadd,evalsha10"
keyspace=100000
mem_keys=1000000
target_seconds=4
clients_per_process=25
pipelines=(1 16)

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) requests=$2; shift 2 ;;
    --quick) rounds=1; target_seconds=0.5; mem_keys=100000; shift ;;
    --threads) threads=$2; shift 2 ;;
    --only) tests=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --keyspace) keyspace=$2; shift 2 ;;
    --mem-keys) mem_keys=$2; shift 2 ;;
    --no-memory) mem_keys=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

IFS=, read -r -a test_list <<<"$tests"
for t in "${test_list[@]}"; do
  case "$t" in
    set|get|incr|mset|lpush|rpop|sadd|hset|zadd|evalsha10) ;;
    *) echo "unknown test: $t" >&2; exit 2 ;;
  esac
done
for bin in "$TERNDB_SERVER" "$REDIS_SERVER" "$REDIS_BENCHMARK" "$REDIS_CLI" "$PY"; do
  [[ -x "$bin" ]] || { echo "missing executable: $bin" >&2; exit 1; }
done

clk_tck=$(getconf CLK_TCK)
work=$(mktemp -d /tmp/terndb-compare.XXXXXX)
declare -A server_pid=() server_port=()
client_pids=()

cleanup() {
  local pid
  for pid in "${client_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pid[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pid[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


stop_server() {
  local name=$1 pid=${server_pid[$1]:-}
  [[ -n $pid ]] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "server_pid[$name]"
}

# CPU ticks (utime + stime) of a process; fields counted after the ")" ending the name.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# Prints "rps p50 p99" from one redis-benchmark --csv output, locating the columns by the
# header's names rather than by position.
csv_fields() {
  awk -F'","' '
    NR == 1 {
      for (i = 1; i <= NF; i++) { gsub(/"/, "", $i); col[$i] = i }
      if (!("rps" in col) || !("p50_latency_ms" in col) || !("p99_latency_ms" in col)) {
        print "unexpected redis-benchmark CSV header: " $0 > "/dev/stderr"; exit 1
      }
      next
    }
    /^"/ {
      for (i = 1; i <= NF; i++) gsub(/"/, "", $i)
      print $col["rps"], $col["p50_latency_ms"], $col["p99_latency_ms"]; found = 1; exit
    }
    END { if (!found) exit 1 }' "$1"
}

# The 10-call script of the evalsha10 test: string commands on its one key, every call
# valid on every run (the key ends deleted).
eval_script="local k = KEYS[1]
redis.call('SET', k, '1')
redis.call('INCR', k)
redis.call('INCRBY', k, 2)
redis.call('GET', k)
redis.call('EXISTS', k)
redis.call('EXPIRE', k, 100)
redis.call('TTL', k)
redis.call('STRLEN', k)
redis.call('GETRANGE', k, 0, 0)
redis.call('DEL', k)
return 1"
script_sha=""

# load_script NAME: SCRIPT LOAD of eval_script into a server; sets script_sha.
load_script() {
  local sha
  sha=$("$REDIS_CLI" -p "${server_port[$1]}" script load "$eval_script")
  if [[ ! $sha =~ ^[0-9a-f]{40}$ ]] || [[ -n $script_sha && $sha != "$script_sha" ]]; then
    echo "SCRIPT LOAD into $1 answered: $sha" >&2
    exit 1
  fi
  script_sha=$sha
}

# bench_args TEST: sets bench_cmd to what selects the test on redis-benchmark's command line
# (placed last: options first, then a custom command).
bench_args() {
  case "$1" in
    zadd) bench_cmd=(ZADD myzset __rand_int__ element:__rand_int__) ;;
    evalsha10) bench_cmd=(EVALSHA "$script_sha" 1 key:__rand_int__) ;;
    *) bench_cmd=(-t "$1") ;;
  esac
}

# run_pair NAME TEST PIPELINE N: one measured run; prints "ops p50 p99 cpu_s ops_per_cpu".
run_pair() {
  local name=$1 test=$2 pipeline=$3 n=$4
  local port=${server_port[$name]} pid=${server_pid[$name]}
  local half=$(((n + 1) / 2)) before after k
  local r_args=()
  [[ $keyspace -gt 0 ]] && r_args=(-r "$keyspace")
  bench_args "$test"
  before=$(cpu_ticks "$pid")
  client_pids=()
  for k in 1 2; do
    timeout 300 "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" -c "$clients_per_process" \
      -n "$half" -P "$pipeline" "${r_args[@]}" --csv "${bench_cmd[@]}" \
      >"$work/out.$k" 2>"$work/err.$k" &
    client_pids+=($!)
  done
  local failed=0
  for k in "${client_pids[@]}"; do wait "$k" || failed=1; done
  client_pids=()
  after=$(cpu_ticks "$pid")
  local f1 f2
  if [[ $failed -ne 0 ]] || ! f1=$(csv_fields "$work/out.1") || ! f2=$(csv_fields "$work/out.2"); then
    echo "redis-benchmark failed against $name ($test -P $pipeline):" >&2
    cat "$work"/out.* "$work"/err.* >&2
    exit 1
  fi
  "$PY" - "$f1" "$f2" "$before" "$after" "$clk_tck" "$((half * 2))" <<'EOF'
import sys
a, b = (list(map(float, s.split())) for s in sys.argv[1:3])
before, after, tck, total = map(float, sys.argv[3:7])
cpu = (after - before) / tck
opc = total / cpu if cpu > 0 else float("nan")
print(f"{a[0] + b[0]:.0f} {(a[1] + b[1]) / 2:.3f} {max(a[2], b[2]):.3f} {cpu:.2f} {opc:.0f}")
EOF
}

# Requests for a run of about target_seconds, from a short run against redis.
calibrate() {
  local test=$1 pipeline=$2 probe
  probe=$([[ $pipeline -gt 1 ]] && echo 100000 || echo 20000)
  local rate
  rate=$(run_pair redis "$test" "$pipeline" "$probe" | awk '{print $1}')
  "$PY" -c "import sys; r, t = float(sys.argv[1]), float(sys.argv[2]); \
print(max(10000, int(round(r * t / 10000.0)) * 10000))" "$rate" "$target_seconds"
}

echo "== terndb vs redis on loopback =="
echo "date:      $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine:   $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg) (at start)"
echo "terndb:    $("$TERNDB_SERVER" --version) (--server-threads $threads)"
echo "redis:     $("$REDIS_SERVER" --version)"
echo "clients:   2 redis-benchmark processes x $clients_per_process connections," \
  "keyspace -r ${keyspace}, rounds $rounds"
echo "note:      clients and servers share the same cores; ops per server CPU-second is the"
echo "           figure least affected by that"
echo

start_server terndb
start_server redis
load_script terndb
load_script redis

results="$work/results.tsv"
: >"$results"
declare -A n_for=()
for test in "${test_list[@]}"; do
  for pl in "${pipelines[@]}"; do
    if [[ -n $requests ]]; then
      n_for[$test/$pl]=$requests
    elif [[ $test == rpop && -n ${n_for[lpush/$pl]:-} ]]; then
      n_for[$test/$pl]=${n_for[lpush/$pl]}  # pops exactly what lpush pushed
    else
      n_for[$test/$pl]=$(calibrate "$test" "$pl")
    fi
  done
done

echo "runs (server test pipeline round: ops/s p50_ms p99_ms server_cpu_s ops_per_cpu_s):"
for round in $(seq "$rounds"); do
  for test in "${test_list[@]}"; do
    for pl in "${pipelines[@]}"; do
      for name in terndb redis; do
        line=$(run_pair "$name" "$test" "$pl" "${n_for[$test/$pl]}")
        printf '  %-6s %-4s P%-2s r%s n=%-8s %s\n' "$name" "$test" "$pl" "$round" \
          "${n_for[$test/$pl]}" "$line"
        echo "$name $test $pl $round $line" >>"$results"
      done
    done
  done
done
echo

"$PY" - "$results" "$rounds" <<'EOF'
import statistics, sys
from collections import defaultdict

rows = defaultdict(list)
order = []
for line in open(sys.argv[1]):
    name, test, pl, _round, ops, p50, p99, cpu, opc = line.split()
    key = (test, int(pl))
    if key not in order:
        order.append(key)
    rows[key + (name,)].append((float(ops), float(p50), float(p99), float(opc)))

def med(key, i):
    return statistics.median(r[i] for r in rows[key])

def ratio(a, b):
    return f"{a / b:5.2f}" if b else "  n/a"

print(f"== medians over {sys.argv[2]} round(s); ratio = terndb / redis ==")
for test in dict.fromkeys(t for t, _ in order):
    print(f"\n{test.upper()}")
    print(f"  {'pipeline':<9}{'terndb ops/s':>13}{'redis ops/s':>13}{'ratio':>7}  "
          f"{'p50 ms t/r':>13}  {'p99 ms t/r':>15}  "
          f"{'terndb ops/cpu-s':>17}{'redis ops/cpu-s':>16}{'ratio':>7}")
    for t, pl in order:
        if t != test:
            continue
        a, b = (test, pl, "terndb"), (test, pl, "redis")
        print(f"  {('P' + str(pl)):<9}{med(a, 0):>13,.0f}{med(b, 0):>13,.0f}"
              f"{ratio(med(a, 0), med(b, 0)):>7}  "
              f"{med(a, 1):>6.3f}/{med(b, 1):<6.3f}  {med(a, 2):>7.3f}/{med(b, 2):<7.3f}  "
              f"{med(a, 3):>17,.0f}{med(b, 3):>16,.0f}{ratio(med(a, 3), med(b, 3)):>7}")
EOF

echo
echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg) (after throughput runs)"
stop_server terndb
stop_server redis

[[ $mem_keys -gt 0 ]] || exit 0

# Memory: exact keys, loaded through the mass-insert path real users take; once as plain
# strings and once with a TTL on every key (SET ... EX), since expiring keys cost Redis a
# second dictionary entry.
gen_load() {
  "$PY" - "$mem_keys" "$1" <<'EOF'
import sys
n = int(sys.argv[1])
ttl = sys.argv[2] == "ttl"
out = sys.stdout.buffer
chunk = []
for i in range(n):
    key = b"key:%d" % i
    value = b"val:%012d" % i  # 16 bytes, not a canonical integer: stored as a string
    if ttl:
        chunk.append(b"*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n$2\r\nEX\r\n$6\r\n100000\r\n"
                     % (len(key), key, value))
    else:
        chunk.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n" % (len(key), key, value))
    if len(chunk) == 10000:
        out.write(b"".join(chunk))
        chunk = []
out.write(b"".join(chunk))
EOF
}

# used_memory from INFO memory, or "n/a" when the server does not report it.
used_memory() {
  "$REDIS_CLI" -p "$1" info memory 2>/dev/null | tr -d '\r' |
    awk -F: '$1 == "used_memory" {print $2; found = 1} END {if (!found) print "n/a"}'
}

for variant in plain ttl; do
echo
if [[ $variant == ttl ]]; then
  echo "== memory: $mem_keys keys key:<i> -> 16-byte string with EX 100000, fresh instances =="
else
  echo "== memory: $mem_keys keys key:<i> -> 16-byte string, fresh instances =="
fi
declare -A rss0=() rss1=() um0=() um1=()
for name in terndb redis; do
  start_server "$name"
  port=${server_port[$name]}
  "$REDIS_CLI" -p "$port" flushall >/dev/null
  sleep 0.5
  rss0[$name]=$(rss_kb "${server_pid[$name]}")
  um0[$name]=$(used_memory "$port")
  pipe_out=$(gen_load "$variant" | "$REDIS_CLI" -p "$port" --pipe 2>&1)
  if ! grep -q "errors: 0, replies: $mem_keys" <<<"$pipe_out"; then
    echo "loading $name failed: $pipe_out" >&2
    exit 1
  fi
  keys=$("$REDIS_CLI" -p "$port" dbsize)
  if [[ $keys != "$mem_keys" ]]; then
    echo "$name holds $keys keys after loading $mem_keys" >&2
    exit 1
  fi
  sleep 1
  rss1[$name]=$(rss_kb "${server_pid[$name]}")
  um1[$name]=$(used_memory "$port")
  stop_server "$name"
done

"$PY" - "$mem_keys" "${rss0[terndb]}" "${rss1[terndb]}" "${um0[terndb]}" "${um1[terndb]}" \
  "${rss0[redis]}" "${rss1[redis]}" "${um0[redis]}" "${um1[redis]}" <<'EOF'
import sys
n = int(sys.argv[1])
def num(s):
    return None if s == "n/a" else float(s)
t = [num(s) for s in sys.argv[2:6]]
r = [num(s) for s in sys.argv[6:10]]

def per_key(before, after, scale):
    if before is None or after is None:
        return None
    return (after - before) * scale / n

def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)

rows = [
    ("RSS before load (MB)", t[0] / 1024, r[0] / 1024, ".1f"),
    ("RSS after load (MB)", t[1] / 1024, r[1] / 1024, ".1f"),
    ("RSS growth per key (B)", per_key(t[0], t[1], 1024), per_key(r[0], r[1], 1024), ".1f"),
    ("used_memory after (MB)", t[3] / 2**20 if t[3] is not None else None,
     r[3] / 2**20 if r[3] is not None else None, ".1f"),
    ("used_memory per key (B)", per_key(t[2], t[3], 1), per_key(r[2], r[3], 1), ".1f"),
]
print(f"  {'':<26}{'terndb':>12}{'redis':>12}{'ratio':>8}")
for label, a, b, spec in rows:
    ratio = fmt(a / b if a is not None and b else None, ".2f")
    print(f"  {label:<26}{fmt(a, spec):>12}{fmt(b, spec):>12}{ratio:>8}")
EOF
done
echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg) (at end)"
