#!/usr/bin/env bats
# Answers beyond one line per task: --error-prefix (a live worker reports a
# task it could not do) and --answer-end (answers of several lines).

load '../helper'

# started_count: workers -v saw start.
started_count() {
	vlog_count 'started \([0-9]+ alive, slot [0-9]+\)'
}

@test "--error-prefix: a Python worker that divides by its input; the worker lives on" {
	printf '5\n0\n4\nx\n20\n' >"$T/in"
	ppio "$T/in" -v -k -j1 --error-prefix 'ERROR: ' -- python3 "$ROOT/examples/divide.py"
	assert_status 2
	assert_file_content "$T/out" '20\n25\n5\n'
	grep -v '^procpool: [0-9:.]* worker' "$T/err" | sed -E 's/worker [0-9]+/worker PID/' >"$T/err.norm"
	assert_file_content "$T/err.norm" '%s\n' \
		"procpool: record 2: worker PID reported: ZeroDivisionError: integer division or modulo by zero; input '0'" \
		"procpool: record 4: worker PID reported: ValueError: invalid literal for int() with base 10: \\'x\\'; input 'x'"
	assert_equal "$(started_count)" 1
}

@test "--error-prefix: --retries 1 runs the failed task twice, on the other worker" {
	printf '0\n1\n2\n3\n' >"$T/in"
	ppio "$T/in" -k -j2 --depth 1 --retries 1 --error-prefix 'ERROR: ' -- python3 -u -c '
import os, sys
for line in sys.stdin:
    print(("ERROR: no %d" % os.getpid()) if line == "0\n" else line.strip(), flush=True)'
	assert_status 1
	assert_file_content "$T/out" '1\n2\n3\n'
	run grep -oE 'worker [0-9]+ reported: no [0-9]+' "$T/err"
	assert_equal "${#lines[@]}" 2
	local first second
	first=$(awk '{print $2}' <<<"${lines[0]}")
	second=$(awk '{print $2}' <<<"${lines[1]}")
	[[ $first != "$second" ]] || fail "both attempts on worker $first"
	grep -qE "^procpool: record 1: worker $first reported: no $first; retrying \(attempt 2 of 2\); input '0'$" "$T/err" ||
		fail "$(cat "$T/err")"
}

@test "--error-prefix: the joblog records it failed, --resume-failed runs only it again" {
	printf '5\n0\n4\n' >"$T/in"
	ppio "$T/in" -k -j1 --joblog "$T/log" --error-prefix 'ERROR: ' -- python3 "$ROOT/examples/divide.py"
	assert_status 1
	run awk -F'\t' 'NR > 1 {print $1, $7, $12}' "$T/log"
	assert_output "$(printf '1 0 ok\n2 1 error\n3 0 ok')"
	# Now zero is fine for the worker: only record 2 runs.
	ppio "$T/in" -k -j1 --joblog "$T/log" --resume-failed --error-prefix 'ERROR: ' -- \
		sh -c 'while read -r l; do echo "ran $l"; done'
	assert_status 0
	assert_file_content "$T/out" 'ran 0\n'
}

@test "--error-prefix on the base64 wire: checked before decoding" {
	printf 'a\nbad\nc\n' >"$T/in"
	ppio "$T/in" -k -j1 -w base64 --error-prefix '!' -- python3 -u -c '
import base64, sys
for line in sys.stdin:
    task = base64.b64decode(line)
    print("!cannot do it" if task == b"bad" else base64.b64encode(task.upper()).decode(), flush=True)'
	assert_status 1
	assert_file_content "$T/out" 'A\nC\n'
	grep -qE "^procpool: record 2: worker [0-9]+ reported: cannot do it; input 'bad'$" "$T/err" || fail "$(cat "$T/err")"
}

@test "--error-prefix: the worker learns it from PROCPOOL_ERROR_PREFIX" {
	printf 'a\n' >"$T/in"
	ppio "$T/in" --error-prefix 'E!' -- sh -c 'while read -r l; do echo "[$PROCPOOL_ERROR_PREFIX]"; done'
	assert_file_content "$T/out" '[E!]\n'
}

# TWO_LINES: two lines and the END marker for each task.
TWO_LINES='while read -r l; do echo "$l one"; echo "$l two"; echo END; done'

@test "--answer-end: two lines per task, kept whole under -k" {
	seq 200 >"$T/in"
	ppio "$T/in" -k -j3 --answer-end END -- sh -c "$TWO_LINES"
	assert_status 0
	seq 200 | awk '{print $1 " one"; print $1 " two"}' >"$T/expected"
	assert_files_equal "$T/expected" "$T/out"
}

@test "--answer-end with --tag tags every line; with -0 a NUL ends each answer" {
	printf 'a\nb\n' >"$T/in"
	ppio "$T/in" -k --tag --answer-end END -- sh -c "$TWO_LINES"
	assert_file_content "$T/out" 'a\ta one\na\ta two\nb\tb one\nb\tb two\n'
	printf 'a\0b\0' >"$T/in"
	ppio "$T/in" -k -0 --answer-end END -- sh -c "$TWO_LINES"
	assert_file_content "$T/out" 'a one\na two\n\0b one\nb two\n\0'
}

@test "--answer-end: an answer cut off by the worker's exit breaks the protocol" {
	printf 'a\nb\n' >"$T/in"
	ppio "$T/in" -k -j1 --answer-end END -- sh -c 'read -r l; echo "$l one"; echo END; read -r l; echo "$l one"'
	assert_status 1
	assert_file_content "$T/out" 'a one\n'
	grep -qE '^procpool: worker [0-9]+ broke the protocol: ended its last answer without the --answer-end line; stopping it$' "$T/err" ||
		fail "$(cat "$T/err")"
}

@test "--answer-end: --max-record bounds a whole answer" {
	printf 'a\n' >"$T/in"
	ppio "$T/in" -k -j1 --max-record 20 --answer-end END -- sh -c \
		'while read -r l; do echo 0123456789; echo 0123456789; echo END; done'
	assert_status 1
	grep -q 'broke the protocol: wrote an answer longer than --max-record' "$T/err" || fail "$(cat "$T/err")"
}

@test "--answer-end makes no sense on the base64 wire: exit 125" {
	run "$PROCPOOL" --answer-end END -w base64 -- cat
	assert_equal "$status" 125
	assert_line --index 0 "procpool: --answer-end cannot be used with the base64 wire: a base64 answer is one line, and may hold any bytes already"
	run "$PROCPOOL" --answer-end END -b -- cat
	assert_equal "$status" 125
}
