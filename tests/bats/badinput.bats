#!/usr/bin/env bats
# Input procpool cannot run as given: records over --max-record, a NUL byte
# on the line wire, truncated base64, and input that is no file at all.
# A bad record fails alone ("procpool: record N: ...; input '...'"), a bad
# input source is fatal (exit 124).

load '../helper'

@test "--max-record 10: a 20-byte record fails, the others run" {
	printf 'short\n01234567890123456789\nok\n' >"$T/in"
	ppio "$T/in" -k --max-record 10 -- "$WORKERS_BIN/upper"
	assert_status 1
	assert_file_content "$T/out" 'SHORT\nOK\n'
	assert_file_content "$T/err" "procpool: record 2: record longer than --max-record; input '0123456789'\\n"
}

@test "--max-record: a record of exactly the limit runs; the rest of a long line is no new record" {
	printf '0123456789\n0123456789A\nlast\n' >"$T/in"
	ppio "$T/in" -k --max-record 10 -- "$WORKERS_BIN/lineecho"
	assert_status 1
	assert_file_content "$T/out" '0123456789\nlast\n'
	assert_file_content "$T/err" "procpool: record 2: record longer than --max-record; input '0123456789'\\n"
}

@test "--max-record: an over-long last record without a newline, unordered" {
	{ seq 100; printf '%0500d' 0; } >"$T/in"
	ppio "$T/in" -j 2 --max-record 100 -- "$WORKERS_BIN/lineecho"
	assert_status 1
	seq 100 >"$T/expected"
	assert_same_multiset "$T/expected" "$T/out"
	assert_file_content "$T/err" "procpool: record 101: record longer than --max-record; input '$(printf '%040d' 0)...'\\n"
}

@test "line wire: a task with a NUL byte fails, naming -w base64" {
	# The lead's decision: the line wire cannot carry NUL (a C worker's
	# string functions would cut the task short without a word).
	printf 'a\0b\nc\n' >"$T/in"
	ppio "$T/in" -k -- "$WORKERS_BIN/upper"
	assert_status 1
	assert_file_content "$T/out" 'C\n'
	assert_file_content "$T/err" "procpool: record 1: task contains a NUL byte, which the line wire cannot carry (try -w base64); input 'a\\\\x00b'\\n"
}

@test "-w base64: the same NUL task travels" {
	printf 'a\0b\nc\n' >"$T/in"
	ppio "$T/in" -k -w base64 -- "$WORKERS/b64rev.py"
	assert_status 0
	assert_file_content "$T/out" 'b\0a\nc\n'
	assert_stderr_empty
}

@test "-b -w line: a decoded task with a NUL byte fails on the line wire" {
	# "YQBi" is base64 of "a\0b".
	printf 'YQBi\nYWJj\n' >"$T/in"
	ppio "$T/in" -b -w line -k -- "$WORKERS_BIN/upper"
	assert_status 1
	assert_file_content "$T/out" 'QUJD\n'
	run cat "$T/err"
	assert_output "procpool: record 1: task contains a NUL byte, which the line wire cannot carry (try -w base64); input 'YQBi'"
}

@test "-b: a truncated last line (no padding, no newline) is invalid base64, named by record" {
	printf 'aGVsbG8=\naGVsbG8' >"$T/in"
	ppio "$T/in" -b -k -- "$WORKERS/b64rev.py"
	assert_status 1
	# base64 of "olleh".
	assert_file_content "$T/out" 'b2xsZWg=\n'
	assert_file_content "$T/err" "procpool: record 2: invalid base64: length is not a multiple of 4 (at byte 8); input 'aGVsbG8'\\n"
}

@test "stdin is a directory: 'cannot read input: Is a directory', exit 124" {
	run --separate-stderr pp "$WORKERS_BIN/upper" </
	assert_equal "$status" 124
	assert_equal "$output" ""
	assert_equal "$stderr" "procpool: cannot read input: Is a directory"
}

@test "-a /nonexistent: 'cannot read', exit 124, no worker started" {
	run --separate-stderr pp -v -a /nonexistent -- "$WORKERS_BIN/upper"
	assert_equal "$status" 124
	assert_equal "$output" ""
	assert_equal "$stderr" "procpool: cannot read '/nonexistent': No such file or directory"
}

@test "-a / (a directory): 'Is a directory', exit 124" {
	run --separate-stderr pp -a / -- "$WORKERS_BIN/upper"
	assert_equal "$status" 124
	assert_equal "$output" ""
	assert_equal "$stderr" "procpool: cannot read '/': Is a directory"
}

@test "-a FILE that cannot be read (no permission): exit 124" {
	((EUID != 0)) || skip "root reads any file"
	seq 3 >"$T/in"
	chmod 000 "$T/in"
	run --separate-stderr pp -a "$T/in" -- "$WORKERS_BIN/upper"
	assert_equal "$status" 124
	assert_equal "$stderr" "procpool: cannot read '$T/in': Permission denied"
}

@test "a failed record in a message: UTF-8 as it is, CR as \\r, C1 and bidi controls escaped" {
	# f_crashk 1 3: every worker exits 3 on its first task.
	printf 'caf\xc3\xa9 \xe6\x97\xa5\r\n\xe2\x80\xaeexe.txt\n\xc2\x9b2J \xc3\n' >"$T/in"
	ppio "$T/in" -k -j 1 -- "$WORKERS_BIN/f_crashk" 1 3
	assert_status 3
	run sed -E 's/worker [0-9]+/worker PID/' "$T/err"
	assert_output "procpool: record 1: worker PID exited with status 3; input 'caf"$'\xc3\xa9 \xe6\x97\xa5'"\\r'
procpool: record 2: worker PID exited with status 3; input '\\xe2\\x80\\xaeexe.txt'
procpool: record 3: worker PID exited with status 3; input '\\xc2\\x9b2J \\xc3'"
}

@test "a failed record cut at 40 bytes never splits a character" {
	# 39 ASCII bytes, then a 2-byte character that would end past byte 40.
	printf '%039d\xc3\xa9tail\n' 0 >"$T/in"
	ppio "$T/in" -j 1 -- "$WORKERS_BIN/f_crashk" 1 3
	assert_status 1
	run sed -E 's/worker [0-9]+/worker PID/' "$T/err"
	assert_output "procpool: record 1: worker PID exited with status 3; input '$(printf '%039d' 0)...'"
}
