# rev.py: reverses each line; prints without flushing (block-buffered on a pipe
# unless PYTHONUNBUFFERED is set or it runs under -u).
import sys
for line in sys.stdin:
    print(line.rstrip("\n")[::-1])
