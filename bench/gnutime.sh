# shellcheck shell=bash
# Reading a `/usr/bin/time -v -o FILE` report, for every bench script.

# gnu_time_wall FILE: elapsed wall time in seconds ("1:02.34" or "1:02:03" in the report).
gnu_time_wall() {
    awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"
}

# gnu_time_cpu FILE: user + system seconds.
gnu_time_cpu() {
    awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { print u + s }' "$1"
}

# gnu_time_rss FILE: peak resident set size of the largest process, kB.
gnu_time_rss() {
    awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"
}
