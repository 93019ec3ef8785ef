#!/usr/bin/env bats
# The joblog file itself: a row cut short by a kill never costs a task, and
# a damaged row stops --resume with its line number. The format and --resume
# semantics are tested in cron.bats.

load '../helper'

JOBLOG_HEADER=$'Seq\tPid\tStart\tRuntime\tAttempts\tOutcome\tInput'

# joblog_seqs FILE: the Seq of every row, sorted.
joblog_seqs() {
	awk -F'\t' 'NR > 1 {print $1}' "$1" | sort -n
}

# assert_joblog_well_formed FILE: the header once, then rows of 7 fields,
# and the file ends with a newline.
assert_joblog_well_formed() {
	run head -1 "$1"
	assert_output "$JOBLOG_HEADER"
	run awk -F'\t' 'NR > 1 && !(NF == 7 && $1 ~ /^[1-9][0-9]*$/) {print "bad row " NR ": " $0}' "$1"
	assert_output ""
	assert_equal "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" '\n'
}

@test "a torn last row is ignored and cut off: resumed twice, every record runs exactly once" {
	seq 9 >"$T/in1"
	seq 20 >"$T/in2"
	seq 120 >"$T/in3"
	ppio "$T/in1" --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	mv "$T/out" "$T/out1"
	# A run killed while writing the row of record 10 (or 1xx) left "1".
	printf 1 >>"$T/log"
	ppio "$T/in2" --resume --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_stderr_empty
	mv "$T/out" "$T/out2"
	seq 10 20 >"$T/expected"
	assert_same_multiset "$T/expected" "$T/out2"
	# The torn "1" is gone: row 10 starts its own line.
	assert_joblog_well_formed "$T/log"
	run joblog_seqs "$T/log"
	assert_output "$(seq 20)"
	ppio "$T/in3" --resume --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_stderr_empty
	cat "$T/out1" "$T/out2" "$T/out" >"$T/all"
	assert_same_multiset "$T/in3" "$T/all"
	assert_joblog_well_formed "$T/log"
	run joblog_seqs "$T/log"
	assert_output "$(seq 120)"
}

@test "a torn last row that looks complete but for its newline still does not count" {
	seq 3 >"$T/in"
	printf '%s\n' "$JOBLOG_HEADER" >"$T/log"
	printf '1\t7\t1700000000.000\t0.001\t1\tok\t1\n' >>"$T/log"
	# Cut inside the Input field: the outcome says ok, yet the row never ended.
	printf '2\t7\t1700000000.000\t0.001\t1\tok\t' >>"$T/log"
	ppio "$T/in" -k --resume --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_stderr_empty
	assert_file_content "$T/out" '2\n3\n'
	assert_joblog_well_formed "$T/log"
	run joblog_seqs "$T/log"
	assert_output "$(seq 3)"
}

@test "a malformed row in the middle: --resume exits 124 naming its line, runs nothing, leaves the file" {
	local bad
	seq 3 >"$T/in"
	ppio "$T/in" -k -j 1 --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	mv "$T/log" "$T/log.good"
	# Line 3 (the row of record 2) replaced by each kind of damage in turn.
	for bad in 'garbage' '' $'x\t7\t1.000\t0.001\t1\tok\t2' $'0\t7\t1.000\t0.001\t1\tok\t2' \
		$'2\t7\t1.000\t0.001\t1\tok' $'2\t7\t1.000\t0.001\t1\tok\t2\textra' \
		$'2\t7\t1.000\t0.001\t1\t\t2'; do
		awk -v bad="$bad" 'NR == 3 {print bad; next} {print}' "$T/log.good" >"$T/log"
		cp "$T/log" "$T/log.bad"
		ppio "$T/in" --resume --joblog "$T/log" -- "$WORKERS_BIN/upper"
		assert_status 124
		assert_file_content "$T/out" ''
		assert_equal "$(cat "$T/err")" "procpool: cannot read joblog '$T/log': line 3 is not a joblog row"
		assert_files_equal "$T/log.bad" "$T/log" "joblog"
	done
}

@test "an empty joblog, or one with only its header: --resume runs everything" {
	local content
	seq 3 >"$T/in"
	for content in '' "$JOBLOG_HEADER"$'\n'; do
		printf '%s' "$content" >"$T/log"
		ppio "$T/in" -k --resume --joblog "$T/log" -- "$WORKERS_BIN/upper"
		assert_status 0
		assert_stderr_empty
		assert_files_equal "$T/in" "$T/out"
		assert_joblog_well_formed "$T/log"
		run joblog_seqs "$T/log"
		assert_output "$(seq 3)"
	done
}

@test "--joblog naming a file that is no joblog: exit 124, the file neither appended to nor cut" {
	local content
	seq 3 >"$T/in"
	for content in 'notes, no newline at the end' $'Seq\tPid\n1\t2\n' $'one\ntwo\n'; do
		printf '%s' "$content" >"$T/log"
		cp "$T/log" "$T/log.before"
		ppio "$T/in" --joblog "$T/log" -- "$WORKERS_BIN/upper"
		assert_status 124
		assert_file_content "$T/out" ''
		assert_equal "$(cat "$T/err")" "procpool: cannot open joblog '$T/log': not a procpool joblog"
		assert_files_equal "$T/log.before" "$T/log" "joblog"
	done
}

@test "a joblog whose header itself was cut short gets its header back" {
	seq 2 >"$T/in"
	printf 'Seq\tPid\tSta' >"$T/log"
	ppio "$T/in" --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_stderr_empty
	assert_joblog_well_formed "$T/log"
	run joblog_seqs "$T/log"
	assert_output "$(seq 2)"
}
