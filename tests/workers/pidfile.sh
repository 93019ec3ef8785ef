#!/bin/sh
# pidfile.sh DIR [SECONDS]: record this worker's pid as the file DIR/PID,
# then echo each task (after sleeping SECONDS, if given). Lets tests check
# afterwards that every worker procpool started is gone.
: > "$1/$$"
while IFS= read -r line; do
	if [ -n "$2" ]; then sleep "$2"; fi
	printf '%s\n' "$line"
done
