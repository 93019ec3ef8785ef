#!/usr/bin/python3
"""b64wrap: answers each task line with the base64 of the line exactly as it
arrived (without its newline). On the base64 wire procpool decodes that
answer, so the result shows the bytes the wire carried."""
import base64
import sys

for line in sys.stdin.buffer:
    sys.stdout.buffer.write(base64.b64encode(line.rstrip(b"\n")) + b"\n")
    sys.stdout.buffer.flush()
