#!/usr/bin/env bash
# Peak memory for one big document, polled once into an empty database from nginx on 127.0.0.1:
#
#   - "largest allowed": one Statuspage Atom feed of M entries (default 4,800: 10.2 MB = 9.8 MiB, just under
#     the default --max-body-size of 10 MB), in the markup examples/gen_feeds.rs writes;
#   - "100k small": one RSS feed of BIG entries (default 100,000 short items: 29 MB, the shape
#     issue 19 measured), with --max-body-size raised to let it in.
#
# Each is polled with the default entry cap and with the cap lifted (--max-entries 1000000), so
# the table shows what the cap saves. Reports body size, peak RSS, RSS / body, wall and entries.
#
#   bench/memory.sh                  # both documents, capped and uncapped
#   M=4000 BIG=20000 bench/memory.sh # smaller documents
#   SKIP_BUILD=1 bench/memory.sh     # measure what target/release holds
#
# Needs what bench/lib.sh needs (nginx and GNU time, installed with apt-get when missing); the
# peer is not run. Nothing leaves 127.0.0.1. Runs the poller under `nice`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

N=1
M=${M:-4800}
BIG=${BIG:-100000}
PORT=${PORT:-8091}
SKIP_PEER=1
VENV=${VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/statuswatch-bench/venv}

source "$ROOT/bench/lib.sh"

LARGEST=$(find "$WORK/corpus" -type f ! -name feeds.opml | head -n 1)
LARGEST_URL=$BASE/${LARGEST#"$WORK/corpus/"}
# Short generic items (about 290 bytes each), newest first, a minute apart.
python3 - "$WORK/corpus/big.rss" "$BIG" <<'EOF'
import sys, datetime
path, n = sys.argv[1], int(sys.argv[2])
start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
with open(path, "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Big</title>'
            '<link>https://status.big.example/</link><description>Many items</description>\n')
    for i in range(n, 0, -1):
        t = (start + datetime.timedelta(minutes=i)).strftime("%a, %d %b %Y %H:%M:%S GMT")
        f.write(f'<item><title>Resolved: queue delay {i}</title><link>https://status.big.example/i/{i}</link>'
                f'<guid isPermaLink="false">big-{i}</guid><pubDate>{t}</pubDate>'
                f'<description>Resolved - Queue {i} drained; messages are delivered again.</description></item>\n')
    f.write('</channel></rss>\n')
EOF

# run NAME URL SIZE FLAGS...: one poll of URL into a fresh database.
run() {
    local name=$1 url=$2 size=$3
    shift 3
    local db="$WORK/$name.db"
    "$SW" --db "$db" feeds add "$url" --no-check --title "$name" --vendor "$name" >/dev/null
    sync
    measure "$name" "$size" nice "$SW" --db "$db" poll --format json "$@"
}

LARGEST_BYTES=$(stat -c %s "$LARGEST")
BIG_BYTES=$(stat -c %s "$WORK/corpus/big.rss")
run largest-capped "$LARGEST_URL" "$LARGEST_BYTES"
run largest-uncapped "$LARGEST_URL" "$LARGEST_BYTES" --max-entries 1000000
run big-capped "$BASE/big.rss" "$BIG_BYTES" --max-body-size 64MB
run big-uncapped "$BASE/big.rss" "$BIG_BYTES" --max-body-size 64MB --max-entries 1000000

printf '| document | entries in it | body MB | --max-entries | stored | peak RSS MB | RSS / body | wall s |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
while IFS=$'\t' read -r name size wall _cpu rss _tree stored _summary; do
    case $name in
    largest-*) doc="Statuspage Atom (largest allowed by default)" count=$M ;;
    *) doc="short RSS items, --max-body-size 64MB" count=$BIG ;;
    esac
    case $name in *-uncapped) cap=1000000 ;; *) cap="500 (default)" ;; esac
    printf '| %s | %s | %.1f | %s | %s | %d | %.1f× | %.2f |\n' "$doc" "$count" \
        "$(awk "BEGIN { print $size / 1e6 }")" "$cap" "$stored" "$((rss / 1024))" \
        "$(awk "BEGIN { print $rss * 1024 / $size }")" "$wall"
done <"$RESULTS"
printf '\nmachine: %s cores; %s\n' "$(nproc)" "$(lscpu | awk -F': *' '/^Model name/ { print $2; exit }')"
