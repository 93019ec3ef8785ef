#!/bin/sh
# f_diestart.sh STATUS: a worker that exits with STATUS at once, before
# reading or answering anything.
exit "$1"
