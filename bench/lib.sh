# Shared by the side-by-side scripts in bench/: the binaries, free loopback ports, and
# starting terndb-server or redis-server without persistence. Source it, do not run it.
#
# Environment: TERNDB_SERVER, REDIS_SERVER, REDIS_BENCHMARK, REDIS_CLI override binaries.

bench_repo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3
TERNDB_SERVER=${TERNDB_SERVER:-$bench_repo_dir/build/terndb-server}
REDIS_SERVER=${REDIS_SERVER:-$(command -v redis-server || echo /usr/bin/redis-server)}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-$(command -v redis-benchmark || echo /usr/bin/redis-benchmark)}
REDIS_CLI=${REDIS_CLI:-$(command -v redis-cli || echo /usr/bin/redis-cli)}

bench_free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_launch NAME DIR [ARGS...]: starts terndb-server (NAME "terndb") or redis-server
# (any other NAME) on a free loopback port with no snapshots or AOF, DIR as its working
# directory and DIR/log as its log, ARGS appended to its command line; returns once it
# answers PING. Sets BENCH_PID and BENCH_PORT. Exits, printing the log, if it does not start.
bench_launch() {
  local name=$1 dir=$2
  shift 2
  mkdir -p "$dir"
  BENCH_PORT=$(bench_free_port)
  local server=$REDIS_SERVER
  [[ $name == terndb ]] && server=$TERNDB_SERVER
  "$server" --port "$BENCH_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
    "$@" >"$dir/log" 2>&1 &
  BENCH_PID=$!
  local i
  for i in $(seq 100); do
    [[ $("$REDIS_CLI" -p "$BENCH_PORT" ping 2>/dev/null) == PONG ]] && return 0
    kill -0 "$BENCH_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not start; log:" >&2
  cat "$dir/log" >&2
  exit 1
}

# start_server NAME: bench_launch in "$work/NAME", giving terndb --server-threads "$threads";
# records the server in the caller's associative arrays server_pid and server_port (which
# the caller declares, and stops in its cleanup).
start_server() {
  local name=$1 extra=()
  [[ $name == terndb ]] && extra=(--server-threads "$threads")
  bench_launch "$name" "$work/$name" "${extra[@]}"
  server_pid[$name]=$BENCH_PID
  server_port[$name]=$BENCH_PORT
}

# bench_stop PID: stops a server and reaps it.
bench_stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
