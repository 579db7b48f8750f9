# syntax=docker/dockerfile:1
# statuswatch in a container: the daemon (`run`) with its database on a volume.
#
#   docker build -t statuswatch .
#   docker run -d --name statuswatch -v statuswatch-data:/data -p 127.0.0.1:8080:8080 statuswatch
#   docker exec statuswatch statuswatch status
#
# The database is /data/statuswatch.db (the volume; the first start imports the bundled
# catalog). A configuration (webhooks, schedule) is read from /etc/statuswatch/config.toml when
# one is mounted there: -v ./statuswatch.toml:/etc/statuswatch/config.toml:ro; secrets come in
# as environment variables (-e SLACK_URL=... with url_env = "SLACK_URL"). `docker kill -s HUP`
# re-reads it.

# Build: the release binary, from the locked dependency versions.
FROM rust:1.89-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin statuswatch \
    && install -m 0755 target/release/statuswatch /usr/local/bin/statuswatch

# Run: a small Debian with the binary and an unprivileged user. TLS roots are compiled into
# the binary (webpki-roots), so the image needs no ca-certificates package.
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin statuswatch \
    && mkdir -p /data /etc/statuswatch \
    && chown statuswatch:statuswatch /data
COPY --from=build /usr/local/bin/statuswatch /usr/local/bin/statuswatch
ENV STATUSWATCH_DB=/data/statuswatch.db \
    XDG_CONFIG_HOME=/etc
WORKDIR /data
VOLUME /data
USER 10001:10001
EXPOSE 8080
# /healthz of the API the daemon serves with --listen; the image has no curl, so bash's
# /dev/tcp asks for it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && grep -q '^HTTP/1.[01] 200' <&3"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["statuswatch"]
CMD ["run", "--listen", "0.0.0.0:8080", "--grace-secs", "10"]
