# Debian packages terndb needs, and how to install the missing ones. Sourced by run.sh
# and test.sh so both use one list.

# Building the server (GoogleTest and Google Benchmark too: the build configures the test
# and benchmark targets) and redis-cli for talking to it.
TERNDB_BUILD_PACKAGES=(
  cmake ninja-build g++ pkg-config
  libasio-dev libjemalloc-dev libconcurrentqueue-dev librocksdb-dev
  liblua5.1-0-dev lua-cjson-dev lua-bitop-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  redis-tools
)

# Running the test suite: redis-server to compare replies with, and the client libraries
# the integration tests drive terndb with (ruby-actioncable: its Redis pub/sub adapter),
# debootstrap for the test that runs the Dockerfile's runtime stage in a Debian 12 root.
TERNDB_TEST_PACKAGES=(
  redis-server redis-tools debootstrap
  python3-redis
  ruby ruby-redis ruby-sidekiq ruby-actioncable
)

# ensure_packages PKG...: installs those not installed yet. apt-get update runs only when
# something is missing, so an equipped machine needs no network.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  echo "Installing Debian packages: ${missing[*]}"
  # Packages with a daemon (redis-server) must not start it: the tests run their own
  # servers on free ports. policy-rc.d answering 101 is Debian's way to say so; keep an
  # existing one (container images ship their own).
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    own_policy=1
  fi
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
  local rc=0
  "${apt[@]}" update -qq && "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" \
    </dev/null || rc=$?
  [ $own_policy -eq 1 ] && "${sudo[@]}" rm -f "$policy"
  return $rc
}

# stop_redis_service: Debian's redis-server package may have started (and enabled) a
# system service on port 6379 on machines where policy-rc.d did not prevent it. Nothing
# of terndb uses it; stop and disable it so that no stray server answers on 6379.
stop_redis_service() {
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    if systemctl is-active --quiet redis-server 2>/dev/null; then
      echo "Stopping the redis-server system service"
      "${sudo[@]}" systemctl stop redis-server || true
    fi
    if systemctl is-enabled --quiet redis-server 2>/dev/null; then
      "${sudo[@]}" systemctl disable --quiet redis-server || true
    fi
  elif [ -x /etc/init.d/redis-server ]; then
    if "${sudo[@]}" /etc/init.d/redis-server status >/dev/null 2>&1; then
      echo "Stopping the redis-server system service"
      "${sudo[@]}" /etc/init.d/redis-server stop >/dev/null 2>&1 || true
    fi
    if compgen -G "/etc/rc[2-5].d/S*redis-server" >/dev/null; then
      "${sudo[@]}" update-rc.d redis-server disable >/dev/null 2>&1 || true
    fi
  fi
}
