#!/usr/bin/env bash
# Steady state, the way users run it (issue 18): `statuswatch run` on a 2-minute schedule over
# 2,000 feeds for 30 minutes while 1 % of the feeds change before every cycle, against the peer
# (bench/peer.py) started from a cron-like loop at the same schedule: a fresh process each
# cycle, as cron starts it. Both are primed with one cold poll first (not measured). Reports CPU
# seconds per hour and peak RSS of each.
#
#   bench/steady.sh                                  # 2,000 feeds, 30 minutes, every 2 minutes
#   N=200 DURATION=60 INTERVAL=10 bench/steady.sh    # a quick look
#
# The timeline of each cycle k (t0 on a schedule boundary): the feeds change at t0 + k·I − I/4,
# statuswatch polls at t0 + k·I (spread by its own jitter), the peer at t0 + k·I + I/2, so each
# poller sees every change once and the two never poll at the same time.
# Needs what bench/e2e.sh needs (nginx, GNU time, python3 with venv).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PORT=${PORT:-8090}
DURATION=${DURATION:-1800}
INTERVAL=${INTERVAL:-120}
CHANGED=${CHANGED:-1}

if [ "$INTERVAL" -lt 60 ] && [ $((60 % INTERVAL)) -eq 0 ]; then
    SCHEDULE="*/$INTERVAL * * * * *"
elif [ $((INTERVAL % 60)) -eq 0 ] && [ $((3600 % INTERVAL)) -eq 0 ]; then
    SCHEDULE="0 */$((INTERVAL / 60)) * * * *"
else
    echo "steady: INTERVAL must divide a minute or an hour evenly (10, 30, 60, 120, 300 ...)" >&2
    exit 2
fi
CYCLES=$((DURATION / INTERVAL))

source "$ROOT/bench/lib.sh"

"$SW" --db "$WORK/sw.db" feeds import "$WORK/corpus/feeds.opml" >/dev/null
cp "$WORK/corpus/feeds.opml" "$WORK/peer.opml"

echo "steady: priming both databases with a cold poll (not measured)" >&2
"$SW" --db "$WORK/sw.db" poll --format json --concurrency "$CONCURRENCY" >/dev/null
if [ -z "${SKIP_PEER:-}" ]; then
    "$VENV/bin/python" "$ROOT/bench/peer.py" --db "$WORK/peer.db" --opml "$WORK/peer.opml" --threads "$PEER_THREADS" >/dev/null
fi

count_rows() { # DB: entries and revisions stored so far
    python3 - "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT (SELECT count(*) FROM entries) + (SELECT count(*) FROM entry_revisions)").fetchone()[0])
EOF
}
sw_rows_before=$(count_rows "$WORK/sw.db")
peer_rows_before=0
[ -z "${SKIP_PEER:-}" ] && peer_rows_before=$(count_rows "$WORK/peer.db")

# t0: the first schedule boundary at least I/4 + 5 s away, so the first change lands before it.
now=$(date +%s)
t0=$(( (now + INTERVAL / 4 + 5 + INTERVAL - 1) / INTERVAL * INTERVAL ))
echo "steady: $CYCLES cycles of ${INTERVAL}s from $(date -u -d "@$t0" +%T) UTC ($SCHEDULE)" >&2

/usr/bin/time -v -o "$WORK/sw-time.txt" "$SW" --db "$WORK/sw.db" run --schedule "$SCHEDULE" \
    --concurrency "$CONCURRENCY" >"$WORK/sw-out.txt" 2>"$WORK/sw-err.txt" &
SW_TIME_PID=$!
python3 "$ROOT/bench/treerss.py" "$SW_TIME_PID" >"$WORK/sw-tree.txt" &
SW_TREE_PID=$!

sleep_until() { # EPOCH
    local d=$(( $1 - $(date +%s) ))
    if [ "$d" -gt 0 ]; then sleep "$d"; fi
}

