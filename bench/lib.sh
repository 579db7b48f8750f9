# Shared by bench/e2e.sh and bench/growth.sh: installs what is missing, builds, serves a
# generated corpus with nginx on 127.0.0.1, and measures a command (wall, CPU, peak RSS).
# Sourced with ROOT and PORT set; defines WORK (removed on exit), SW, GEN, BASE, BYTES. The
# corpus size (N feeds × M entries) and the pollers' settings default here, for every script.
N=${N:-2000}
M=${M:-25}
CONCURRENCY=${CONCURRENCY:-16}
PEER_THREADS=${PEER_THREADS:-32}
VENV=${VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/statuswatch-bench/venv}
OUT=${OUT:-$ROOT/bench/results}

# shellcheck source=bench/nginx.sh
source "$ROOT/bench/nginx.sh"
# shellcheck source=bench/gnutime.sh
source "$ROOT/bench/gnutime.sh"

need_apt=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
[ -x /usr/bin/time ] || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "e2e: installing ${need_apt[*]} with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

if [ -z "${SKIP_PEER:-}" ] && [ ! -x "$VENV/bin/python" ]; then
    echo "e2e: creating the peer's venv in $VENV (requests, feedparser from PyPI)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q requests feedparser
fi

echo "e2e: building (release)" >&2
# SKIP_BUILD=1 uses what target/release holds; SW_BIN=PATH measures another statuswatch binary.
if [ -z "${SKIP_BUILD:-}" ]; then
    # shellcheck disable=SC2086 # EXTRA_BUILD is a list of cargo arguments
    cargo build --release --quiet --bin statuswatch --example gen_feeds --example floor ${EXTRA_BUILD:-}
fi
SW=${SW_BIN:-$ROOT/target/release/statuswatch}
GEN=$ROOT/target/release/examples/gen_feeds
FLOOR_BIN=$ROOT/target/release/examples/floor

WORK=$(mktemp -d /tmp/statuswatch-e2e.XXXXXX)
chmod 755 "$WORK" # nginx workers run as an unprivileged user
NGINX_PID=
cleanup() {
    if [ -n "$NGINX_PID" ]; then kill "$NGINX_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

BASE="http://127.0.0.1:$PORT"
"$GEN" --out "$WORK/corpus" --feeds "$N" --entries "$M" --base-url "$BASE"
BYTES=$(find "$WORK/corpus" -type f ! -name feeds.opml -printf '%s\n' | awk '{ s += $1 } END { print s }')

write_nginx_conf "$WORK" "$PORT"
"$NGINX" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
NGINX_PID=$!
for _ in $(seq 50); do
    curl -s -o /dev/null "$BASE/feeds.opml" && break
    sleep 0.1
done

# The floor: the same bytes with one keep-alive curl.
grep -o 'xmlUrl="[^"]*"' "$WORK/corpus/feeds.opml" | sed 's/^xmlUrl="\(.*\)"$/url = "\1"\noutput = "\/dev\/null"/' >"$WORK/curl.cfg"
start=$(date +%s.%N)
curl -s -K "$WORK/curl.cfg"
end=$(date +%s.%N)
FLOOR=$(awk "BEGIN { print $end - $start }")

RESULTS=$WORK/results.tsv
: >"$RESULTS"

# measure NAME CYCLE CMD...: runs CMD under GNU time and the tree-RSS sampler, appends a row.
measure() {
    local name=$1 cycle=$2
    shift 2
    /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" &
    local pid=$!
    local tree
    tree=$(python3 "$ROOT/bench/treerss.py" "$pid")
    wait "$pid" || { echo "e2e: $name $cycle exited non-zero:" >&2; tail -5 "$WORK/err.txt" >&2; }
    local wall cpu rss summary entries
    wall=$(gnu_time_wall "$WORK/time.txt")
    cpu=$(gnu_time_cpu "$WORK/time.txt")
    rss=$(gnu_time_rss "$WORK/time.txt")
    # A run shorter than the sampler's start is measured by GNU time alone (one process).
    if [ "${tree:-0}" -lt "$rss" ]; then tree=$rss; fi
    summary=$(tail -n 1 "$WORK/out.txt")
    entries=$(echo "$summary" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["new"]+d["updated"]+d["unchanged"])')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$cycle" "$wall" "$cpu" "$rss" "$tree" "$entries" "$summary" >>"$RESULTS"
    echo "e2e: $name $cycle: wall ${wall}s, cpu ${cpu}s, rss ${rss} kB (tree ${tree} kB): $summary" >&2
}

# show_report REPORT: prints a saved report and the machine it ran on.
show_report() {
    echo
    cat "$1"
    echo
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ { print $2 }') GB memory."
    echo "(report saved in $1)" >&2
}
