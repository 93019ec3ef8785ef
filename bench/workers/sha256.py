#!/usr/bin/env python3
"""sha256 worker: a realistic interpreted worker for procpool benchmarks.

Line protocol: for each stdin line (without its newline) print the hex
SHA-256 of its bytes, flushing after every answer. Exits at stdin EOF.

"sha256.py -a TASK..." answers each argument as one task and exits; the
per-task configurations (xargs, parallel) start one interpreter per task
this way.
"""
import hashlib
import os
import sys


def digest(task: bytes) -> bytes:
    return hashlib.sha256(task).hexdigest().encode() + b"\n"


def main() -> int:
    out = sys.stdout.buffer
    if len(sys.argv) >= 2 and sys.argv[1] == "-a":
        for arg in sys.argv[2:]:
            out.write(digest(os.fsencode(arg)))
        out.flush()
        return 0
    if len(sys.argv) != 1:
        print("usage: sha256.py [-a TASK...]", file=sys.stderr)
        return 2
    inp = sys.stdin.buffer
    while True:
        line = inp.readline()
        if not line:
            return 0
        if line.endswith(b"\n"):
            line = line[:-1]
        out.write(digest(line))
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
