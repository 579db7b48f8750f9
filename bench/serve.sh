#!/usr/bin/env bash
# Serving benchmark (issue 16): with 1,000,000 entries archived and `statuswatch run` writing,
# how fast do the API and the board answer 50 concurrent clients?
#
#   bench/serve.sh                     # serve beside run; 3 wrk runs of 30 s per endpoint
#   MODES="serve listen" bench/serve.sh   # also `run --listen` (the daemon serving itself)
#   RUNS=1 DURATION=10s bench/serve.sh    # a quick look
#   ONLY='status|board' bench/serve.sh    # only the endpoints whose name matches
#   SKIP_BUILD=1 bench/serve.sh           # measure what target/release holds
#
# The archive: the generated corpus's 2,000 feeds (N × M entries served by nginx on 127.0.0.1,
# bench/lib.sh's corpus) imported, then ARCHIVE old resolved entries stored through the library's
# ingest (examples/fill_archive.rs: entries, revisions, timelines, incidents), then one real
# `poll` of the served feeds (current state, open incidents, events). Built once and kept in
# bench/cache/ (gitignored; delete it to rebuild); each run works on a copy.
#
# Then, on that copy: nginx serves the feeds, `statuswatch run --schedule SCHEDULE` polls them
# while CHANGED % of them change every CHANGE_EVERY seconds (a new open incident and a revised
# one each: run keeps writing), and `statuswatch serve` (or `run --listen`) answers. Each
# endpoint is loaded with wrk (CLIENTS connections, THREADS threads, DURATION, RUNS times; the
# median run is reported) while a sequential probe reads the board's `Server-Timing: render`;
# before that, PROBES sequential requests per endpoint give the unloaded latency. Endpoints that
# answer 404 (not built yet) are skipped. Loopback only: the database holds only feeds at
# 127.0.0.1 (checked before `run` starts), and nothing is installed: it says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=bench/nginx.sh
source "$ROOT/bench/nginx.sh"

N=${N:-2000}
M=${M:-25}
ARCHIVE=${ARCHIVE:-1000000}
PORT=${PORT:-8093}         # nginx: the feeds
API_PORT=${API_PORT:-8094} # statuswatch serve / run --listen
SCHEDULE=${SCHEDULE:-*/10 * * * * *}
CHANGED=${CHANGED:-10}
CHANGE_EVERY=${CHANGE_EVERY:-10}
CLIENTS=${CLIENTS:-50}
THREADS=${THREADS:-2}
DURATION=${DURATION:-30s}
RUNS=${RUNS:-3}
PROBES=${PROBES:-200}
TIMEOUT=${TIMEOUT:-10s}    # wrk counts an answer slower than this as a timeout, not a latency
MODES=${MODES:-serve}
FLOOR=${FLOOR:-1}          # 0: no static-file floor rows
ONLY=${ONLY:-}             # a regular expression: only the endpoints whose name matches
CACHE=${CACHE:-$ROOT/bench/cache}
OUT=${OUT:-$ROOT/bench/results}
# The queries: one vendor's outages since a date, and every vendor's since a later one.
VENDOR=${VENDOR:-vendor00042}
STATUS=${STATUS:-outage}
SINCE_VENDOR=${SINCE_VENDOR:-2024-01-01}
SINCE_ALL=${SINCE_ALL:-2025-10-01}
LIMIT=${LIMIT:-50}
ENDPOINTS=(
    "healthz|/healthz|text/plain"
    "status|/api/v1/status|application/json"
    "incidents: vendor+status+since|/api/v1/incidents?vendor=$VENDOR&status=$STATUS&since=$SINCE_VENDOR&limit=$LIMIT|application/json"
    "incidents: status+since|/api/v1/incidents?status=$STATUS&since=$SINCE_ALL&limit=$LIMIT|application/json"
    "incidents: resolved+since|/api/v1/incidents?status=resolved&since=$SINCE_ALL&limit=$LIMIT|application/json"
    "board|/|text/html"
)

say() { echo "serve bench: $*" >&2; }

