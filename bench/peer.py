#!/usr/bin/env python3
"""The peer of issue 8: what a user would write instead of statuswatch.

A competent Python poller: requests (one keep-alive Session per thread, conditional GET with
ETag / Last-Modified), feedparser in a process pool (one process per core: parsing is the CPU
work), sqlite3 with WAL and one transaction per feed, the same dedupe as statuswatch (an entry
is keyed by feed and entry id; a content hash decides unchanged, which only moves last_seen,
versus revised, which stores a new revision), and a small regex classification so it does the
same kind of work per entry.

    peer.py --db peer.db --opml feeds.opml [--threads 32] [--procs N]

Prints one JSON line with the same keys as `statuswatch poll --format json`.
"""

import argparse
import concurrent.futures as cf
import hashlib
import json
import os
import re
import sqlite3
import sys
import threading
import time
import xml.etree.ElementTree as ET

import feedparser
import requests

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, vendor TEXT, etag TEXT, last_modified TEXT,
    last_fetch_at TEXT, last_success_at TEXT, last_http_status INTEGER,
    consecutive_failures INTEGER NOT NULL DEFAULT 0, last_error TEXT);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY, feed_id INTEGER NOT NULL REFERENCES feeds (id), entry_key TEXT NOT NULL,
    title TEXT NOT NULL, link TEXT, published_at TEXT, updated_at TEXT, first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL, content_hash TEXT NOT NULL, status TEXT NOT NULL,
    UNIQUE (feed_id, entry_key));
CREATE TABLE IF NOT EXISTS entry_revisions (
    id INTEGER PRIMARY KEY, entry_id INTEGER NOT NULL REFERENCES entries (id),
    revision INTEGER NOT NULL, seen_at TEXT NOT NULL, content_hash TEXT NOT NULL,
    title TEXT NOT NULL, content TEXT NOT NULL, status TEXT NOT NULL,
    UNIQUE (entry_id, revision));
