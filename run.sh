#!/usr/bin/env bash
# Installs what is missing, builds terndb (Release, into build/) and runs it in the
# foreground with conf/terndb.conf. Extra arguments are passed to the server, e.g.
#   ./run.sh --port 6380 --loglevel verbose
# `./run.sh --build-only` installs and builds, then exits (the Dockerfile's build stage).
set -euo pipefail
cd "$(dirname "$0")"
source .ci/packages.sh

ensure_packages "${TERNDB_BUILD_PACKAGES[@]}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build -j2 terndb-server
if [ "${1:-}" = "--build-only" ]; then exit 0; fi
exec build/terndb-server conf/terndb.conf "$@"
