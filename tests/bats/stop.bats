#!/usr/bin/env bats
# Stopping: signals from timeout, systemd or a terminal end procpool within
# a documented bound, whatever the workers or the reader of stdout do.

load '../helper'

# status_file_written FILE: for wait_for.
status_file_written() {
	[[ -s $1 ]]
}

@test "a reader that stops reading does not make procpool deaf to SIGTERM" {
	seq 1000000 >"$T/in"
	local start=$SECONDS
	# sleep never reads: stdout fills and stays full.
	{
		st=0
		timeout --preserve-status 3 "$PROCPOOL" -j2 -- sed -u 's/^/x/' <"$T/in" 2>"$T/err" || st=$?
		echo "$st" >"$T/status"
	} | sleep 30 &
	local reader=$!
	wait_for 20 status_file_written "$T/status"
	local took=$((SECONDS - start))
	kill "$reader" 2>/dev/null || true
	assert_equal "$(cat "$T/status")" 143
	# SIGTERM at 3s, then at most --kill-grace (2s) for a reader that took
	# nothing: well before the reader's own 30s.
	((took <= 10)) || fail "procpool took ${took}s to stop"
	grep -qE '^procpool: stdout has taken nothing for [0-9]+s; [0-9]+ bytes of results not written$' "$T/err" ||
		fail "no message about the unwritten results: $(cat "$T/err")"
}

@test "while the reader is stalled procpool stops reading input and stays small" {
	seq 3000000 >"$T/in"
	mkfifo "$T/fifo"
	"$PROCPOOL" -k -j2 -- sed -u 's/^/x/' <"$T/in" >"$T/fifo" 2>"$T/err" 3>&- &
	PP_PID=$!
	BG_PIDS+=("$PP_PID")
	local pp=$PP_PID
	exec 4<"$T/fifo" # a reader that holds the pipe open and reads nothing
	sleep 2
	local rss pos pos2
	pos=$(awk '/^pos:/ {print $2}' "/proc/$pp/fdinfo/0")
	sleep 1
	pos2=$(awk '/^pos:/ {print $2}' "/proc/$pp/fdinfo/0")
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pp/status")
	# A megabyte of results waits, plus the window; then reading stops.
	assert_equal "$pos2" "$pos"
	((pos < 8000000)) || fail "procpool read ${pos} bytes of input while its reader was stalled"
	((rss < 40000)) || fail "procpool grew to ${rss} kB while its reader was stalled"
	# Then the reader drains everything: every result arrives, exit 0.
	cat <&4 >"$T/out"
	exec 4<&-
	pp_wait
	assert_equal "$status" 0
	assert_equal "$(wc -l <"$T/out")" 3000000
	assert_equal "$(sed -n '3000000p' "$T/out")" x3000000
}
