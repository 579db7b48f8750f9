#!/usr/bin/env bash
# Makes docs/board.png (and docs/board-phone.png): the board of a demo archive, built from the
# repository's own replay fixture (fixtures/replay/aws-day, made-up vendors) stopped at midday
# on the AWS day, while the correlated outage is open. Serves it on 127.0.0.1 only and shoots it
# with headless Chromium (Debian's `chromium`), kept off the network by its flags.
#
#   docs/make-board-screenshot.sh            # from the repository's root; builds the binary
#   STOP_AT=20251020T090000Z docs/make-board-screenshot.sh
set -euo pipefail
cd "$(dirname "$0")/.."

STOP_AT=${STOP_AT:-20251020T120000Z}
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$CHROMIUM" ]; then
    echo "make-board-screenshot: chromium is missing: apt-get install chromium" >&2
    exit 1
fi

cargo build --quiet
bin=target/debug/statuswatch
work=$(mktemp -d)
server=
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# The fixture day up to STOP_AT: every capture named after it is left out.
cp -r fixtures/replay/aws-day "$work/day"
find "$work/day" -name '2025*Z.*' | while read -r capture; do
    name=$(basename "$capture")
    if [[ "${name%%.*}" > "$STOP_AT" ]]; then rm "$capture"; fi
done
if ! "$bin" replay "$work/day" --db "$work/demo.db" --keep >"$work/replay.log" 2>&1; then
    cat "$work/replay.log" >&2
    exit 1
fi

"$bin" --db "$work/demo.db" serve --listen 127.0.0.1:0 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do
    grep -q ' at http://' "$work/serve.log" && break
    sleep 0.1
done
base=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/serve.log" | head -1)
if [ -z "$base" ]; then
    echo "make-board-screenshot: the server did not start:" >&2
    cat "$work/serve.log" >&2
    exit 1
fi

# --timeout, not --virtual-time-budget: virtual time waits for pending requests, and the page's
# event stream never ends. The shot is taken once the page has loaded.
shoot() { # OUT WIDTH,HEIGHT PATH [FLAGS...]
    local out=$1 size=$2 path=$3
    shift 3
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$work/profile-$(basename "$out")" --hide-scrollbars \
        --timeout=5000 "$@" --window-size="$size" --screenshot="$out" "$base$path" 2>/dev/null
}
shoot "$PWD/docs/board.png" 1280,1000 /
# A phone, in the dark theme (the system's setting, forced here).
shoot "$PWD/docs/board-phone.png" 390,844 / --force-dark-mode
echo "Wrote docs/board.png and docs/board-phone.png from $base (the AWS day up to $STOP_AT)."
