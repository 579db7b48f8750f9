#!/usr/bin/env bash
# Replay benchmark: `statuswatch replay` over a generated day of captures.
#
#   bench/replay.sh                     # 200 feeds × 15 captures (3,000 documents, ~130 MB)
#   N=500 CAPTURES=24 bench/replay.sh   # other sizes
#   SKIP_BUILD=1 bench/replay.sh        # use what target/release holds
#
# It builds the release binary and examples/gen_replay.rs, writes the replay directory (the
# four engines of gen_feeds in their real markup, each feed captured every 90 minutes, its
# document moving on every 4th capture, as most polls of a day repeat the one before), and
# times one replay into a temporary database: wall, CPU (user+sys), peak RSS, captures/s.
# Loopback-free: nothing is fetched. Needs cargo and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

N=${N:-200}
CAPTURES=${CAPTURES:-15}
ENTRIES=${ENTRIES:-25}
CHANGE_EVERY=${CHANGE_EVERY:-4}

if [ -z "${SKIP_BUILD:-}" ]; then
    echo "replay bench: building (release)" >&2
    cargo build --release --quiet --bin statuswatch --example gen_replay
fi
SW=${SW_BIN:-$ROOT/target/release/statuswatch}
GEN=$ROOT/target/release/examples/gen_replay

WORK=$(mktemp -d /tmp/statuswatch-replay-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

"$GEN" --out "$WORK/day" --feeds "$N" --captures "$CAPTURES" --entries "$ENTRIES" \
    --change-every "$CHANGE_EVERY"
BYTES=$(find "$WORK/day" -type f ! -name feeds.opml -printf '%s\n' | awk '{ s += $1 } END { print s }')

/usr/bin/time -f '%e %U %S %M' -o "$WORK/time.txt" \
    "$SW" replay "$WORK/day" --db "$WORK/replay.db" --format json >"$WORK/events.jsonl" 2>"$WORK/err.txt" ||
    [ $? -eq 2 ]
read -r wall user sys rss <"$WORK/time.txt"
summary=$(tail -n 1 "$WORK/err.txt")
docs=$((N * CAPTURES))
awk -v n="$N" -v docs="$docs" -v bytes="$BYTES" -v wall="$wall" -v user="$user" -v sys="$sys" -v rss="$rss" 'BEGIN {
    printf "| feeds | captures | MB | wall s | CPU s | peak RSS MB | captures/s |\n"
    printf "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    printf "| %d | %d | %.1f | %.2f | %.2f | %d | %.0f |\n", n, docs, bytes / 1e6, wall, user + sys, rss / 1024, docs / (wall > 0 ? wall : 1)
}'
echo "$summary"
