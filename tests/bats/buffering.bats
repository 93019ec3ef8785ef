#!/usr/bin/env bats
# Workers as people have them: tools that buffer their output in blocks when
# it is a pipe (tr, mawk, sed, grep, perl, Python without -u). procpool
# closes their stdin at the end of the input, feeds a worker that waits for
# input without answering, and closes its stdin to make it flush when no more
# can be sent; the output is the direct run's. PYTHONUNBUFFERED is removed
# from the environment here: a user's machine does not set it.

load '../helper'

setup_file() {
	export -n PYTHONUNBUFFERED
}

# through_pool N -- CMD...: N records through CMD run directly and through
# procpool (-k -j2, without its PYTHONUNBUFFERED); identical output, exit 0.
through_pool() {
	local n=$1
	shift 2
	seq "$n" | sed 's/$/ab/' >"$T/in"
	env -u PYTHONUNBUFFERED "$@" <"$T/in" >"$T/expected"
	status=0
	env -u PYTHONUNBUFFERED timeout -k 5 60 "$PROCPOOL" --no-unbuffered-env -k -j2 -- "$@" \
		<"$T/in" >"$T/out" 2>"$T/err" || status=$?
	assert_status 0
	assert_files_equal "$T/expected" "$T/out"
}

@test "tr, block-buffered: 3 records and 100,000, as the direct run" {
	through_pool 3 -- tr 1 x
	assert_stderr_empty
	through_pool 100000 -- tr 1 x
}

@test "mawk without -W interactive: 3 records and 100,000, as the direct run" {
	through_pool 3 -- mawk '{print $1 "y"}'
	assert_stderr_empty
	through_pool 100000 -- mawk '{print $1 "y"}'
}

@test "sed without -u: 3 records and 100,000, as the direct run" {
	through_pool 3 -- sed s/1/x/
	assert_stderr_empty
	through_pool 100000 -- sed s/1/x/
}

@test "grep without --line-buffered (a pattern every line matches): 3 and 100,000" {
	through_pool 3 -- grep -E 'b$'
	assert_stderr_empty
	through_pool 100000 -- grep -E 'b$'
}

@test "perl without \$|: 3 records and 100,000, as the direct run" {
	through_pool 3 -- perl -pe 's/1/x/'
	assert_stderr_empty
	through_pool 100000 -- perl -pe 's/1/x/'
}

@test "python3 without -u: 3 records and 100,000, as the direct run" {
	through_pool 3 -- python3 "$WORKERS/rev.py"
	assert_stderr_empty
	through_pool 100000 -- python3 "$WORKERS/rev.py"
}

@test "workers get PYTHONUNBUFFERED=1 unless the environment sets it or --no-unbuffered-env" {
	local py='import os, sys
for line in sys.stdin:
    print(os.environ.get("PYTHONUNBUFFERED", "unset"), flush=True)'
	printf 'a\n' >"$T/in"
	env -u PYTHONUNBUFFERED "$PROCPOOL" -- python3 -c "$py" <"$T/in" >"$T/out"
	assert_file_content "$T/out" '1\n'
	env PYTHONUNBUFFERED=x "$PROCPOOL" -- python3 -c "$py" <"$T/in" >"$T/out"
	assert_file_content "$T/out" 'x\n'
	env -u PYTHONUNBUFFERED "$PROCPOOL" --no-unbuffered-env -- python3 -c "$py" <"$T/in" >"$T/out"
	assert_file_content "$T/out" 'unset\n'
}

# out_has_lines N: $T/out has at least N lines.
out_has_lines() {
	[[ -e $T/out ]] && (($(wc -l <"$T/out") >= $1))
}

@test "a buffering worker on a stream is closed to make it flush: results arrive, one hint" {
	mkfifo "$T/fifo"
	pp_bg "$T/fifo" -j1 -- "$WORKERS_BIN/f_blockbuf"
	local w
	exec {w}>"$T/fifo"
	printf 'a\nb\nc\n' >&"$w"
	# The input stays open: only closing the worker's stdin can flush it.
	wait_for 20 out_has_lines 3
	printf 'd\n' >&"$w"
	wait_for 20 out_has_lines 4
	exec {w}>&-
	pp_wait
	assert_status 0
	assert_file_content "$T/out" 'a\nb\nc\nd\n'
	sed -E 's/worker [0-9]+/worker PID/' "$T/err" >"$T/err.norm"
	assert_file_content "$T/err.norm" '%s\n' \
		"procpool: worker PID (f_blockbuf) holds 3 tasks and has answered none of them while it waits for more input, and no more can be sent: closing its stdin so it flushes, and starting another worker; f_blockbuf may be buffering its output when writing to a pipe: make it flush after each answer (stdbuf -oL f_blockbuf, if it writes with C stdio) (--no-hints silences this)"
}

@test "the hint names the program behind wrappers, and its own fix" {
	mkfifo "$T/fifo"
	pp_bg "$T/fifo" -j1 -- env -u PYTHONUNBUFFERED nice -n 1 stdbuf -oL perl -ne 'print uc'
	local w
	exec {w}>"$T/fifo"
	printf 'a\nb\n' >&"$w"
	wait_for 20 out_has_lines 2
	exec {w}>&-
	pp_wait
	assert_status 0
	assert_file_content "$T/out" 'A\nB\n'
	run grep -c . "$T/err"
	assert_output 1
	grep -qF '(perl) holds 2 tasks' "$T/err" || fail "no hint naming perl: $(cat "$T/err")"
	grep -qF 'perl may be buffering its output when writing to a pipe: set $| = 1 in the script' "$T/err" ||
		fail "no perl fix: $(cat "$T/err")"
	! grep -q 'stdbuf -oL perl' "$T/err" || fail "suggested stdbuf to perl: $(cat "$T/err")"
}

@test "--no-hints: a buffering worker is still flushed, silently" {
	mkfifo "$T/fifo"
	pp_bg "$T/fifo" -j1 --no-hints -- "$WORKERS_BIN/f_blockbuf"
	local w
	exec {w}>"$T/fifo"
	printf 'a\n' >&"$w"
	wait_for 20 out_has_lines 1
	exec {w}>&-
	pp_wait
	assert_status 0
	assert_file_content "$T/out" 'a\n'
	assert_stderr_empty
}

@test "a flushing worker whose first task sleeps 4s gets no hint" {
	printf 'slow\nb\nc\n' >"$T/in"
	ppio "$T/in" -k -j1 -- python3 -u -c '
import sys, time
for line in sys.stdin:
    if line == "slow\n":
        time.sleep(4)
    print(line.strip().upper(), flush=True)'
	assert_status 0
	assert_file_content "$T/out" 'SLOW\nB\nC\n'
	assert_stderr_empty
}
