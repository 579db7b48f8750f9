#!/usr/bin/env bash
# Replays a generated day of captures with a release build and reports wall, CPU and peak RSS.
#
#   bench/replay.sh                  # 200 feeds over 24 hours, each captured every hour
#   FEEDS=… HOURS=… EVERY=… bench/replay.sh
#   SKIP_BUILD=1 bench/replay.sh     # measure what target/release holds
#
# The day is written by fixtures/replay/generate.py --out (busy Statuspage feeds with their
# history, ordinary incidents and one correlated burst) into a temporary directory, removed on
# exit. Nothing leaves the machine: replay reads files.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FEEDS=${FEEDS:-200}
HOURS=${HOURS:-24}
EVERY=${EVERY:-60}

[ -x /usr/bin/time ] || {
    echo "replay bench: installing GNU time with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
}

WORK=$(mktemp -d /tmp/statuswatch-replay.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

if [ -z "${SKIP_BUILD:-}" ]; then
    echo "replay bench: building (release)" >&2
    (cd "$ROOT" && cargo build --release --quiet --bin statuswatch)
fi
SW=${SW_BIN:-$ROOT/target/release/statuswatch}

python3 "$ROOT/fixtures/replay/generate.py" --out "$WORK/day" --feeds "$FEEDS" --hours "$HOURS" --every "$EVERY" >&2
CAPTURES=$(find "$WORK/day" -type f -name '*.xml' | wc -l)
BYTES=$(find "$WORK/day" -type f -name '*.xml' -printf '%s\n' | awk '{ s += $1 } END { print s }')

/usr/bin/time -v -o "$WORK/time.txt" \
    "$SW" replay "$WORK/day" --db "$WORK/replay.db" --keep --format json >"$WORK/events.jsonl" 2>"$WORK/err.txt" ||
    { echo "replay bench: replay exited non-zero:" >&2; tail -5 "$WORK/err.txt" >&2; exit 1; }

# shellcheck source=bench/gnutime.sh
source "$ROOT/bench/gnutime.sh"
wall=$(gnu_time_wall "$WORK/time.txt")
cpu=$(gnu_time_cpu "$WORK/time.txt")
rss=$(gnu_time_rss "$WORK/time.txt")
events=$(wc -l <"$WORK/events.jsonl")
clusters=$(grep -c '"type":"correlated_outage"' "$WORK/events.jsonl" || true)

printf 'replay: %s feeds, %s captures (%.1f MB) over %s h\n' "$FEEDS" "$CAPTURES" "$(awk "BEGIN { print $BYTES / 1e6 }")" "$HOURS"
printf '  wall %.2f s, CPU %.2f s, peak RSS %d MB, %.0f captures/s\n' "$wall" "$cpu" "$((rss / 1024))" "$(awk "BEGIN { print $CAPTURES / ($wall > 0 ? $wall : 0.01) }")"
printf '  %s events raised, %s of them correlated_outage\n' "$events" "$clusters"
printf '  machine: %s cores; %s\n' "$(nproc)" "$(lscpu | awk -F': *' '/^Model name/ { print $2; exit }')"
