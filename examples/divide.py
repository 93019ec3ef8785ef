#!/usr/bin/env python3
# divide.py: a procpool worker that divides 100 by each task, and reports a
# task it cannot do as an error instead of dying on it.
#
#   printf '5\n0\nx\n' | procpool -k --error-prefix 'ERROR: ' -- python3 examples/divide.py
#
# A worker that meets bad input (a zero, a record that is not a number, a
# corrupt image) should not die: a restart can cost seconds (a model to
# load), and a death is counted as the task's failure anyway. With
# --error-prefix STR, an answer line that starts with STR fails its task:
# procpool reports the rest of the line as the reason, counts the task as
# failed (exit status, --halt, --retries, the joblog, --resume-failed) and
# keeps the worker. procpool tells the worker the prefix in
# PROCPOOL_ERROR_PREFIX; the message must stay on one line.
import os
import sys

PREFIX = os.environ.get("PROCPOOL_ERROR_PREFIX", "ERROR: ")


def answer(task):
    return str(100 // int(task))


for line in sys.stdin:
    try:
        out = answer(line.rstrip("\n"))
    except Exception as e:  # the task failed, the worker goes on
        out = PREFIX + type(e).__name__ + ": " + " ".join(str(e).split())
    print(out, flush=True)