missing=()
for tool in wrk curl python3 awk; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
    say "missing: ${missing[*]}; install them first, e.g. sudo apt-get install -y wrk nginx-light curl python3"
    exit 2
fi

if [ -z "${SKIP_BUILD:-}" ]; then
    say "building (release)"
    cargo build --release --quiet --bin statuswatch --example gen_feeds --example fill_archive
fi
SW=${SW_BIN:-$ROOT/target/release/statuswatch}
GEN=$ROOT/target/release/examples/gen_feeds
FILL=$ROOT/target/release/examples/fill_archive

WORK=$(mktemp -d /tmp/statuswatch-serve.XXXXXX)
chmod 755 "$WORK" # nginx workers run as an unprivileged user
PIDS=()
cleanup() {
    local pid
    touch "$WORK/stopping"
    [ -f "$WORK/nginx/nginx.pid" ] && PIDS+=("$(cat "$WORK/nginx/nginx.pid")")
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "${KEEP:-}" ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
: >"$WORK/statuswatch.toml" # no configuration: no webhooks, no user's schedule
sw() { "$SW" --config "$WORK/statuswatch.toml" "$@"; }

# The corpus, with a fixed mtime so its ETags and Last-Modified match the cached archive's.
BASE="http://127.0.0.1:$PORT"
"$GEN" --out "$WORK/corpus" --feeds "$N" --entries "$M" --base-url "$BASE" 2>/dev/null
find "$WORK/corpus" -type f -exec touch -d '2026-01-01 00:00:00 UTC' {} +

write_nginx_conf "$WORK" "$PORT"
# Kept up by a loop: on this shared machine something else once stopped it mid-run.
(
    while true; do
        "$NGINX" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" || true
        [ -f "$WORK/stopping" ] && exit 0
        echo "serve bench: nginx exited at $(date -u +%T); restarting" >&2
        echo x >>"$WORK/nginx-restarts"
        sleep 0.2
    done
) &
PIDS+=($!)
for _ in $(seq 50); do
    curl -s -o /dev/null "$BASE/feeds.opml" && break
    sleep 0.1
done

# only_local DB: refuses a database with no feeds or any feed off 127.0.0.1 (a database with
# no feeds would make `run` import the bundled catalog: real vendors on the internet).
only_local() {
    local counts
    counts=$(sw --db "$1" query --format csv "SELECT count(*) || ' ' || total(url NOT LIKE 'http://127.0.0.1:%') FROM feeds" | tail -n 1)
    read -r feeds foreign <<<"$counts"
    if [ "$feeds" -eq 0 ] || [ "${foreign%.*}" -ne 0 ]; then
        say "refusing $1: $feeds feeds, ${foreign%.*} not on 127.0.0.1"
        exit 1
    fi
}

# The archive, built once per (sizes, port, generator sources).
FINGERPRINT=$(cat examples/fill_archive.rs examples/gen_feeds.rs benches/corpus/mod.rs | sha256sum | cut -c1-12)
ARCHIVE_DB=$CACHE/archive-${N}x${M}-${ARCHIVE}-p${PORT}-${FINGERPRINT}.db
if [ ! -f "$ARCHIVE_DB" ]; then
    mkdir -p "$CACHE"
    building=$CACHE/building.db
    rm -f "$building" "$building-wal" "$building-shm"
    say "building the archive $ARCHIVE_DB (once; several minutes)"
    sw --db "$building" feeds import "$WORK/corpus/feeds.opml" >/dev/null
    only_local "$building"
    start=$(date +%s)
    "$FILL" --db "$building" --entries "$ARCHIVE"
    say "filled in $(($(date +%s) - start)) s; first poll of the served feeds"
    sw --db "$building" poll --format json --concurrency 16 --per-host 16 | tail -n 1 >&2
    mv "$building" "$ARCHIVE_DB"
fi
DB=$WORK/archive.db
say "copying the archive ($(du -h "$ARCHIVE_DB" | cut -f1))"
cp "$ARCHIVE_DB" "$DB"
only_local "$DB" # also migrates it to this build's schema, so `serve` opens it
# Statistics for every index, as the housekeeping's PRAGMA optimize leaves an archive built by
# this build (a migration's new index has none until then, and the planner guesses without).
# ANALYZE=0 measures the archive as just migrated instead.
if [ "${ANALYZE:-1}" != 0 ]; then
    say "ANALYZE ($(python3 -c 'import sys, sqlite3, time; c = sqlite3.connect(sys.argv[1]); t = time.time(); c.execute("ANALYZE"); c.commit(); print(f"{time.time() - t:.0f} s")' "$DB"))"
fi
q() { sw --db "$DB" query --format csv "$1" | tail -n 1; }
say "archive: $(q "SELECT (SELECT count(*) FROM entries) || ' entries, ' || (SELECT count(*) FROM incidents) || ' incidents, ' || (SELECT count(*) FROM updates) || ' updates, ' || (SELECT count(*) FROM entry_revisions) || ' revisions, ' || (SELECT count(*) FROM events) || ' events'")"

# The writer: run on a short schedule, and feeds that change under it.
RUN_PID=
SERVE_PID=
start_run() { # [--listen ADDR]
    "$SW" --config "$WORK/statuswatch.toml" --db "$DB" run --schedule "$SCHEDULE" --max-jitter-ms 2000 --concurrency 16 --per-host 16 "$@" \
        >"$WORK/run.out" 2>>"$WORK/run.err" &
    RUN_PID=$!
    PIDS+=("$RUN_PID")
}
stop() { # PID
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
changer() {
    local g=1
    while true; do
        sleep "$CHANGE_EVERY"
        "$GEN" --out "$WORK/corpus" --feeds "$N" --entries "$M" --base-url "$BASE" \
            --generation "$g" --changed-percent "$CHANGED" 2>/dev/null
        g=$((g + 1))
    done
}
changer &
PIDS+=($!)

wait_http() { # URL
    for _ in $(seq 300); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.1
    done
    say "no answer at $1"
    exit 1
}
# drain PID: waits (at most 120 s) until the server is idle, so that answers still being
# computed for the last load do not count against the next.
drain() {
    local a b
    for _ in $(seq 120); do
        a=$(cpu_of "$1")
        sleep 1
        b=$(cpu_of "$1")
        awk "BEGIN { exit !($b - $a < 0.15) }" && return 0
    done
    say "the server stayed busy for 120 s after the load"
}
# Seconds of CPU (user + system) a process has used so far.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
to_ms() { # wrk's 1.23ms / 456.00us / 1.02s
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

RESULTS=$WORK/results.tsv
: >"$RESULTS"
MACHINE="$(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)"

for mode in $MODES; do
    API="http://127.0.0.1:$API_PORT"
    case $mode in
        serve)
            start_run
            "$SW" --config "$WORK/statuswatch.toml" --db "$DB" serve --listen "127.0.0.1:$API_PORT" --schedule "$SCHEDULE" 2>"$WORK/serve.err" &
            SERVE_PID=$!
            PIDS+=("$SERVE_PID")
            ;;
        listen)
            start_run --listen "127.0.0.1:$API_PORT"
            SERVE_PID=$RUN_PID
            ;;
        *) say "unknown mode $mode (serve, listen)"; exit 2 ;;
    esac
    wait_http "$API/healthz"
    # Let run take two cycles first (the first after a start fetches everything).
    before=$(q "SELECT max(last_fetch_at) FROM feeds")
    for _ in $(seq 120); do
        now=$(q "SELECT max(last_fetch_at) FROM feeds")
        [ "$now" != "$before" ] && break
        sleep 1
    done
    sleep 12
    say "$mode: run is polling (newest fetch $(q "SELECT max(last_fetch_at) FROM feeds")); measuring"

    for endpoint in "${ENDPOINTS[@]}"; do
        IFS='|' read -r name path accept <<<"$endpoint"
        if [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]]; then continue; fi
        url="$API$path"
        code=$(curl -s -o "$WORK/body" -w '%{http_code}' -H "Accept: $accept" "$url")
        if [ "$code" != 200 ]; then
            say "$mode: $name: $path answers $code, skipped"
            printf '%s\t%s\t%s\tskipped %s\n' "$mode" "$name" "$path" "$code" >>"$RESULTS"
            continue
        fi
        unloaded=$(python3 "$ROOT/bench/serve_probe.py" "$url" --requests "$PROBES" --seconds 30 --accept "$accept")
        for run in $(seq "$RUNS"); do
            entries0=$(q "SELECT (SELECT count(*) FROM entries) + (SELECT count(*) FROM entry_revisions)")
            load0=$(cut -d' ' -f1 /proc/loadavg)
            scpu0=$(cpu_of "$SERVE_PID")
            rcpu0=$(cpu_of "$RUN_PID")
            t0=$(date +%s.%N)
            python3 "$ROOT/bench/serve_probe.py" "$url" --requests "$PROBES" --seconds "${DURATION%s}" --accept "$accept" >"$WORK/probe.json" &
            probe=$!
            wrk -t"$THREADS" -c"$CLIENTS" -d"$DURATION" --timeout "$TIMEOUT" --latency -H "Accept: $accept" "$url" >"$WORK/wrk.txt" 2>&1
            wait "$probe" || true
            t1=$(date +%s.%N)
            scpu1=$(cpu_of "$SERVE_PID")
            rcpu1=$(cpu_of "$RUN_PID")
            load1=$(cut -d' ' -f1 /proc/loadavg)
            entries1=$(q "SELECT (SELECT count(*) FROM entries) + (SELECT count(*) FROM entry_revisions)")
            p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$WORK/wrk.txt")")
            p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.txt")")
            rps=$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/wrk.txt")
            bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$WORK/wrk.txt")
            errors=$(awk '/Socket errors:/ { sub(/.*Socket errors: */, ""); print }' "$WORK/wrk.txt")
            wall=$(awk "BEGIN { print $t1 - $t0 }")
            scores=$(awk "BEGIN { printf \"%.2f\", ($scpu1 - $scpu0) / $wall }")
            rcores=$(awk "BEGIN { printf \"%.2f\", ($rcpu1 - $rcpu0) / $wall }")
            written=$((entries1 - entries0))
            drain "$SERVE_PID"
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
                "$mode" "$name" "$path" "$run" "$p50" "$p99" "$rps" "${bad:-0}" "${errors:-}" \
                "$scores" "$rcores" "$written" "$load0/$load1" "$unloaded" "$(cat "$WORK/probe.json")" >>"$RESULTS"
            say "$mode: $name run $run: p50 ${p50} ms, p99 ${p99} ms, ${rps} req/s, non-2xx ${bad:-0}; server ${scores} cores, run ${rcores} cores, ${written} entries+revisions written, load $load0→$load1"
        done
    done
    # The floor: the same bodies as static files from nginx (what an answer cached whole would
    # cost to send, on this machine, with this load generator).
    if [ "$FLOOR" != 0 ]; then
        mkdir -p "$WORK/corpus/_floor"
        for endpoint in "${ENDPOINTS[@]}"; do
            IFS='|' read -r name path accept <<<"$endpoint"
            case $name in status | board) ;; *) continue ;; esac
            if [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]]; then continue; fi
            curl -s -o "$WORK/corpus/_floor/$name" -H "Accept: $accept" "$API$path" || continue
            wrk -t"$THREADS" -c"$CLIENTS" -d"$DURATION" --timeout "$TIMEOUT" --latency "$BASE/_floor/$name" >"$WORK/wrk.txt" 2>&1
            p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$WORK/wrk.txt")")
            p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.txt")")
            rps=$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/wrk.txt")
            size=$(stat -c %s "$WORK/corpus/_floor/$name")
            printf 'floor\t%s\t%s\t%s\n' "$name" "$size" "$p50 $p99 $rps" >>"$WORK/floor.tsv"
            say "floor: $name as a static file ($size bytes) from nginx: p50 $p50 ms, p99 $p99 ms, $rps req/s"
        done
    fi
    if [ "$mode" = serve ]; then stop "$SERVE_PID"; fi
    stop "$RUN_PID"
