#!/bin/sh
# upper.sh: a procpool worker in POSIX sh that upper-cases each task.
#
#   printf 'a\nb\n' | procpool -k -- examples/upper.sh
#
# The shape of every worker: a loop reading one task per line and writing one
# answer line per task. `IFS= read -r` keeps leading blanks and backslashes;
# `printf '%s\n'` (unlike echo) prints the line as it is. printf is a shell
# builtin writing straight to stdout, so each answer leaves at once: nothing
# to flush. The loop ends at end of input, which is how procpool tells a
# worker to exit.
#
# Readable rather than fast: tr runs once per task. For real work, use a
# language that keeps its state between tasks (see upper.py, upper.c).
while IFS= read -r line; do
	printf '%s\n' "$line" | tr '[:lower:]' '[:upper:]'
done
