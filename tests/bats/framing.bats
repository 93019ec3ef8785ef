#!/usr/bin/env bats
# Framing of stdin records and stdout results, and what the wire carries:
# small hand-written cases with exact expected bytes.

load '../helper'

@test "an empty line is a task with empty bytes" {
	printf 'ab\n\ncd\n\n' >"$T/in"
	ppio "$T/in" -k -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'AB\n\nCD\n\n'
	assert_stderr_empty
}

@test "a last record without a newline is still a task, its result ends with a newline" {
	printf 'ab\ncd' >"$T/in"
	ppio "$T/in" -k -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'AB\nCD\n'
}

@test "a lone empty line is one task" {
	printf '\n' >"$T/in"
	ppio "$T/in" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" '\n'
}

@test "line wire: a task holding a NUL byte fails, named by record; the rest go on" {
	# Line-oriented workers (fgets, read) cut a line at NUL, so the line
	# wire refuses it rather than let the answer be silently wrong.
	printf 'a\0b\nok\n\0\n' >"$T/in"
	ppio "$T/in" -k -- "$WORKERS_BIN/upper"
	assert_status 2
	assert_file_content "$T/out" 'OK\n'
	run cat "$T/err"
	assert_line "procpool: record 1: task contains a NUL byte, which the line wire cannot carry (try -w base64); input 'a\\x00b'"
	assert_line "procpool: record 3: task contains a NUL byte, which the line wire cannot carry (try -w base64); input '\\x00'"
}

@test "-0: records end with NUL, results are each followed by NUL" {
	printf 'ab\0\0cd' >"$T/in"
	ppio "$T/in" -0 -k -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'AB\0\0CD\0'
	assert_stderr_empty
}

@test "--null is the long form of -0" {
	printf 'ab\0cd\0' >"$T/in"
	ppio "$T/in" --null -k -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'AB\0CD\0'
}

@test "line wire: the worker receives the task bytes and a newline" {
	# b64wrap answers with the base64 of the raw line it received; on the
	# line wire that answer is the result as is.
	printf 'abc\n\nx y\n' >"$T/in"
	ppio "$T/in" -k -- "$WORKERS/b64wrap.py"
	assert_status 0
	assert_file_content "$T/out" 'YWJj\n\neCB5\n'
}

@test "-w base64: the wire carries RFC 4648 base64 with padding, answers are decoded" {
	# b64wrap's answer is base64 of the wire line, procpool decodes it: the
	# result is exactly what travelled on the wire.
	printf 'abc\nab\na\n\n' >"$T/in"
	ppio "$T/in" -k -w base64 -- "$WORKERS/b64wrap.py"
	assert_status 0
	assert_file_content "$T/out" 'YWJj\nYWI=\nYQ==\n\n'
	assert_stderr_empty
}

@test "--wire=base64 is the long form of -w base64" {
	printf 'abc\nab\n' >"$T/in"
	ppio "$T/in" -k --wire=base64 -- "$WORKERS/b64wrap.py"
	assert_status 0
	assert_file_content "$T/out" 'YWJj\nYWI=\n'
}

@test "-w line is the default wire for newline framing" {
	printf 'abc\n' >"$T/in"
	ppio "$T/in" -k -w line -- "$WORKERS/b64wrap.py"
	assert_status 0
	assert_file_content "$T/out" 'YWJj\n'
}

@test "-b: the wire defaults to base64 and stdin lines reach the worker unchanged" {
	# The worker sees "YWJj" (not a re-encoding of it): b64wrap answers
	# base64("YWJj"), procpool decodes that to "YWJj" and writes the result
	# as one base64 line.
	printf 'YWJj\n' >"$T/in"
	ppio "$T/in" -b -k -- "$WORKERS/b64wrap.py"
	assert_status 0
	assert_file_content "$T/out" 'WVdKag==\n'
	assert_stderr_empty
}

@test "-b: results are written as base64 lines" {
	# "abc" reversed is "cba"; "" stays "".
	printf 'YWJj\n\nAAEC\n' >"$T/in"
	ppio "$T/in" -b -k -- "$WORKERS/b64rev.py"
	assert_status 0
	assert_file_content "$T/out" 'Y2Jh\n\nAgEA\n'
}

@test "--base64 is the long form of -b" {
	printf 'YWJj\n' >"$T/in"
	ppio "$T/in" --base64 -k -- "$WORKERS/b64rev.py"
	assert_status 0
	assert_file_content "$T/out" 'Y2Jh\n'
}

@test "-b -w line: tasks are decoded for the line wire, results encoded" {
	# "abc" -> worker upper -> "ABC" -> "QUJD"
	printf 'YWJj\neHl6\n' >"$T/in"
	ppio "$T/in" -b -w line -k -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'QUJD\nWFla\n'
	assert_stderr_empty
}

@test "-b with NUL and newline bytes inside tasks round-trips" {
	# base64 of "a\0b\nc" and of "\n"
	printf 'YQBiCmM=\nCg==\n' >"$T/in"
	ppio "$T/in" -b -k -- "$WORKERS_BIN/lineecho"
	assert_status 0
	assert_files_equal "$T/in" "$T/out"
}

@test "an invalid --wire value is a usage error" {
	printf 'a\n' >"$T/in"
	ppio "$T/in" -w morse -- "$WORKERS_BIN/upper"
	assert_status 125
	run cat "$T/err"
	assert_line --index 0 --regexp "^procpool: "
	assert_line --index 1 "Try 'procpool --help' for more information."
	assert_equal "${#lines[@]}" 2
	[[ ! -s $T/out ]]
}
