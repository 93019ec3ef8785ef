#!/usr/bin/env bats
# Workers that break the one-answer-per-task rule without crashing: two
# lines for one task (jq on an array, bc wrapping a long number), no line
# for some (grep), a failure at exit after answering everything, and a
# command that runs once per task. Results that may belong to other records
# are named, marked in the joblog and counted in the exit status.

load '../helper'

# suspect_range: "A B" from the one 'may belong to other records' line.
suspect_range() {
	sed -nE 's/.*\(records ([0-9]+)-([0-9]+)\) may belong to other records$/\1 \2/p' "$T/err"
}

@test "jq writing two lines for one task: exit non-zero, every wrong row inside the named range, joblog marks them" {
	local i
	for i in $(seq 2000); do
		if ((i == 1000)); then echo "[$i,$i]"; else echo "[$i]"; fi
	done >"$T/in"
	ppio "$T/in" -k -j1 --tag --joblog "$T/log" -- jq --unbuffered -c '.[]'
	local st=$status
	run grep -cE '^procpool: worker [0-9]+ wrote more answers than it had tasks: the [0-9]+ results it wrote since it last held no task \(records [0-9]+-[0-9]+\) may belong to other records$' "$T/err"
	assert_output 1
	local lo hi n
	read -r lo hi < <(suspect_range)
	# Every row whose result is not its input's is in the range.
	awk -F'\t' -v lo="$lo" -v hi="$hi" '$1 != "[" $2 "]" && !(NR >= lo && NR <= hi) {print NR ": " $0}' "$T/out" >"$T/outside"
	assert_equal "$(cat "$T/outside")" ""
	(($(awk -F'\t' '$1 != "[" $2 "]"' "$T/out" | wc -l) > 0)) || fail "no row was wrong: the test shows nothing"
	# The joblog marks the range suspect, so --resume runs it again.
	n=$(awk -F'\t' '$12 == "suspect"' "$T/log" | wc -l)
	assert_equal "$n" "$((hi - lo + 1))"
	# They count as failed: the exit status is their number (101: over 100).
	assert_equal "$st" "$((hi - lo + 1 > 100 ? 101 : hi - lo + 1))"
}

@test "bc wrapping a long number: the extra lines are caught, the run exits non-zero" {
	printf '1+1\n2^500\n3+3\n4+4\n' >"$T/in"
	ppio "$T/in" -k -j1 --depth 1 -- env -u BC_LINE_LENGTH bc
	((status >= 1 && status <= 4)) || fail "status $status"
	grep -q 'wrote more answers than it had tasks' "$T/err" || fail "$(cat "$T/err")"
}

@test "grep skipping lines: no hang at the end, the skipped tasks fail, the shifted results are named" {
	printf 'apple\nbanana\napricot\ncherry\ngrape\n' >"$T/in"
	ppio "$T/in" -k -j1 -- grep --line-buffered ap
	assert_status 4
	assert_file_content "$T/out" 'apple\napricot\ngrape\n'
	sed -E 's/worker [0-9]+/worker PID/' "$T/err" >"$T/err.norm"
	assert_file_content "$T/err.norm" '%s\n' \
		"procpool: worker PID exited with status 0 without answering tasks it had read: the 2 results it wrote since it last held no task (records 2-3) may belong to other records" \
		"procpool: record 4: worker PID exited with status 0 without answering; input 'cherry'" \
		"procpool: record 5: worker PID exited with status 0 without answering; input 'grape'"
}

# err_has PATTERN: a line of $T/err matches the extended regex.
err_has() {
	grep -qE "$1" "$T/err"
}

@test "grep skipping lines on a stream: reported within seconds, not a silent hang" {
	mkfifo "$T/fifo"
	pp_bg "$T/fifo" -k -j1 -- grep --line-buffered ap
	local w
	exec {w}>"$T/fifo"
	printf 'apple\nbanana\n' >&"$w"
	wait_for 20 err_has 'record 2: worker [0-9]+ exited with status 0 without answering'
	grep -qE "^procpool: worker [0-9]+ \(grep\) holds 1 tasks and has answered none of them while it waits for more input, and no more can be sent: closing its stdin so it flushes, and starting another worker; grep may be buffering its output when writing to a pipe: run grep --line-buffered \(and note that grep answers only the lines that match: a worker must answer every task\)" "$T/err" ||
		fail "$(cat "$T/err")"
	exec {w}>&-
	pp_wait
	assert_status 1
	assert_file_content "$T/out" 'apple\n'
}

@test "a worker that exits 3 after answering everything: reported, exit 102" {
	printf 'a\nb\n' >"$T/in"
	ppio "$T/in" -k -j1 -- sh -c 'while read -r l; do echo "$l"; done; exit 3'
	assert_status 102
	assert_file_content "$T/out" 'a\nb\n'
	sed -E 's/worker [0-9]+/worker PID/' "$T/err" >"$T/err.norm"
	assert_file_content "$T/err.norm" '%s\n' \
		"procpool: worker PID exited with status 3 after its stdin was closed, having answered all 2 of its tasks"
}

@test "a worker killed by SIGSEGV at its end of input: reported, exit 102" {
	printf 'a\nb\n' >"$T/in"
	ppio "$T/in" -k -j1 -- sh -c 'while read -r l; do echo "$l"; done; kill -SEGV $$'
	assert_status 102
	assert_file_content "$T/out" 'a\nb\n'
	grep -qE '^procpool: worker [0-9]+ killed by signal SIGSEGV after its stdin was closed, having answered all 2 of its tasks$' "$T/err" ||
		fail "$(cat "$T/err")"
}

@test "a one-shot command (echo): every task answered, and one hint to use --max-tasks 1" {
	seq 10 >"$T/in"
	ppio "$T/in" -j2 -- echo hi
	sort "$T/out" | uniq -c >"$T/counts"
	assert_file_content "$T/counts" '     10 hi\n'
	run grep -c 'looks like a command that runs once per task' "$T/err"
	assert_output 1
	grep -qE '^procpool: worker [0-9]+ \(echo\) exited right after its first answer, with its stdin still open: echo looks like a command that runs once per task, not a worker; run it with --max-tasks 1 for a process per task \(--no-hints silences this\)$' "$T/err" ||
		fail "$(cat "$T/err")"
}
