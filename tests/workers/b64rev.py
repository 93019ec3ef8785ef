#!/usr/bin/python3
"""b64rev: base64-wire worker. Each task line is base64; answer the base64
of its bytes reversed. One line per task, flushed; exits at stdin EOF."""
import base64
import sys

for line in sys.stdin.buffer:
    data = base64.b64decode(line.rstrip(b"\n"), validate=True)
    sys.stdout.buffer.write(base64.b64encode(data[::-1]) + b"\n")
    sys.stdout.buffer.flush()
