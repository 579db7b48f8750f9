#!/usr/bin/env bash
# Runs one fuzz target until it has used CPU_SECONDS of CPU (not wall time: on a shared
# machine the two differ), then stops it with SIGINT so libFuzzer prints its final stats.
#   fuzz/run.sh parse_feed 1800        # needs `cargo +nightly fuzz build -s none -a` first
# Crashes land in fuzz/artifacts/TARGET/; keep each as fuzz/regressions/TARGET/NAME (the
# project's tests replay them: tests/fuzz_regressions.rs).
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh TARGET CPU_SECONDS}
budget=${2:-1800}
bin=target/x86_64-unknown-linux-gnu/release/$target
[ -x "$bin" ] || { echo "fuzz/run.sh: $bin is not built: run 'cargo +nightly fuzz build -s none -a' in fuzz/" >&2; exit 1; }
[ -d "corpus/$target" ] || ./seed.sh
mkdir -p "artifacts/$target"
"$bin" "corpus/$target" -artifact_prefix="artifacts/$target/" -rss_limit_mb=1024 -timeout=10 \
    -max_len=262144 -print_final_stats=1 ${FUZZ_ARGS:-} &
pid=$!
ticks=$(getconf CLK_TCK)
while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    # utime and stime, fields 14 and 15 of /proc/PID/stat (the name in field 2 has no spaces).
    read -r -a stat < "/proc/$pid/stat" 2>/dev/null || break
    used=$(( (stat[13] + stat[14]) / ticks ))
    if [ "$used" -ge "$budget" ]; then
        kill -INT "$pid"
        break
    fi
done
status=0
wait "$pid" || status=$?
echo "fuzz/run.sh: $target used ${used:-?} CPU seconds (budget $budget), exit $status"
exit "$status"
