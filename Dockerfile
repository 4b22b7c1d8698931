# terndb container image.
#
#   docker build -t terndb .
#   docker run -p 6379:6379 -v terndb-data:/data terndb
#   docker run -p 6379:6379 terndb --requirepass <password>   # extra args go to the server
#
# Build stage: the same packages and the same Release build as ./run.sh.
FROM debian:bookworm AS build
WORKDIR /src
COPY .ci/packages.sh .ci/packages.sh
RUN bash -c '. .ci/packages.sh && ensure_packages "${TERNDB_BUILD_PACKAGES[@]}"'
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && ninja -C build -j2 terndb-server \
 && mkdir -p /out \
 && cat conf/terndb.conf conf/docker.conf > /out/terndb.conf

# Runtime stage: the binary, its shared libraries and the config; runs as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjemalloc2 libstdc++6 libgcc-s1 \
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
ENTRYPOINT ["terndb-server", "/etc/terndb/terndb.conf"]