peer_cpu=0
peer_rss=0
peer_runs=0
for k in $(seq 0 $((CYCLES - 1))); do
    slot=$((t0 + k * INTERVAL))
    sleep_until $((slot - INTERVAL / 4))
    "$GEN" --out "$WORK/corpus" --feeds "$N" --entries "$M" --base-url "$BASE" \
        --generation $((k + 1)) --changed-percent "$CHANGED"
    [ -n "${SKIP_PEER:-}" ] && continue
    sleep_until $((slot + INTERVAL / 2))
    /usr/bin/time -v -o "$WORK/peer-time.txt" "$VENV/bin/python" "$ROOT/bench/peer.py" --db "$WORK/peer.db" \
        --opml "$WORK/peer.opml" --threads "$PEER_THREADS" >"$WORK/peer-out.txt" 2>"$WORK/peer-err.txt" &
    pid=$!
    tree=$(python3 "$ROOT/bench/treerss.py" "$pid")
    wait "$pid" || { echo "steady: peer cycle $k exited non-zero:" >&2; tail -5 "$WORK/peer-err.txt" >&2; }
    cpu=$(gnu_time_cpu "$WORK/peer-time.txt")
    peer_cpu=$(awk "BEGIN { print $peer_cpu + $cpu }")
    if [ "$tree" -gt "$peer_rss" ]; then peer_rss=$tree; fi
    peer_runs=$((peer_runs + 1))
    echo "steady: peer cycle $k: cpu ${cpu}s, tree rss ${tree} kB: $(tail -n 1 "$WORK/peer-out.txt")" >&2
done

# Stop the daemon just before the next boundary (SIGTERM: a graceful stop), so it ran CYCLES slots.
sleep_until $((t0 + CYCLES * INTERVAL - 2))
SW_PID=$(pgrep -P "$SW_TIME_PID" || true)
[ -n "$SW_PID" ] && kill -TERM "$SW_PID"
wait "$SW_TIME_PID" || { echo "steady: statuswatch run exited non-zero:" >&2; tail -5 "$WORK/sw-err.txt" >&2; }
wait "$SW_TREE_PID" || true
sw_cpu=$(gnu_time_cpu "$WORK/sw-time.txt")
sw_rss=$(gnu_time_rss "$WORK/sw-time.txt")
sw_tree=$(cat "$WORK/sw-tree.txt")
if [ "${sw_tree:-0}" -gt "$sw_rss" ]; then sw_rss=$sw_tree; fi
sw_rows=$(( $(count_rows "$WORK/sw.db") - sw_rows_before ))
peer_rows=0
[ -z "${SKIP_PEER:-}" ] && peer_rows=$(( $(count_rows "$WORK/peer.db") - peer_rows_before ))

mkdir -p "$OUT"
REPORT=$OUT/steady-latest.md
python3 - "$N" "$M" "$DURATION" "$INTERVAL" "$CHANGED" "$CYCLES" "$sw_cpu" "$sw_rss" "$sw_rows" \
    "$peer_runs" "$peer_cpu" "$peer_rss" "$peer_rows" >"$REPORT" <<'EOF'
import sys
n, m, duration, interval, changed, cycles, sw_cpu, sw_rss, sw_rows, peer_runs, peer_cpu, peer_rss, peer_rows = sys.argv[1:]
hours = float(duration) / 3600
print(f"{n} feeds × {m} entries, a poll every {interval} s for {duration} s ({cycles} cycles), "
      f"{changed} % of the feeds changed before each cycle.\n")
print("| poller | CPU s | CPU s per hour | peak RSS MB | entries + revisions stored |")
print("| --- | ---: | ---: | ---: | ---: |")
print(f"| statuswatch `run` | {float(sw_cpu):.2f} | {float(sw_cpu) / hours:.1f} | {int(sw_rss) / 1024:.0f} | {sw_rows} |")
if int(peer_runs):
    print(f"| peer from cron ({peer_runs} runs) | {float(peer_cpu):.2f} | {float(peer_cpu) / hours:.1f} | {int(peer_rss) / 1024:.0f} | {peer_rows} |")
    print(f"\nstatuswatch uses {float(peer_cpu) / max(float(sw_cpu), 0.005):.1f}× less CPU.")
print("\nstatuswatch's CPU is the whole daemon (start, idle wake-ups, housekeeping included); the peer's "
      "is the sum of its runs. Peak RSS is the whole process tree, sampled every 10 ms.")
EOF
show_report "$REPORT"
