# Builds sweepd, sweep-worker and sweep from Debian 12 packages only (no other downloads).
# Used by docker-compose.yml: one image, the service picks the binary.
FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN /src/scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . /src
# The build version each result records; .git is not in the build context.
ARG SWEEP_VERSION=unknown
RUN SWEEP_VERSION="$SWEEP_VERSION" cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DSWEEP_BUILD_TESTS=OFF \
 && cmake --build /build -j "$(nproc)" --target sweepd sweep-worker sweep

FROM debian:bookworm
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libspdlog1.10 libyaml-cpp0.7 libsqlite3-0 libssl3 sqlite3 \
      gnuplot-nox \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/bin/sweepd /build/bin/sweep-worker /build/bin/sweep /usr/local/bin/
COPY examples /examples
VOLUME /data
EXPOSE 7070
CMD ["sweepd", "--listen", "0.0.0.0:7070", "--db", "/data/sweep.db"]
