# terndb container image.
#
#   docker build -t terndb .
#   docker run -p 6379:6379 -v terndb-data:/data -e TERNDB_PASSWORD=<password> terndb
#   docker run -p 6379:6379 terndb --maxmemory 100mb   # extra args go to the server
#
# Settings from the environment (see README, "Settings from the environment"):
# TERNDB_PASSWORD or KEYDB_PASSWORD (requirepass and masterauth), MAXMEMORY,
# MAXMEMORY_POLICY, TERNDB_PEERS.

# Build stage: the same script README and CI build with (./run.sh --build-only installs
# the Debian packages of .ci/packages.sh and builds Release into build/).
# TERNDB_CONF_OVERLAY names a file appended to the config (conf/examples/cache.conf...).
FROM debian:bookworm AS build
ARG TERNDB_CONF_OVERLAY=
WORKDIR /src
# The package list first: the installed packages stay a cached layer across source changes.
COPY .ci/packages.sh .ci/packages.sh
RUN bash -c '. .ci/packages.sh && ensure_packages "${TERNDB_BUILD_PACKAGES[@]}"'
COPY . .
RUN ./run.sh --build-only \
 && mkdir -p /out \
 && cat conf/terndb.conf conf/docker.conf ${TERNDB_CONF_OVERLAY} > /out/terndb.conf

# Runtime stage: the binary, exactly the shared libraries it links (ldd: jemalloc, the C++
# runtime, RocksDB for storage-provider flash and its libraries; Lua is linked statically)
# and the config; runs as a non-root user.
# tests/integration/test_container_root.py runs this stage's RUN line in a Debian 12 root.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjemalloc2 libstdc++6 libgcc-s1 \
    librocksdb7.8 libgflags2.2 libsnappy1v5 zlib1g libbz2-1.0 liblz4-1 libzstd1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system terndb \
 && useradd --system --gid terndb --home-dir /data --no-create-home --shell /usr/sbin/nologin terndb \
 && mkdir -p /data /etc/terndb \
 && chown terndb:terndb /data /etc/terndb
COPY --from=build /src/build/terndb-server /usr/local/bin/terndb-server
COPY --from=build --chown=terndb:terndb /out/terndb.conf /etc/terndb/terndb.conf
VOLUME /data
WORKDIR /data
EXPOSE 6379
USER terndb
# Liveness without redis-cli in the image: bash's /dev/tcp sends an inline PING; +PONG, or
# -NOAUTH when a password is set, both prove the server answers.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\\r\\n' >&3 && read -r -t 2 reply <&3 && [[ $reply == +PONG* || $reply == -NOAUTH* ]]"]
ENTRYPOINT ["terndb-server", "/etc/terndb/terndb.conf"]
