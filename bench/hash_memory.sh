#!/usr/bin/env bash
# Memory of small hashes in terndb-server and redis-server: fresh instances of both are
# loaded with N hashes "hash:<i>" of 10 fields each (listpack-encoded in both), through
# redis-cli --pipe, and their resident memory (VmRSS) is read before and after.
#
# Two shapes of data, each in its own pair of fresh instances:
#   strings   fields "field:0".."field:9", values "value-<i>-<j>" (short strings)
#   integers  fields "f0".."f9", values small integers (<i> * 10 + <j>) mod 100000
#
# Usage: bench/hash_memory.sh [N]     (default N = 100000)
# Environment: TERNDB_SERVER, REDIS_SERVER, REDIS_CLI override binaries.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$script_dir/lib.sh"

hashes=${1:-100000}

work=$(mktemp -d /tmp/terndb-hashmem.XXXXXX)
pid=""
cleanup() {
  if [[ -n $pid ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# start NAME: a fresh server on a free loopback port; sets $pid and $port.
start() {
  rm -rf "${work:?}/$1"
  bench_launch "$1" "$work/$1"
  pid=$BENCH_PID
  port=$BENCH_PORT
}

stop() {
  bench_stop "$pid"
  pid=""
}

# The HSET commands in RESP for one shape.
gen_load() {
  "$PY" - "$hashes" "$1" <<'EOF'
import sys
n, shape = int(sys.argv[1]), sys.argv[2]
out = sys.stdout.buffer
def cmd(args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)
batch = []
for i in range(n):
    args = [b"HSET", b"hash:%d" % i]
    for j in range(10):
        if shape == "strings":
            args += [b"field:%d" % j, b"value-%d-%d" % (i, j)]
        else:
            args += [b"f%d" % j, b"%d" % ((i * 10 + j) % 100000)]
    batch.append(cmd(args))
    if len(batch) == 1000:
        out.write(b"".join(batch))
        batch = []
out.write(b"".join(batch))
EOF
}

# measure NAME SHAPE: prints "rss_before_kb rss_after_kb encoding".
measure() {
  local name=$1 shape=$2 before after pipe_out enc keys
  start "$name"
  sleep 0.3  # let start-up allocations settle
  before=$(rss_kb "$pid")
  pipe_out=$(gen_load "$shape" | "$REDIS_CLI" -p "$port" --pipe 2>&1)
  if ! grep -q "errors: 0, replies: $hashes" <<<"$pipe_out"; then
    echo "loading $name failed: $pipe_out" >&2
    exit 1
  fi
  keys=$("$REDIS_CLI" -p "$port" dbsize)
  enc=$("$REDIS_CLI" -p "$port" object encoding hash:0)
  if [[ $keys != "$hashes" ]]; then
    echo "$name holds $keys keys after loading $hashes" >&2
    exit 1
  fi
  sleep 0.3
  after=$(rss_kb "$pid")
  stop
  echo "$before $after $enc"
}

echo "== $hashes hashes x 10 fields, fresh instances, VmRSS =="
for shape in strings integers; do
  read -r t0 t1 tenc < <(measure terndb "$shape")
  read -r r0 r1 renc < <(measure redis "$shape")
  "$PY" - "$shape" "$hashes" "$t0" "$t1" "$tenc" "$r0" "$r1" "$renc" <<'EOF'
import sys
shape, n = sys.argv[1], int(sys.argv[2])
t0, t1, r0, r1 = (int(x) for x in (sys.argv[3], sys.argv[4], sys.argv[6], sys.argv[7]))
tenc, renc = sys.argv[5], sys.argv[8]
print(f"-- {shape} (encoding: terndb {tenc}, redis {renc})")
print(f"  {'':<28}{'terndb':>10}{'redis':>10}{'ratio':>8}")
rows = [("RSS before load (MB)", t0 / 1024, r0 / 1024),
        ("RSS after load (MB)", t1 / 1024, r1 / 1024),
        ("RSS growth (MB)", (t1 - t0) / 1024, (r1 - r0) / 1024),
        ("RSS growth per hash (B)", (t1 - t0) * 1024 / n, (r1 - r0) * 1024 / n)]
for label, t, r in rows:
    print(f"  {label:<28}{t:>10.1f}{r:>10.1f}{t / r:>8.2f}")
EOF
done
