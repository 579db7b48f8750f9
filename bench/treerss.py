#!/usr/bin/env python3
"""Peak resident memory of a process tree: the sum over a process and all its descendants,
sampled every 10 ms until the root exits. `/usr/bin/time -v` reports only the largest single
process, which under-counts a poller that forks workers.

    treerss.py PID   # prints the peak in kB
"""
import os
import sys
import time


def children_map():
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            kids.setdefault(int(fields[1]), []).append(int(name))
        except (OSError, IndexError):
            pass
    return kids


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    root = int(sys.argv[1])
    peak = 0
    while os.path.exists("/proc/%d" % root):
        kids = children_map()
        total, todo = 0, [root]
        while todo:
            pid = todo.pop()
            total += rss_kb(pid)
            todo.extend(kids.get(pid, []))
        peak = max(peak, total)
        time.sleep(0.01)
    print(peak)


if __name__ == "__main__":
    main()
