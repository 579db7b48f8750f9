#!/usr/bin/env bash
# Growth benchmark: does a poll cost the same with 1 million entries archived as with none, and
# do the README's history queries stay fast?
#
#   bench/growth.sh                   # 2,000 feeds × 25 entries served, 1,000,000 archived
#   ARCHIVE=200000 bench/growth.sh
#
# Two databases poll the same nginx-served corpus (see bench/lib.sh): `empty` starts with none,
# `archive` is first filled with ARCHIVE old, resolved entries by examples/fill_archive.rs (bulk
# SQL consistent with schema.sql: entries, revisions, updates, incidents). Both take the cold
# poll, then are measured on an unchanged poll (all 304; best of 4) and on a poll after 10 % of the feeds
# changed. Then the README's queries run on the archive through `statuswatch query`, each timed
# (best of 3, process start included) and with its query plan.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PORT=${PORT:-8090}
ARCHIVE=${ARCHIVE:-1000000}
SKIP_PEER=1
EXTRA_BUILD="--example fill_archive"

source "$ROOT/bench/lib.sh"
FILL=$ROOT/target/release/examples/fill_archive

for db in empty archive; do
    "$SW" --db "$WORK/$db.db" feeds import "$WORK/corpus/feeds.opml" >/dev/null
done
echo "growth: filling the archive with $ARCHIVE entries" >&2
"$FILL" --db "$WORK/archive.db" --entries "$ARCHIVE"

poll() { measure "$1" "$2" "$SW" --db "$WORK/$1.db" poll --format json --concurrency "$CONCURRENCY"; }
poll empty cold
poll archive cold
# An unchanged poll is a fraction of a second, within a shared machine's noise: alternate
# three of each, in both orders, and report the cheapest (the report keeps the lowest CPU).
for order in "empty archive" "archive empty" "empty archive" "archive empty"; do
    for db in $order; do poll "$db" unchanged; done
done
sleep 1
"$GEN" --out "$WORK/corpus" --feeds "$N" --entries "$M" --base-url "$BASE" --generation 1 --changed-percent 10
poll empty changed
poll archive changed

QUERIES=(
    "current_status|SELECT vendor, component, state, since, incident FROM current_status WHERE state <> 'operational' ORDER BY severity DESC, vendor"
    "outages per vendor, quarter|SELECT vendor, count(*) AS incidents, round(sum(duration_minutes)) AS minutes FROM outages WHERE status = 'outage' AND started_at >= '2025-10-01' GROUP BY vendor ORDER BY minutes DESC"
    "one vendor's outages|SELECT title, status, started_at, resolved_at, duration_minutes FROM outages WHERE vendor = 'vendor00042' AND started_at >= '2025-10-01' ORDER BY started_at"
    "feed_health|SELECT vendor, health, consecutive_failures, last_error, last_success_at FROM feed_health WHERE health <> 'ok'"
    "updates join, one feed|SELECT u.posted_at, u.label, u.text FROM updates u JOIN entries e ON e.id = u.entry_id WHERE e.title LIKE '%API%' AND e.feed_id = 43 ORDER BY u.posted_at"
    "updates join, as in the README|SELECT u.posted_at, u.label, u.text FROM updates u JOIN entries e ON e.id = u.entry_id WHERE e.title LIKE '%API%' ORDER BY u.posted_at"
)
QROWS=$WORK/queries.tsv
: >"$QROWS"
for q in "${QUERIES[@]}"; do
    name=${q%%|*}
    sql=${q#*|}
    best=
    for _ in 1 2 3; do
        start=$(date +%s%N)
        rows=$("$SW" --db "$WORK/archive.db" query --format csv "$sql" | tail -n +2 | wc -l)
        ms=$((($(date +%s%N) - start) / 1000000))
        if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
    done
    plan=$("$SW" --db "$WORK/archive.db" query --format csv "EXPLAIN QUERY PLAN $sql" | tail -n +2 | awk -F, '{ print $NF }' | paste -sd ';' -)
    printf '%s\t%s\t%s\t%s\n' "$name" "$best" "$rows" "$plan" >>"$QROWS"
    echo "growth: $name: ${best} ms, $rows rows" >&2
done

mkdir -p "$OUT"
REPORT=$OUT/growth-latest.md
python3 - "$WORK/results.tsv" "$QROWS" "$N" "$M" "$ARCHIVE" >"$REPORT" <<'EOF'
import sys
path, qpath, n, m, archive = sys.argv[1:]
rows = {}
for line in open(path):
    name, cycle, wall, cpu, rss, tree, entries, _ = line.rstrip("\n").split("\t", 7)
    row = dict(wall=float(wall), cpu=float(cpu), rss=int(tree))
    # Repeated polls (unchanged): the cheapest run stands for the poll.
    if (name, cycle) not in rows or row["cpu"] < rows[(name, cycle)]["cpu"]:
        rows[(name, cycle)] = row
print(f"{n} feeds × {m} entries served; the archive database holds {int(archive):,} more entries.\n")
print("| poll | empty: wall s | empty: CPU s | archive: wall s | archive: CPU s | CPU archive / empty | peak RSS MB (archive) |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for cycle in ("cold", "unchanged", "changed"):
    e, a = rows[("empty", cycle)], rows[("archive", cycle)]
    print(f"| {cycle} | {e['wall']:.2f} | {e['cpu']:.2f} | {a['wall']:.2f} | {a['cpu']:.2f} | {a['cpu'] / max(e['cpu'], 0.005):.2f} | {a['rss'] / 1024:.0f} |")
print("\n| README query (on the archive) | ms (best of 3, process start included) | rows | plan |")
print("| --- | ---: | ---: | --- |")
for line in open(qpath):
    name, ms, nrows, plan = line.rstrip("\n").split("\t")
    print(f"| {name} | {ms} | {nrows} | {plan} |")
EOF
echo
cat "$REPORT"
echo "(report saved in $REPORT)" >&2
