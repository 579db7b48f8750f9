#!/usr/bin/env bash
# `statuswatch reclassify` over a large archive (issue 18): entries per second and peak RSS.
#
#   bench/reclassify.sh                  # 2,000 feeds, 1,000,000 archived entries
#   ENTRIES=100000 bench/reclassify.sh   # smaller
#
# The archive is filled by examples/fill_archive.rs (old resolved entries with their revisions,
# three-update timelines and incidents, classified by the embedded rules). Then three runs:
#   same rules, --dry-run        every entry read and classified; nothing changes
#   new rule, --dry-run          a rules file that makes every entry `degraded`: the report only
#   new rule                     the same, written: every feed's entries, incidents and state rebuilt
# Nothing is fetched: no server, no network.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

N=${N:-2000}
ENTRIES=${ENTRIES:-1000000}
OUT=${OUT:-$ROOT/bench/results}

# shellcheck source=bench/gnutime.sh
source "$ROOT/bench/gnutime.sh"
[ -x /usr/bin/time ] || { echo "reclassify: needs GNU time (apt-get install time)" >&2; exit 2; }
if [ -z "${SKIP_BUILD:-}" ]; then
    echo "reclassify: building (release)" >&2
    cargo build --release --quiet --bin statuswatch --example gen_feeds --example fill_archive
fi
SW=$ROOT/target/release/statuswatch
WORK=$(mktemp -d /tmp/statuswatch-reclassify.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# Only the OPML is used: the feeds are never polled.
"$ROOT/target/release/examples/gen_feeds" --out "$WORK/corpus" --feeds "$N" --entries 1 --base-url http://127.0.0.1:9
"$SW" --db "$WORK/a.db" feeds import "$WORK/corpus/feeds.opml" >/dev/null
echo "reclassify: filling the archive with $ENTRIES entries" >&2
"$ROOT/target/release/examples/fill_archive" --db "$WORK/a.db" --entries "$ENTRIES"
cat >"$WORK/rules.toml" <<'EOF'
[[rule]]
name = "bench-everything-degraded"
field = "any"
regex = '.'
status = "degraded"
priority = 5000
EOF

RESULTS=$WORK/results.tsv
: >"$RESULTS"
measure() { # NAME ARGS...
    local name=$1
    shift
    /usr/bin/time -v -o "$WORK/time.txt" "$SW" --db "$WORK/a.db" reclassify "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" ||
        { echo "reclassify: $name failed:" >&2; tail -5 "$WORK/err.txt" >&2; exit 1; }
    local wall cpu rss
    wall=$(gnu_time_wall "$WORK/time.txt")
    cpu=$(gnu_time_cpu "$WORK/time.txt")
    rss=$(gnu_time_rss "$WORK/time.txt")
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$wall" "$cpu" "$rss" "$(head -n 1 "$WORK/out.txt")" >>"$RESULTS"
    echo "reclassify: $name: wall ${wall}s, cpu ${cpu}s, rss ${rss} kB: $(head -n 1 "$WORK/out.txt")" >&2
}
sync
measure "same rules, --dry-run" --dry-run
measure "new rule, --dry-run" --dry-run --rules "$WORK/rules.toml"
measure "new rule, written" --rules "$WORK/rules.toml"

mkdir -p "$OUT"
REPORT=$OUT/reclassify-latest.md
python3 - "$RESULTS" "$N" "$ENTRIES" "$(du -m "$WORK/a.db" | cut -f1)" >"$REPORT" <<'EOF'
import sys
path, n, entries, mb = sys.argv[1:]
print(f"{int(entries):,} archived entries in {n} feeds ({mb} MB database).\n")
print("| run | wall s | CPU s | entries/s | peak RSS MB | what it said |")
print("| --- | ---: | ---: | ---: | ---: | --- |")
for line in open(path):
    name, wall, cpu, rss, said = line.rstrip("\n").split("\t", 4)
    print(f"| {name} | {float(wall):.1f} | {float(cpu):.1f} | {int(entries) / max(float(wall), 0.001):,.0f} | {int(rss) / 1024:.0f} | {said} |")
EOF
echo
cat "$REPORT"
echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ { print $2 }') GB memory."
