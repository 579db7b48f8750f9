#!/usr/bin/env python3
"""Sequential probe for bench/serve.sh: N requests, one after another on one kept-alive
connection (or as many as fit in --seconds), each timed on the client; the `Server-Timing: render;dur=<ms>` header is read
when the answer has one (the board's server-side render time).

    serve_probe.py URL [--requests 200] [--seconds 60] [--accept text/html]

Prints one JSON object: requests, the status codes seen, client latency p50/p99/max in ms,
and render p50/p99/max in ms (null when no answer carried the header). Standard library only.
"""
import argparse
import http.client
import json
import re
import sys
import time
import urllib.parse

RENDER = re.compile(r"(?:^|,)\s*render\s*;(?:[^,]*;)?\s*dur=([0-9.]+)")


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil
    return ordered[int(rank) - 1]


def summary(values):
    if not values:
        return None
    return {
        "p50": round(percentile(values, 50), 2),
        "p99": round(percentile(values, 99), 2),
        "max": round(max(values), 2),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--accept", default="application/json")
    parser.add_argument("--seconds", type=float, default=60.0, help="stop after this long")
    args = parser.parse_args()
    url = urllib.parse.urlsplit(args.url)
    target = url.path + ("?" + url.query if url.query else "")
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
    latencies, renders, codes, size = [], [], {}, 0
    deadline = time.perf_counter() + args.seconds
    sent = 0
    while sent < args.requests and time.perf_counter() < deadline:
        sent += 1
        start = time.perf_counter()
        try:
            conn.request("GET", target, headers={"Accept": args.accept})
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
            codes["error"] = codes.get("error", 0) + 1
            continue
        latencies.append((time.perf_counter() - start) * 1000.0)
        codes[str(response.status)] = codes.get(str(response.status), 0) + 1
        size = len(body)
        match = RENDER.search(response.getheader("Server-Timing") or "")
        if match:
            renders.append(float(match.group(1)))
    json.dump(
        {
            "requests": sent,
            "codes": codes,
            "bytes": size,
            "latency_ms": summary(latencies),
            "render_ms": summary(renders),
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
