#!/usr/bin/env bash
# End-to-end benchmark: statuswatch against its peer (bench/peer.py: requests + feedparser +
# sqlite3, 32 fetch threads, one feedparser process per core), side by side in one run.
#
#   bench/e2e.sh                      # 2,000 feeds × 25 entries
#   N=200 M=25 bench/e2e.sh           # smaller
#   SKIP_PEER=1 bench/e2e.sh          # statuswatch only
#
# It generates the corpus with examples/gen_feeds.rs (Statuspage Atom, AWS RSS, Google Cloud
# Atom, Slack RSS), serves it with nginx on 127.0.0.1 (ETag and Last-Modified from the files),
# imports the OPML, and runs three cycles for each poller: cold (empty database), warm (every
# feed answers 304), and after 10 % of the feeds changed (one new entry and one revised entry
# each). It prints wall time, CPU (user+sys), peak RSS and entries/s per cycle, and the ratios.
# Right after the cold cycles it measures the floor (examples/floor.rs): feed-rs alone over the
# corpus, and one transaction inserting the rows the cold cycle stored into a fresh database
# with the same schema; the cold cycle's CPU is reported as a multiple of it.
# Needs: cargo, python3 (with venv), and apt-get for nginx and GNU time when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PORT=${PORT:-8089}
CHANGED=${CHANGED:-10}

source "$ROOT/bench/lib.sh"

"$SW" --db "$WORK/sw.db" feeds import "$WORK/corpus/feeds.opml" >/dev/null
cp "$WORK/corpus/feeds.opml" "$WORK/peer.opml"

run_sw() { measure statuswatch "$1" "$SW" --db "$WORK/sw.db" poll --format json --concurrency "$CONCURRENCY"; }
run_peer() {
    [ -n "${SKIP_PEER:-}" ] && return 0
    measure peer "$1" "$VENV/bin/python" "$ROOT/bench/peer.py" --db "$WORK/peer.db" --opml "$WORK/peer.opml" --threads "$PEER_THREADS"
}

# Each cycle: statuswatch, then the peer, against the same server state.
sync
run_sw cold
run_peer cold
# The floor, single-threaded, before anything else changes the database.
"$FLOOR_BIN" --corpus "$WORK/corpus" --from "$WORK/sw.db" --into "$WORK/floor.db" >"$WORK/floor.json"
echo "e2e: floor: $(cat "$WORK/floor.json")" >&2
rm -f "$WORK"/floor.db*
run_sw warm
run_peer warm
sleep 1  # a new mtime second, so changed files get new validators
"$GEN" --out "$WORK/corpus" --feeds "$N" --entries "$M" --base-url "$BASE" --generation 1 --changed-percent "$CHANGED"
run_sw changed
run_peer changed

mkdir -p "$OUT"
REPORT=$OUT/e2e-latest.md
python3 - "$RESULTS" "$N" "$M" "$BYTES" "$FLOOR" "$CHANGED" "$WORK/floor.json" >"$REPORT" <<'EOF'
import json, sys
path, n, m, nbytes, floor, changed, floor_json = sys.argv[1:]
cpu_floor = json.load(open(floor_json))
rows = {}
for line in open(path):
    name, cycle, wall, cpu, rss, tree, entries, _ = line.rstrip("\n").split("\t", 7)
    rows[(name, cycle)] = dict(wall=float(wall), cpu=float(cpu), rss=int(rss), tree=int(tree), entries=int(entries))
label = {"cold": "cold (empty database)", "warm": "warm (all 304)", "changed": f"{changed} % of feeds changed"}
print(f"{n} feeds × {m} entries, {int(nbytes) / 1e6:.1f} MB; one keep-alive curl downloads it in {float(floor):.2f} s.\n")
print("| cycle | poller | wall s | CPU s | peak RSS MB | entries/s | wall ratio | CPU ratio |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for cycle in ("cold", "warm", "changed"):
    sw, peer = rows.get(("statuswatch", cycle)), rows.get(("peer", cycle))
    for name, r in (("statuswatch", sw), ("peer", peer)):
        if r is None:
            continue
        eps = f"{r['entries'] / r['wall']:,.0f}" if r["entries"] and r["wall"] > 0 else "–"
        ratio_w = ratio_c = ""
        if name == "statuswatch" and peer:
            ratio_w = f"{peer['wall'] / max(r['wall'], 0.005):.1f}×"
            ratio_c = f"{peer['cpu'] / max(r['cpu'], 0.005):.1f}×"
        print(f"| {label[cycle]} | {name} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['tree'] / 1024:.0f} | {eps} | {ratio_w} | {ratio_c} |")
sw = rows.get(("statuswatch", "cold"))
print(f"\nFloor (examples/floor.rs, one thread): feed-rs alone over the corpus {cpu_floor['parse_cpu_s']:.2f} s CPU "
      f"({cpu_floor['entries']:,} entries); one transaction inserting the cold cycle's {cpu_floor['rows']:,} rows "
      f"into the same schema {cpu_floor['insert_cpu_s']:.2f} s CPU; together {cpu_floor['floor_cpu_s']:.2f} s.")
if sw:
    peer = rows.get(("peer", "cold"))
    vs_peer = f"; the peer's is {peer['cpu'] / max(cpu_floor['floor_cpu_s'], 0.005):.1f}× it" if peer else ""
    print(f"Cold cycle CPU: statuswatch {sw['cpu'] / max(cpu_floor['floor_cpu_s'], 0.005):.2f}× the floor{vs_peer}.")
print("\nPeak RSS is the whole process tree (the peer forks one parser per core), sampled every 10 ms.")
EOF
show_report "$REPORT"