done

# What run did meanwhile: its cycles, what they wrote, what failed.
WRITER=$(awk '/Cycle done/ {
        c++; for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] += kv[2] }
        if ($0 ~ /network_down=true/) down++
    } END { printf "%d cycles of run: %d fetched (200), %d not modified, %d failed, %d new entries, %d revised, %d events; %d cycles with the network down", c, v["fetched"], v["not_modified"], v["failed"], v["new"], v["updated"], v["events"], down }' "$WORK/run.err")
RESTARTS=$( (cat "$WORK/nginx-restarts" 2>/dev/null || true) | wc -l)
say "writer: $WRITER; nginx restarts: $RESTARTS"

mkdir -p "$OUT"
cp "$RESULTS" "$OUT/serve-latest.tsv"
REPORT=$OUT/serve-latest.md
python3 - "$RESULTS" "$WRITER; nginx restarted $RESTARTS times" "$MACHINE" "$N" "$M" "$ARCHIVE" "$CLIENTS" "$DURATION" "$RUNS" "$SCHEDULE" "$CHANGED" "$CHANGE_EVERY" "$(date -u +%Y-%m-%dT%H:%MZ)" >"$REPORT" <<'EOF'
import json, statistics, sys
path, writer, machine, n, m, archive, clients, duration, runs, schedule, changed, every, when = sys.argv[1:]
groups, skipped = {}, []
for line in open(path):
    f = line.rstrip("\n").split("\t")
    if len(f) == 4:
        skipped.append(f)
        continue
    groups.setdefault((f[0], f[1]), []).append(f)
