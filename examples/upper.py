#!/usr/bin/env python3
# upper.py: a procpool worker that upper-cases each task.
#
#   printf 'a\nb\n' | procpool -k -- python3 -u examples/upper.py
#
# The worker protocol (procpool(1), THE WORKER PROTOCOL): read one task per
# line on stdin, write exactly one answer line per task on stdout, in order,
# and flush after each answer; exit at end of input. The flush matters: a
# pipe makes Python block-buffer stdout, and an answer stuck in a buffer
# never reaches procpool. `python3 -u` alone would also do; the explicit
# flush keeps the worker correct however it is started.
#
# Lines are handled as bytes, so any input (not only UTF-8) comes back intact
# apart from its ASCII letters.
import sys

def main():
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        task = line.rstrip(b"\n")
        out.write(task.upper() + b"\n")
        out.flush()

if __name__ == "__main__":
    main()
