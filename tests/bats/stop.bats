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
	# A megabyte of results waits, plus the window; then reading stops:
	# the input's offset holds still for a second (on a busy machine the
	# workers may take a while to fill what waits).
	local rss pos=-1 pos2=-2 deadline=$((SECONDS + 30))
	while [ "$pos2" != "$pos" ] && ((SECONDS < deadline)); do
		pos=$(awk '/^pos:/ {print $2}' "/proc/$pp/fdinfo/0")
		sleep 1
		pos2=$(awk '/^pos:/ {print $2}' "/proc/$pp/fdinfo/0")
	done
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pp/status")
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

# HUNG_WORKER: reads one task, then neither answers nor heeds SIGTERM.
HUNG_WORKER='trap "" TERM; read -r _; while :; do sleep 1; done'

@test "timeout 3 with a hung worker: gone within 3s + --stop-timeout + --kill-grace" {
	mkfifo "$T/fifo"
	local start=$SECONDS st=0 w
	exec {w}<>"$T/fifo" # input that never ends (read-write: no wait for a reader)
	echo task >&"$w"
	timeout --preserve-status 3 "$PROCPOOL" -j1 -- sh -c "$HUNG_WORKER" <"$T/fifo" >"$T/out" 2>"$T/err" || st=$?
	local took=$((SECONDS - start))
	exec {w}>&-
	assert_equal "$st" 143
	# 3s, then the default --stop-timeout 10s and --kill-grace 2s.
	((took >= 13 && took <= 20)) || fail "procpool took ${took}s to stop"
	sed -E 's/worker [0-9]+/worker PID/' "$T/err" >"$T/err.norm"
	assert_file_content "$T/err.norm" '%s\n' \
		"procpool: stopping 1 worker still busy 10s after the stop began (--stop-timeout)" \
		"procpool: 1 tasks read but not run"
}

@test "SIGTERM: tasks that finish within --stop-timeout are written; the rest are not run, with no joblog row" {
	# Four workers each hold one task: two finish within --stop-timeout,
	# two never do.
	printf 'fast1\nhang1\nfast2\nhang2\n' >"$T/in"
	mkfifo "$T/fifo"
	local w
	pp_bg "$T/fifo" -j4 --depth 1 --stop-timeout 2s --kill-grace 1s --joblog "$T/log" -- \
		python3 -u -c '
import sys, time
for line in sys.stdin:
    time.sleep(1 if line.startswith("fast") else 300)
    print(line.strip(), flush=True)'
	exec {w}>"$T/fifo"
	cat "$T/in" >&"$w"
	wait_for 20 has_children_at_least "$PP_PID" 4
	kill -TERM "$PP_PID"
	pp_wait
	exec {w}>&-
	assert_status 143
	assert_same_multiset <(printf 'fast1\nfast2\n') "$T/out"
	run sh -c "awk -F'\t' 'NR > 1 {print \$1}' '$T/log' | sort -n"
	assert_output "$(printf '1\n3')"
	tail -1 "$T/err" | grep -qxF "procpool: 2 tasks read but not run" || fail "$(cat "$T/err")"
}

@test "a second signal stops the workers at once" {
	mkfifo "$T/fifo"
	local w
	pp_bg "$T/fifo" -j1 --stop-timeout none -- sh -c "$HUNG_WORKER"
	exec {w}>"$T/fifo"
	echo task >&"$w"
	wait_for 20 has_children_at_least "$PP_PID" 1
	kill -TERM "$PP_PID"
	sleep 1
	pid_is_gone_or_zombie "$PP_PID" && fail "--stop-timeout none did not wait"
	kill -INT "$PP_PID"
	pp_wait
	exec {w}>&-
	assert_status 143
}

# has_children_at_least PID N: PID has N child processes or more.
has_children_at_least() {
	(($(ps -o pid= --ppid "$1" | wc -l) >= $2))
}

@test "a reader slower than the workers: no stall when the results it drains let the pool go on" {
	# 20 MB of 200-byte lines through a pipe: the output backs up and
	# drains again and again. A lost wake-up once made the pool sleep until
	# an idle timer; with -i 30s that is a hang PP_TIMEOUT catches.
	python3 -c '
import random
r = random.Random(1)
for i in range(100000):
    print("".join(r.choice("abcdefghij") for _ in range(199)))' >"$T/in"
	PP_TIMEOUT=20 pp -k -j2 -i 30s -- "$WORKERS_BIN/lineecho" <"$T/in" | cat >"$T/out"
	assert_files_equal "$T/in" "$T/out"
	# A fast reader (/dev/null) made it happen in half the runs.
	local i st
	for i in $(seq 10); do
		PP_TIMEOUT=20 pp -k -j2 -i 30s -- "$WORKERS_BIN/lineecho" <"$T/in" 2>"$T/err" | cat >/dev/null
		st=${PIPESTATUS[0]}
		((st == 0)) || fail "run $i: status $st (124: it stalled); $(cat "$T/err")"
	done
}
