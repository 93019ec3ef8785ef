#!/usr/bin/python3
"""f_leak.py: line worker whose task "MIB TEXT" allocates MIB mebibytes,
one at a time, keeps them (a leak) and answers TEXT. When an allocation
fails (an address-space limit such as --mem-limit), it aborts: killed by
SIGABRT. Python, so that it runs the same in sanitizer builds (an ASan
binary cannot start under an address-space limit)."""
import os
import sys

leaked = []
for line in sys.stdin.buffer:
    mib, _, text = line.partition(b" ")
    try:
        for _ in range(int(mib)):
            leaked.append(bytearray(1 << 20))
    except MemoryError:
        os.abort()
    sys.stdout.buffer.write(text if text.endswith(b"\n") else text + b"\n")
    sys.stdout.buffer.flush()
