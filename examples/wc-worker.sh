#!/bin/sh
# wc-worker.sh: a procpool worker that counts the lines of files.
# Task: a file path. Answer: "PATH<TAB>LINES", or "PATH<TAB>error" when the
# file cannot be read (the worker answers every task and keeps going: a
# worker that exits fails its task, see FAILURES in procpool(1)).
#
#   find . -name '*.txt' -print0 | procpool -0 -k -- examples/wc-worker.sh
#
# With -0, procpool reads NUL-terminated paths, so names with blanks or
# quotes are safe; the line wire then carries each path as one line, and a
# path that itself contains a newline fails on its own with a message naming
# it (use -w base64 and a worker that decodes, to carry those too). Results
# come back NUL-terminated, ready for `xargs -0` or `tr '\0' '\n'`.
while IFS= read -r path; do
	if n=$(wc -l 2>/dev/null <"$path"); then
		printf '%s\t%s\n' "$path" "$((n + 0))"
	else
		printf '%s\terror\n' "$path"
	fi
done
