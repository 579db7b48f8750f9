#!/usr/bin/env bash
# Seeds each fuzz target's corpus (fuzz/corpus/TARGET, not committed) from the project's own
# fixtures and documentation, then adds the kept crash inputs (fuzz/regressions/TARGET).
set -euo pipefail
cd "$(dirname "$0")"
root=..
mkdir -p corpus/parse_feed corpus/classify corpus/opml corpus/config

# parse_feed: the first byte picks the engine; 255 leaves it to detection for any engine count
# up to 254, so every fixture is also read as the catalog would without an engine.
n=0
while IFS= read -r -d '' file; do
    n=$((n + 1))
    { printf '\377'; cat "$file"; } > "corpus/parse_feed/fixture-$n"
    { printf '\000'; cat "$file"; } > "corpus/parse_feed/fixture-$n-statuspage"
done < <(find "$root/fixtures/parse" "$root/fixtures/feeds" "$root/fixtures/json" "$root/fixtures/truth" \
    "$root/fixtures/replay" -type f \( -name '*.xml' -o -name '*.rss' -o -name '*.atom' -o -name '*.json' -o -name '*.html' \) \
    -size -200k -print0 | sort -z | head -z -n 200)

# classify: titles and summaries from the fixtures, as title NUL content.
python3 - "$root" <<'PY'
import pathlib, re, sys, html
root = pathlib.Path(sys.argv[1])
out = pathlib.Path("corpus/classify")
n = 0
for path in sorted(root.glob("fixtures/**/*")):
    if path.suffix not in {".xml", ".rss", ".atom"} or not path.is_file():
        continue
    text = path.read_text(errors="replace")
    titles = re.findall(r"<title[^>]*>(.*?)</title>", text, re.S)
    bodies = re.findall(r"<(?:summary|description|content)[^>]*>(.*?)</(?:summary|description|content)>", text, re.S)
    for title, body in zip(titles[1:], bodies):
        n += 1
        (out / f"entry-{n}").write_text(html.unescape(title) + "\0" + html.unescape(body)[:2000])
        if n >= 300:
            sys.exit(0)
PY

cp "$root"/fixtures/opml/*.opml corpus/opml/
cp "$root/feeds.opml" corpus/opml/bundled.opml

# config: every TOML block of the README and the webhook guide.
python3 - "$root" <<'PY'
import pathlib, re, sys
root = pathlib.Path(sys.argv[1])
n = 0
for doc in ("README.md", "docs/webhooks.md"):
    for block in re.findall(r"```toml\n(.*?)```", (root / doc).read_text(), re.S):
        n += 1
        pathlib.Path(f"corpus/config/doc-{n}.toml").write_text(block)
PY

for target in parse_feed classify opml config; do
    if [ -d "regressions/$target" ]; then cp "regressions/$target"/* "corpus/$target/" 2>/dev/null || true; fi
    echo "$target: $(ls "corpus/$target" | wc -l) seeds"
done
