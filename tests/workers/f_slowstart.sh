#!/bin/sh
# f_slowstart.sh SECONDS: a worker that takes SECONDS to start, then echoes
# each task line.
sleep "$1"
while IFS= read -r line; do
	printf '%s\n' "$line"
done