print(f"{when}; {machine}. Archive: {n} feeds, {int(archive):,} archived entries + {n} × {m} served; "
      f"`run --schedule '{schedule}'` with {changed} % of the feeds changing every {every} s. "
      f"wrk: {clients} connections, {duration}, median of {runs} runs (by p99).\n")
print("| mode | endpoint | p50 ms | p99 ms | req/s | non-2xx / timeouts | unloaded p50 / p99 ms | render ms unloaded p50 / p99 | render ms under load p50 / p99 | server cores | run cores | written/run | load 1m |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
def timeouts(errors):
    words = errors.replace(",", "").split()
    return words[words.index("timeout") + 1] if "timeout" in words else "0"
def pair(d, key):
    s = d.get(key)
    return f"{s['p50']} / {s['p99']}" if s else "–"
for (mode, name), rows in groups.items():
    rows.sort(key=lambda r: float(r[5]))
    r = rows[len(rows) // 2]
    unloaded, probe = json.loads(r[13]), json.loads(r[14])
    print(f"| {mode} | {name} | {float(r[4]):.1f} | {float(r[5]):.1f} | {float(r[6]):,.0f} | {r[7]} / {timeouts(r[8])} | {pair(unloaded, 'latency_ms')} | "
          f"{pair(unloaded, 'render_ms')} | {pair(probe, 'render_ms')} | {r[9]} | {r[10]} | {r[11]} | {r[12]} |")
    if len(rows) > 1:
        print(f"|  | (all runs: p99 {', '.join(x[5] for x in sorted(rows, key=lambda x: int(x[3])))}; req/s {', '.join(x[6] for x in sorted(rows, key=lambda x: int(x[3])))}) | | | | | | | | | | | |")
for mode, name, p, why in skipped:
    print(f"| {mode} | {name} (`{p}`) | {why} | | | | | | | | | | |")
print(f"\nMeanwhile: {writer}.")
import os
floor = os.path.join(os.path.dirname(path), "floor.tsv")
if os.path.exists(floor):
    print("\n| the same body as a static file from nginx (the floor) | bytes | p50 ms | p99 ms | req/s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for line in open(floor):
        _, name, size, figures = line.rstrip("\n").split("\t")
        p50, p99, rps = figures.split()
        print(f"| {name} | {int(size):,} | {float(p50):.1f} | {float(p99):.1f} | {float(rps):,.0f} |")
EOF
echo
cat "$REPORT"
say "report saved in $REPORT (raw rows in $OUT/serve-latest.tsv)"
