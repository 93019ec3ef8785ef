#!/usr/bin/env bats
# Bad input, usage errors and unrunnable commands: exact messages and exit
# statuses. Failed tasks: one "procpool: record N: REASON" line each, the
# other tasks still produce results, exit status = number failed (max 101).
# Record numbers count from 1.

load '../helper'

# assert_usage_error MESSAGE ARG...: procpool ARG... exits 125 with exactly
# "procpool: MESSAGE" and the --help hint on stderr, nothing on stdout.
assert_usage_error() {
	local msg=$1
	shift
	run --separate-stderr pp "$@" </dev/null
	assert_equal "$status" 125
	assert_equal "$output" ""
	assert_equal "$stderr" "procpool: $msg
Try 'procpool --help' for more information."
}

@test "-b: an invalid base64 line fails that task only, exit 1" {
	printf 'YWJj\n!!notbase64!!\neHl6\n' >"$T/in"
	ppio "$T/in" -b -k -- "$WORKERS_BIN/lineecho"
	assert_status 1
	assert_file_content "$T/out" 'YWJj\neHl6\n'
	run cat "$T/err"
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --regexp '^procpool: record 2: invalid base64'
}

@test "-b: missing padding and stray padding are invalid base64 (RFC 4648)" {
	# "YWJ" lacks padding, "Y===" and "YQ=" are malformed.
	printf 'YWJ\nYWJj\nY===\nYQ=\neHl6\n' >"$T/in"
	ppio "$T/in" -b -k -- "$WORKERS_BIN/lineecho"
	assert_status 3
	assert_file_content "$T/out" 'YWJj\neHl6\n'
	run cat "$T/err"
	assert_line --regexp '^procpool: record 1: invalid base64'
	assert_line --regexp '^procpool: record 3: invalid base64'
	assert_line --regexp '^procpool: record 4: invalid base64'
	assert_equal "${#lines[@]}" 3
}

@test "-b: invalid base64 without -k still fails only that record" {
	{ yes YWJj | head -n 50; echo '*'; yes eHl6 | head -n 50; } >"$T/in"
	ppio "$T/in" -b -j 3 -- "$WORKERS_BIN/lineecho"
	assert_status 1
	grep -v '^\*$' "$T/in" >"$T/expected"
	assert_same_multiset "$T/expected" "$T/out"
	run cat "$T/err"
	assert_line --regexp '^procpool: record 51: invalid base64'
}

@test "the exit status counts failed tasks: 6 failed -> 6" {
	# Every third good line is followed by a bad one: 20 good, 6 bad.
	awk 'BEGIN { for (i = 1; i <= 20; i++) { print "YWJj"; if (i % 3 == 0) print "#" } }' >"$T/in"
	ppio "$T/in" -b -k -- "$WORKERS_BIN/lineecho"
	assert_status 6
	assert_equal "$(grep -c '^procpool: record [0-9]*: invalid base64' "$T/err")" 6
	assert_equal "$(wc -l <"$T/out")" 20
}

@test "the exit status counts failed tasks: 100 failed -> 100" {
	{ echo YWJj; yes @ | head -n 100; echo eHl6; } >"$T/in"
	ppio "$T/in" -b -k -- "$WORKERS_BIN/lineecho"
	assert_status 100
	assert_file_content "$T/out" 'YWJj\neHl6\n'
	assert_equal "$(grep -c '^procpool: record [0-9]*: invalid base64' "$T/err")" 100
}

@test "the exit status counts failed tasks: more than 100 failed -> 101" {
	local n
	for n in 101 150; do
		{ echo YWJj; yes @ | head -n "$n"; } >"$T/in"
		ppio "$T/in" -b -k -- "$WORKERS_BIN/lineecho"
		echo "# $n failed"
		assert_status 101
		assert_file_content "$T/out" 'YWJj\n'
		assert_equal "$(grep -c '^procpool: record [0-9]*: invalid base64' "$T/err")" "$n"
	done
}

@test "-0: a task containing a newline fails on the line wire, the rest go on" {
	printf 'ab\0c\nd\0ef\0' >"$T/in"
	ppio "$T/in" -0 -k -- "$WORKERS_BIN/upper"
	assert_status 1
	assert_file_content "$T/out" 'AB\0EF\0'
	run cat "$T/err"
	assert_equal "$output" "procpool: record 2: task contains a newline, which the line wire cannot carry (try -w base64); input 'c\\nd'"
}

@test "-0: several newline tasks, unordered, each named by its record number" {
	printf 'a\0b\n\0c\0\n\0d\0' >"$T/in"
	ppio "$T/in" -0 -j 2 -- "$WORKERS_BIN/upper"
	assert_status 2
	printf 'A\0C\0D\0' >"$T/expected"
	assert_same_multiset "$T/expected" "$T/out" -z
	run cat "$T/err"
	assert_line --partial "procpool: record 2: task contains a newline, which the line wire cannot carry (try -w base64); input '"
	assert_line --partial "procpool: record 4: task contains a newline, which the line wire cannot carry (try -w base64); input '"
	assert_equal "${#lines[@]}" 2
}

@test "-0 -w base64: the same newline task travels fine" {
	printf 'ab\0c\nd\0ef\0' >"$T/in"
	ppio "$T/in" -0 -k -w base64 -- "$WORKERS/b64rev.py"
	assert_status 0
	assert_file_content "$T/out" 'ba\0d\nc\0fe\0'
	assert_stderr_empty
}

@test "unknown long option" {
	assert_usage_error "unknown option '--frobnicate'" --frobnicate -- "$WORKERS_BIN/upper"
}

@test "unknown short option" {
	assert_usage_error "unknown option '-x'" -x -- "$WORKERS_BIN/upper"
}

@test "option missing its value" {
	assert_usage_error "option '--jobs' needs a value" --jobs
}

@test "-j 0 is rejected" {
	assert_usage_error "invalid --jobs '0': must be at least 1" -j 0 -- "$WORKERS_BIN/upper"
}

@test "--jobs=0 is rejected with the same message" {
	assert_usage_error "invalid --jobs '0': must be at least 1" --jobs=0 -- "$WORKERS_BIN/upper"
}

@test "-j abc is rejected" {
	assert_usage_error "invalid --jobs 'abc': expected N, N% or auto" -j abc -- "$WORKERS_BIN/upper"
}

@test "-j with trailing junk is rejected (strict number parsing)" {
	assert_usage_error "invalid --jobs '3x': expected N, N% or auto" -j 3x -- "$WORKERS_BIN/upper"
}

@test "missing COMMAND: no arguments at all" {
	assert_usage_error "missing COMMAND"
}

@test "missing COMMAND: options and -- but no command" {
	assert_usage_error "missing COMMAND" -k -j 2 --
}

@test "COMMAND not found: exit 127 with one message, quickly" {
	seq 20 >"$T/in"
	local t0=$EPOCHREALTIME t1
	ppio "$T/in" -j 4 -- nosuchcmd
	t1=$EPOCHREALTIME
	assert_status 127
	run cat "$T/err"
	assert_line "procpool: cannot run 'nosuchcmd': No such file or directory"
	assert_equal "$(grep -c "cannot run 'nosuchcmd'" "$T/err")" 1
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 5) }' ||
		fail "took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')s to give up"
}

@test "COMMAND not executable: exit 126, Permission denied" {
	printf '#!/bin/sh\ncat\n' >"$T/noexec"
	chmod 644 "$T/noexec"
	seq 3 >"$T/in"
	ppio "$T/in" -- "$T/noexec"
	assert_status 126
	run cat "$T/err"
	assert_line "procpool: cannot run '$T/noexec': Permission denied"
}
