#!/usr/bin/env python3
# sha256.py: a procpool worker that answers each task with the SHA-256 of
# its bytes, as 64 hex digits.
#
#   printf 'abc\n' | procpool -- python3 examples/sha256.py
#   ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
#
# The task is the line without its newline, so this matches
# `printf '%s' abc | sha256sum`. A line cannot hold a newline, so to hash
# whole files (any bytes) use the base64 wire and --base64 here: each task is
# then a base64 line to decode, and each answer the base64 of "DIGEST\n":
#
#   for f in *.jpg; do base64 -w0 "$f"; echo; done |
#       procpool -b -k -- python3 examples/sha256.py --base64 | base64 -d
#
# Flushing after each answer is what keeps the protocol moving: a pipe makes
# Python block-buffer stdout.
import base64
import hashlib
import sys


def main():
    wire_b64 = sys.argv[1:] == ["--base64"]
    if sys.argv[1:] and not wire_b64:
        sys.exit("usage: sha256.py [--base64]")
    out = sys.stdout
    for line in sys.stdin.buffer:
        task = line.rstrip(b"\n")
        if wire_b64:
            digest = hashlib.sha256(base64.b64decode(task)).hexdigest() + "\n"
            out.write(base64.b64encode(digest.encode()).decode() + "\n")
        else:
            out.write(hashlib.sha256(task).hexdigest() + "\n")
        out.flush()


if __name__ == "__main__":
    main()
