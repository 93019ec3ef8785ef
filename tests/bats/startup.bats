#!/usr/bin/env bats
# Start-up is not task time: a worker is ready once it answers, reads its
# stdin, or writes the --ready line; until then --timeout does not run and
# --start-timeout bounds it. And the crash-loop rule, for a COMMAND that
# cannot work at all, never for inputs that crash a worker that works.

load '../helper'

@test "a worker that sleeps 2s before reading succeeds under --timeout 1s" {
	printf 'a\nb\n' >"$T/in"
	ppio "$T/in" -k -j1 --timeout 1s -- sh -c 'sleep 2; exec "$0"' "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'A\nB\n'
	assert_stderr_empty
}

@test "--timeout still fails a task once the worker is ready" {
	printf 'a\nslow\n' >"$T/in"
	ppio "$T/in" -k -j1 --depth 1 --timeout 1s -- python3 -u -c '
import sys, time
for line in sys.stdin:
    if line == "slow\n":
        time.sleep(30)
    print(line.strip(), flush=True)'
	assert_status 1
	assert_file_content "$T/out" 'a\n'
	grep -qE "^procpool: record 2: timed out after 1s \(worker [0-9]+ killed by signal SIGTERM\); input 'slow'\$" "$T/err" ||
		fail "$(cat "$T/err")"
}

@test "--start-timeout 1s against a worker that sleeps 30s: stopped, named, a crash loop, no task charged" {
	printf 'a\nb\n' >"$T/in"
	local start=$SECONDS
	ppio "$T/in" -j1 --start-timeout 1s -- sh -c 'sleep 30; exec cat'
	assert_status 124
	((SECONDS - start < 25)) || fail "took $((SECONDS - start))s"
	assert_file_content "$T/out" ''
	sed -E 's/worker [0-9]+/worker PID/' "$T/err" >"$T/err.norm"
	assert_file_content "$T/err.norm" '%s\n' \
		"procpool: worker PID was not ready after 1s (--start-timeout); stopping it" \
		"procpool: worker PID was not ready after 1s (--start-timeout); stopping it" \
		"procpool: worker PID was not ready after 1s (--start-timeout); stopping it" \
		"procpool: worker PID was not ready after 1s (--start-timeout); stopping it" \
		"procpool: worker PID was not ready after 1s (--start-timeout); stopping it" \
		"procpool: 'sh' keeps dying before answering (5 workers in a row, the last not ready after --start-timeout); giving up" \
		"procpool: 2 tasks read but not run"
}

@test "--ready: the banner goes to stderr, never into results; no task before the ready line" {
	printf 'a\nb\nc\n' >"$T/in"
	ppio "$T/in" -k -j1 --ready READY --timeout 1s -- sh -c '
		echo "loading model..."; sleep 2; echo "still loading"; echo READY
		exec "$0"' "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'A\nB\nC\n'
	sed -E 's/worker [0-9]+/worker PID/' "$T/err" >"$T/err.norm"
	assert_file_content "$T/err.norm" '%s\n' \
		"procpool: worker PID: loading model..." "procpool: worker PID: still loading"
}

@test "--ready: a worker that exits before its ready line fails no task" {
	printf 'a\n' >"$T/in"
	ppio "$T/in" -j1 --ready READY -- sh -c 'echo oops; exit 3'
	assert_status 124
	run grep -c "^procpool: worker [0-9]*: oops\$" "$T/err"
	assert_output 5
	run grep -cE '^procpool: record' "$T/err"
	assert_output 0
	run tail -2 "$T/err"
	assert_line --index 0 "procpool: 'sh' keeps dying before answering (5 workers in a row, the last exited with status 3); giving up"
	assert_line --index 1 "procpool: 1 tasks read but not run"
}

@test "--stats: start-up is spawn to ready" {
	printf 'a\n' >"$T/in"
	ppio "$T/in" --stats --ready GO -- sh -c 'sleep 1; echo GO; exec "$0"' "$WORKERS_BIN/upper"
	assert_status 0
	local su
	su=$(sed -nE 's/^  start-up  median ([0-9.]+)(ms|s) \(spawn to ready\)$/\1 \2/p' "$T/err")
	[[ $su == *" s" ]] || fail "start-up not in seconds: '$su'; $(cat "$T/err")"
}

@test "poison inputs fail only themselves: 1 bad line of 1000, --retries 5, -j1" {
	{ seq 1 10; echo bad; seq 11 1000; } >"$T/in"
	ppio "$T/in" -k -j1 --retries 5 -- perl -ne 'BEGIN { $| = 1 } die "x\n" if /bad/; print "ok $_"'
	assert_status 1
	seq 1000 | sed 's/^/ok /' >"$T/expected"
	assert_files_equal "$T/expected" "$T/out"
	run grep -c 'retrying (attempt' "$T/err"
	assert_output 5
	run grep -cE "^procpool: record 11: worker [0-9]+ exited with status 255; input 'bad'\$" "$T/err"
	assert_output 1
	! grep -q 'keeps dying' "$T/err" || fail "gave up: $(cat "$T/err")"
}

@test "poison inputs fail only themselves: eight bad lines in a row at -j2" {
	{ seq 1 10; for i in $(seq 8); do echo bad; done; seq 11 1000; } >"$T/in"
	ppio "$T/in" -k -j2 -- perl -ne 'BEGIN { $| = 1 } die "x\n" if /bad/; print "ok $_"'
	assert_status 8
	seq 1000 | sed 's/^/ok /' >"$T/expected"
	assert_files_equal "$T/expected" "$T/out"
	run grep -cE "^procpool: record (1[1-8]): worker [0-9]+ exited with status 255; input 'bad'\$" "$T/err"
	assert_output 8
}

@test "a COMMAND that dies on every task before ever answering is still a crash loop" {
	seq 100 >"$T/in"
	ppio "$T/in" -j1 -- perl -ne 'die "no\n"'
	assert_status 124
	assert_file_content "$T/out" ''
	grep -qxF "procpool: 'perl' keeps dying before answering (5 workers in a row, the last exited with status 255); giving up" "$T/err" ||
		fail "$(cat "$T/err")"
}