"""

RULES = [
    ("resolved", re.compile(r"(?i)\b(resolved|completed|post-?mortem|operating normally)\b")),
    ("maintenance", re.compile(r"(?i)\b(scheduled|maintenance|in progress|verifying)\b")),
    ("outage", re.compile(r"(?i)\b(outage|unavailable|down|disruption)\b")),
    ("degraded", re.compile(r"(?i)\b(degraded|elevated|increased|delays?|investigating|identified|monitoring)\b")),
]
TAG = re.compile(r"<[^>]+>")


def now_text():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def struct_text(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", t) if t else None


def classify(title, text):
    head = text[:400]
    for status, rx in RULES:
        if rx.search(title) or rx.search(head):
            return status
    return "informational"


def parse(body, url):
    """Runs in a worker process: bytes in, plain rows out (picklable, small)."""
    doc = feedparser.parse(body, response_headers={"content-location": url})
    if doc.bozo and not doc.entries:
        raise ValueError(str(doc.get("bozo_exception", "not a feed")))
    out = []
    for e in doc.entries:
        title = e.get("title", "")
        link = e.get("link")
        content = e["content"][0]["value"] if e.get("content") else e.get("summary", "")
        text = TAG.sub(" ", content)
        key = e.get("id") or link or (title + "|" + (e.get("published") or ""))
        published = struct_text(e.get("published_parsed"))
        updated = struct_text(e.get("updated_parsed"))
        record = json.dumps([key, title, link, published, updated, text], ensure_ascii=False)
        digest = hashlib.sha256(record.encode()).hexdigest()[:32]
        out.append((key, title, link, published, updated, text, digest, classify(title, text)))
    return out


_local = threading.local()


def session():
    s = getattr(_local, "session", None)
    if s is None:
        s = requests.Session()
        s.headers["User-Agent"] = "peer-poller/1.0"
        _local.session = s
    return s


def fetch_and_parse(pool, feed):
    feed_id, url, etag, last_modified = feed
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        r = session().get(url, headers=headers, timeout=30)
    except requests.RequestException as exc:
        return feed_id, None, None, None, str(exc)
    if r.status_code == 304:
        return feed_id, 304, None, None, None
    if r.status_code != 200:
        return feed_id, r.status_code, None, None, "HTTP %d" % r.status_code
    validators = (r.headers.get("ETag"), r.headers.get("Last-Modified"))
    try:
        entries = pool.submit(parse, r.content, url).result()
    except Exception as exc:  # a bad feed fails alone
        return feed_id, 200, None, None, "parse: %s" % exc
    return feed_id, 200, validators, entries, None


def store(conn, counts, result):
    feed_id, status, validators, entries, error = result
    now = now_text()
    with conn:  # one transaction per feed
        if error:
            counts["errors"] += 1
            conn.execute(
                "UPDATE feeds SET last_fetch_at=?, last_http_status=?, last_error=?,"
                " consecutive_failures=consecutive_failures+1 WHERE id=?",
                (now, status, error, feed_id))
            return
        if status == 304:
            counts["not_modified"] += 1
            conn.execute(
                "UPDATE feeds SET last_fetch_at=?, last_success_at=?, last_http_status=304,"
                " consecutive_failures=0, last_error=NULL WHERE id=?",
                (now, now, feed_id))
            return
        counts["fetched"] += 1
        for key, title, link, published, updated, text, digest, cls in entries:
            row = conn.execute(
                "SELECT id, content_hash FROM entries WHERE feed_id=? AND entry_key=?",
                (feed_id, key)).fetchone()
            if row is None:
                entry_id = conn.execute(
                    "INSERT INTO entries (feed_id, entry_key, title, link, published_at, updated_at,"
                    " first_seen_at, last_seen_at, content_hash, status)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (feed_id, key, title, link, published, updated, now, now, digest, cls)).lastrowid
                revision = 1
                counts["new"] += 1
            elif row[1] == digest:
                conn.execute("UPDATE entries SET last_seen_at=? WHERE id=?", (now, row[0]))
                counts["unchanged"] += 1
                continue
            else:
                entry_id = row[0]
                conn.execute(
                    "UPDATE entries SET title=?, link=?, published_at=?, updated_at=?, last_seen_at=?,"
                    " content_hash=?, status=? WHERE id=?",
                    (title, link, published, updated, now, digest, cls, entry_id))
                revision = conn.execute(
                    "SELECT COALESCE(MAX(revision),0)+1 FROM entry_revisions WHERE entry_id=?",
                    (entry_id,)).fetchone()[0]
                counts["updated"] += 1
            conn.execute(
                "INSERT INTO entry_revisions (entry_id, revision, seen_at, content_hash, title,"
                " content, status) VALUES (?,?,?,?,?,?,?)",
                (entry_id, revision, now, digest, title, text, cls))
        etag, last_modified = validators
        conn.execute(
            "UPDATE feeds SET etag=COALESCE(?, etag), last_modified=COALESCE(?, last_modified),"
            " last_fetch_at=?, last_success_at=?, last_http_status=200, consecutive_failures=0,"
            " last_error=NULL WHERE id=?",
            (etag, last_modified, now, now, feed_id))


def import_opml(conn, path):
    tree = ET.parse(path)
    with conn:
        for o in tree.iter("outline"):
            url = o.get("xmlUrl")
            if url:
                conn.execute("INSERT OR IGNORE INTO feeds (url, vendor) VALUES (?, ?)",
                             (url, o.get("vendor")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--opml", required=True)
    ap.add_argument("--threads", type=int, default=32)
    ap.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    conn = sqlite3.connect(args.db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA)
    conn.isolation_level = ""  # `with conn` opens and commits a transaction
    if conn.execute("SELECT count(*) FROM feeds").fetchone()[0] == 0:
        import_opml(conn, args.opml)
    feeds = conn.execute("SELECT id, url, etag, last_modified FROM feeds ORDER BY id").fetchall()

    counts = dict(feeds=len(feeds), fetched=0, not_modified=0, errors=0, new=0, updated=0,
                  unchanged=0, events=0)
    with cf.ProcessPoolExecutor(max_workers=args.procs) as pool, \
            cf.ThreadPoolExecutor(max_workers=args.threads) as threads:
        futures = [threads.submit(fetch_and_parse, pool, f) for f in feeds]
        for fut in cf.as_completed(futures):
            store(conn, counts, fut.result())
    conn.close()
    print(json.dumps(counts))
    return 2 if counts["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
