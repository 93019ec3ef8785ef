#!/usr/bin/env bats
# Cron safety: --halt stops a run going wrong, --joblog records each ended
# task as one TSV row, and --resume / --resume-failed continue a run that
# was stopped, even by SIGKILL, without losing a result (a kill may repeat
# the tasks whose rows were not written yet).
# Joblog row: GNU parallel's Seq Host Starttime JobRuntime Send Receive
# Exitval Signal Command, then procpool's Slot Attempts Outcome.

load '../helper'

JOBLOG_HEADER=$'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\tSlot\tAttempts\tOutcome'

# assert_err LINE...: stderr is exactly these lines, "worker 1234" masked.
assert_err() {
	sed -E 's/worker [0-9]+/worker PID/g' "$T/err" >"$T/err.norm"
	printf '%s\n' "$@" >"$T/err.expected"
	assert_files_equal "$T/err.expected" "$T/err.norm" "stderr (pids masked)"
}

# joblog_rows FILE: "Seq Attempts Outcome" per row, sorted by Seq.
joblog_rows() {
	awk -F'\t' 'NR > 1 {print $1 " " $11 " " $12}' "$1" | sort -n
}

# joblog_done FILE: the Seq of every complete row, sorted (a last row
# without its newline was cut short by a kill: its task did not end).
joblog_done() {
	perl -ne 'print((split /\t/)[0], "\n") if $. > 1 && /\n\z/' "$1" | sort -n
}

# lines_numbered IN NUMS [-v]: the lines of IN whose line numbers are in the
# file NUMS (with -v: are not), in order.
lines_numbered() {
	awk -v invert="${3:-}" 'NR == FNR {n[$1]; next} (FNR in n) != (invert == "-v")' "$2" "$1"
}

# assert_resumed_after_kill IN OUT1: the joblog $T/log1 as the kill left it
# vouches only for results in OUT1; the resumed run (output $T/out) ran
# exactly the tasks it does not record. A task whose result was out but
# whose row not yet (within about a second of the kill) runs twice.
assert_resumed_after_kill() {
	joblog_done "$T/log1" >"$T/done1"
	lines_numbered "$1" "$T/done1" | sort >"$T/vouched"
	sort "$2" >"$T/out1.sorted"
	run comm -23 "$T/vouched" "$T/out1.sorted"
	assert_output ""
	lines_numbered "$1" "$T/done1" -v >"$T/rest"
}

# file_has_lines FILE N: FILE has at least N lines (for wait_for).
file_has_lines() {
	[[ -e $1 ]] && (($(wc -l <"$1") >= $2))
}

@test "--halt soon,fail=2: no new task after the 2nd failure" {
	printf '1\n2\nexit 1\n3\nexit 2\n4\nexit 3\n5\n6\n' >"$T/in"
	# -j1 --depth 1: tasks run one by one, so the 2nd failure is record 5.
	ppio "$T/in" -k -j 1 --depth 1 --halt soon,fail=2 -- "$WORKERS_BIN/f_faulty"
	assert_status 2
	assert_file_content "$T/out" '1\n2\n3\n'
	assert_err \
		"procpool: record 3: worker PID exited with status 1; input 'exit 1'" \
		"procpool: record 5: worker PID exited with status 2; input 'exit 2'" \
		"procpool: halting after 2 failed tasks (--halt soon)" \
		"procpool: 4 tasks read but not run"
}

@test "--halt soon lets running tasks finish" {
	local dir
	dir=$(pidfiles_dir)
	# Worker A is busy with a 1s task when worker B fails; A's task ends ok.
	printf '1000 slow\nexit 1\n' >"$T/in"
	ppio "$T/in" -j 2 --depth 1 --halt soon,fail=1 -- sh -c '
		while IFS= read -r l; do
			case $l in
			exit*) exit 1 ;;
			*) sleep 1; echo "$l" ;;
			esac
		done'
	assert_status 1
	assert_file_content "$T/out" '1000 slow\n'
	assert_err \
		"procpool: record 2: worker PID exited with status 1; input 'exit 1'" \
		"procpool: halting after 1 failed tasks (--halt soon)"
}

@test "--halt now,fail=1: running tasks are killed, procpool exits at once" {
	local dir start=$SECONDS
	dir=$(pidfiles_dir)
	# Worker A hangs on record 1; worker B runs records 2-4 and fails on 4.
	printf 'hang\n1\n2\nexit 1\n3\n4\n' >"$T/in"
	ppio "$T/in" -j 2 --depth 1 --halt now,fail=1 -- "$WORKERS_BIN/f_faulty" -p "$dir"
	assert_status 1
	assert_file_content "$T/out" '1\n2\n'
	assert_err \
		"procpool: record 4: worker PID exited with status 1; input 'exit 1'" \
		"procpool: halting after 1 failed tasks (--halt now)" \
		"procpool: 3 tasks read but not run"
	((SECONDS - start < 10)) || fail "took $((SECONDS - start))s: the hanging worker was not killed"
	assert_workers_gone "$dir"
}

@test "--halt soon,fail=20%: halts when failures reach 20% of the ended tasks" {
	# 9 ok, then failures: 1/10 and 2/11 are under 20%, 3/12 is not.
	awk 'BEGIN { for (i = 1; i <= 60; i++) print (i >= 10 && i <= 12) ? "exit 4" : i }' >"$T/in"
	ppio "$T/in" -k -j 1 --depth 1 --halt soon,fail=20% --stats-json "$T/stats.json" -- "$WORKERS_BIN/f_faulty"
	assert_status 3
	seq 9 >"$T/expected"
	assert_files_equal "$T/expected" "$T/out"
	run grep -c 'halting after 3 failed tasks (--halt soon)$' "$T/err"
	assert_output 1
	run python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["tasks"]; print(t["ok"], t["failed"], t["not_run"])' "$T/stats.json"
	assert_output "9 3 48"
}

@test "--halt soon,fail=50%: a few early failures among under 10 ended tasks do not halt" {
	printf 'exit 1
exit 1
3
4
5
6
7
8
9
10
11
12
' >"$T/in"
	ppio "$T/in" -k -j 1 --depth 1 --halt soon,fail=50% -- "$WORKERS_BIN/f_faulty"
	assert_status 2
	seq 3 12 >"$T/expected"
	assert_files_equal "$T/expected" "$T/out"
	run grep -c halting "$T/err"
	assert_output 0
}

@test "--joblog: header, then one 12-field row per ended task: bytes, Exitval, Signal, outcome" {
	# ok, exit N, signal, timeout, protocol (exit 0 without answer),
	# invalid (NUL on the line wire), toolong (--max-record: the input shown
	# is its first --max-record bytes), escaped input.
	printf 'a\nexit 3\ncrash\nhang\nquiet\nx\0y\n%s\ntab\there\n' "$(printf 'z%.0s' $(seq 30))" >"$T/in"
	ppio "$T/in" -j 2 --depth 1 --timeout 1s --max-record 20 --joblog "$T/log" -- "$WORKERS_BIN/f_faulty"
	assert_status 6
	run head -1 "$T/log"
	assert_output "$JOBLOG_HEADER"
	assert_equal "$(wc -l <"$T/log")" 9
	# Every row: 12 fields, Host ":", Starttime with ms, JobRuntime with
	# ms in 10 columns.
	run awk -F'\t' 'NR > 1 && !(NF == 12 && $1 ~ /^[0-9]+$/ && $2 == ":" &&
		$3 ~ /^[0-9]+\.[0-9][0-9][0-9]$/ && $4 ~ /^ *[0-9]+\.[0-9][0-9][0-9]$/ && length($4) == 10) {print "bad row " NR ": " $0}' "$T/log"
	assert_output ""
	# Seq Send Receive Exitval Signal Slot Attempts Outcome Command. Send
	# and Receive count the newline; a record that never reached a worker
	# sent nothing. Exitval: the worker's status, 128 + the signal that
	# killed it, -1 for a timeout, 255 for procpool's own reasons.
	run sh -c "awk -F'\\t' -v OFS='|' 'NR > 1 {print \$1, \$5, \$6, \$7, \$8, \$11, \$12, \$9}' '$T/log' | sort -n"
	assert_output "1|2|2|0|0|1|ok|a
2|7|0|3|0|1|exit 3|exit 3
3|6|0|139|11|1|signal SIGSEGV|crash
4|5|0|-1|15|1|timeout|hang
5|6|0|255|0|1|protocol|quiet
6|0|0|255|0|0|invalid|x\\x00y
7|0|0|255|0|0|toolong|zzzzzzzzzzzzzzzzzzzz
8|9|9|0|0|1|ok|tab\\there"
	# Slot: the slot of the worker that ran it, 0 or 1 at -j 2.
	run awk -F'\t' 'NR > 1 && $10 !~ /^[01]$/ {print "bad slot: " $0}' "$T/log"
	assert_output ""
	# Starttime is the wall clock, within the last minute.
	run awk -F'\t' -v now="$(date +%s)" 'NR > 1 && ($3 < now - 60 || $3 > now + 1) {print "bad start: " $0}' "$T/log"
	assert_output ""
	# The timed-out task ran about 1s.
	run awk -F'\t' '$12 == "timeout" {print ($4 >= 0.9 && $4 < 10) ? "ok" : $4}' "$T/log"
	assert_output ok
}

# joblog_shape FILE: per row, by Seq, GNU parallel's columns but Command,
# with every digit of Starttime, JobRuntime and Send shown as 9: their
# formats compare, not their values.
joblog_shape() {
	awk -F'\t' -v OFS='\t' 'NR > 1 { for (i = 3; i <= 5; i++) gsub(/[0-9]/, "9", $i)
		print $1, $2, $3, $4, $5, $6, $7, $8 }' "$1" | sort -n
}

@test "--joblog: GNU parallel's header, columns and formats, compared with its own joblog of the same tasks" {
	parallel --version 2>/dev/null | grep -q '^GNU parallel' || skip "GNU parallel is not installed"
	printf 'a\nexit 3\nhang\ncrash\nb\n' >"$T/in"
	# The same tasks as GNU parallel jobs, one shell each.
	HOME=$T parallel --will-cite -j 2 --timeout 1 --joblog "$T/gnu" \
		'case {} in "exit 3") exit 3 ;; hang) exec sleep 60 ;; crash) kill -SEGV $$ ;; *) echo {} ;; esac' \
		<"$T/in" >/dev/null 2>&1 || true
	ppio "$T/in" -j 2 --depth 1 --timeout 1s --joblog "$T/log" -- "$WORKERS_BIN/f_faulty"
	assert_status 3
	assert_equal "$(head -1 "$T/log" | cut -f 1-9)" "$(head -1 "$T/gnu")"
	run awk -F'\t' 'NR > 1 && NF != 9' "$T/gnu"
	assert_output ""
	run awk -F'\t' 'NR > 1 && NF != 12' "$T/log"
	assert_output ""
	# The one difference by design: a worker killed by a signal has
	# Exitval 128 + the signal, where GNU parallel writes 0.
	joblog_shape "$T/gnu" | awk -F'\t' -v OFS='\t' '$1 == 4 && $7 == 0 && $8 == 11 {$7 = 139} {print}' >"$T/expected"
	joblog_shape "$T/log" >"$T/actual"
	assert_files_equal "$T/expected" "$T/actual" "joblog columns (digits of times and Send as 9)"
	assert_equal "$(wc -l <"$T/actual")" 5
}

@test "--joblog: Signal is the signal that ended the worker: SIGKILL for a timeout it ignored SIGTERM through" {
	printf 'a\nhang\n' >"$T/in"
	ppio "$T/in" -k -j 1 --timeout 1s --kill-grace 1s --joblog "$T/log" -- "$WORKERS_BIN/f_faulty" -T
	assert_status 1
	run awk -F'\t' -v OFS='|' 'NR > 1 {print $1, $7, $8, $12}' "$T/log"
	assert_output "1|0|0|ok
2|-1|9|timeout"
}

@test "--joblog: Send and Receive count the bytes on the wire, as the worker reads and writes them" {
	# -w base64: 'hello' travels as 'aGVsbG8=' and 'abcdefg' as
	# 'YWJjZGVmZw=='; b64rev answers as long, each line with its newline.
	printf 'hello\nabcdefg\n' >"$T/in"
	ppio "$T/in" -k -w base64 --joblog "$T/log" -- python3 "$WORKERS/b64rev.py"
	assert_status 0
	assert_file_content "$T/out" 'olleh\ngfedcba\n'
	run awk -F'\t' -v OFS='|' 'NR > 1 {print $1, $5, $6, $9}' "$T/log"
	assert_output "1|9|9|hello
2|13|13|abcdefg"
	# -b on the line wire: the worker reads and writes 'hello' decoded.
	printf 'aGVsbG8=\n' >"$T/in"
	rm "$T/log"
	ppio "$T/in" -b -w line --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'SEVMTE8=\n'
	run awk -F'\t' -v OFS='|' 'NR > 1 {print $1, $5, $6, $9}' "$T/log"
	assert_output "1|6|6|aGVsbG8="
}

@test "--joblog: Attempts counts the tries of a retried task" {
	printf 'a\ncrash\nb\n' >"$T/in"
	ppio "$T/in" -k -j 1 --retries 2 --joblog "$T/log" -- "$WORKERS_BIN/f_faulty"
	assert_status 1
	run joblog_rows "$T/log"
	assert_output "1 1 ok
2 3 signal SIGSEGV
3 1 ok"
	seq 4 >"$T/in"
	rm "$T/log"
	ppio "$T/in" -j 1 --depth 1 --retries 1 --joblog "$T/log" -- "$WORKERS_BIN/f_crashk" 2
	assert_status 0
	run joblog_rows "$T/log"
	assert_output "1 1 ok
2 2 ok
3 2 ok
4 2 ok"
}

@test "--joblog appends: a second run adds rows under the one header" {
	seq 3 >"$T/in"
	ppio "$T/in" --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	ppio "$T/in" --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_equal "$(wc -l <"$T/log")" 7
	assert_equal "$(grep -c '^Seq' "$T/log")" 1
}

@test "--resume skips every task the joblog records as ended, ok or failed" {
	printf 'a\nexit 3\nb\ncrash\nc\n' >"$T/in"
	ppio "$T/in" -k -j 1 --joblog "$T/log" -- "$WORKERS_BIN/f_faulty"
	assert_status 2
	# Same input plus two new records: only those run.
	printf 'a\nexit 3\nb\ncrash\nc\nd\ne\n' >"$T/in2"
	ppio "$T/in2" -k -j 1 --resume --joblog "$T/log" --stats-json "$T/stats.json" -- "$WORKERS_BIN/f_faulty"
	assert_status 0
	assert_file_content "$T/out" 'd\ne\n'
	assert_stderr_empty
	run python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["tasks"]; print(t["read"], t["skipped"], t["ok"])' "$T/stats.json"
	assert_output "7 5 2"
	# Nothing is left: a third run does nothing.
	ppio "$T/in2" -k --resume --joblog "$T/log" -- "$WORKERS_BIN/f_faulty"
	assert_status 0
	assert_file_content "$T/out" ''
	assert_stderr_empty
}

@test "--resume-failed runs only the tasks the joblog records as failed" {
	printf 'a\nexit 3\nb\ncrash\nc\n' >"$T/in"
	ppio "$T/in" -k -j 1 --joblog "$T/log" -- "$WORKERS_BIN/f_faulty"
	assert_status 2
	# A fixed worker (echo) reruns the two failed tasks.
	ppio "$T/in" -k --resume-failed --joblog "$T/log" -- "$WORKERS_BIN/lineecho"
	assert_status 0
	assert_file_content "$T/out" 'exit 3\ncrash\n'
	assert_stderr_empty
	# The last row of a task counts: now all ended ok, so neither mode runs anything.
	ppio "$T/in" -k --resume-failed --joblog "$T/log" -- "$WORKERS_BIN/lineecho"
	assert_status 0
	assert_file_content "$T/out" ''
	ppio "$T/in" -k --resume --joblog "$T/log" -- "$WORKERS_BIN/lineecho"
	assert_status 0
	assert_file_content "$T/out" ''
}

@test "--resume with a joblog that does not exist yet runs everything" {
	seq 5 >"$T/in"
	ppio "$T/in" -k --resume --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_files_equal "$T/in" "$T/out"
	assert_equal "$(wc -l <"$T/log")" 6
}

@test "--resume without --joblog is a usage error, exit 125" {
	run --separate-stderr pp --resume -- "$WORKERS_BIN/upper" </dev/null
	assert_equal "$status" 125
	assert_equal "$output" ""
	assert_equal "$stderr" "procpool: --resume needs --joblog FILE
Try 'procpool --help' for more information."
	run --separate-stderr pp --resume-failed -- "$WORKERS_BIN/upper" </dev/null
	assert_equal "$status" 125
	assert_equal "$stderr" "procpool: --resume-failed needs --joblog FILE
Try 'procpool --help' for more information."
}

@test "--resume of a file that is no joblog: exit 124, nothing run" {
	printf 'not a joblog\n' >"$T/log"
	seq 3 >"$T/in"
	ppio "$T/in" --resume --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 124
	assert_file_content "$T/out" ''
	assert_err "procpool: cannot read joblog '$T/log': not a procpool joblog"
}

# man_conversion: the command procpool(1) gives to convert a joblog in the
# older format (Seq Pid Start Runtime Attempts Outcome Input), old.tsv, into
# jobs.tsv.
man_conversion() {
	sed -n '/^To go on from it, convert it/,/^\.Ed/p' "$ROOT/man/procpool.1" |
		sed -n '/^\.Bd/,/^\.Ed/p' | sed -e '/^\./d' -e 's/\\e/\\/g'
}

@test "a joblog in the older format: refused, exit 124, untouched; converted as procpool(1) says, it resumes" {
	local mode msg opts
	seq 4 >"$T/in"
	printf 'Seq\tPid\tStart\tRuntime\tAttempts\tOutcome\tInput\n' >"$T/log"
	printf '1\t4242\t1700000000.000\t0.001\t1\tok\t1\n' >>"$T/log"
	printf '2\t4242\t1700000000.001\t0.002\t2\texit 3\t2\n' >>"$T/log"
	cp "$T/log" "$T/log.old"
	msg="in the format of an older procpool (Seq Pid Start ...): convert it or move it aside, see procpool(1)"
	# Appending to it is refused as reading it is.
	for mode in --resume --resume-failed append; do
		opts=("$mode")
		[[ $mode != append ]] || opts=()
		ppio "$T/in" "${opts[@]}" --joblog "$T/log" -k -- "$WORKERS_BIN/upper"
		assert_status 124
		assert_file_content "$T/out" ''
		if [[ $mode == append ]]; then
			assert_err "procpool: cannot open joblog '$T/log': $msg"
		else
			assert_err "procpool: cannot read joblog '$T/log': $msg"
		fi
		assert_files_equal "$T/log.old" "$T/log" "joblog"
	done
	run man_conversion
	assert_line --partial 'old.tsv > jobs.tsv'
	cp "$T/log.old" "$T/old.tsv"
	(cd "$T" && sh -ec "$(man_conversion)") || fail "the conversion of procpool(1) failed"
	mv "$T/jobs.tsv" "$T/log"
	run awk -F'\t' -v OFS='|' '{print NF, $1, $2, $4, $7, $11, $12}' "$T/log"
	assert_output "12|Seq|Host|JobRuntime|Exitval|Attempts|Outcome
12|1|:|     0.001|0|1|ok
12|2|:|     0.002|1|2|exit 3"
	ppio "$T/in" -k --resume-failed --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_stderr_empty
	assert_file_content "$T/out" '2\n3\n4\n'
	run joblog_rows "$T/log"
	assert_output "1 1 ok
2 1 ok
2 2 exit 3
3 1 ok
4 1 ok"
}

@test "killed by SIGKILL mid-run, then --resume: every result at least once, repeats only unrecorded ones" {
	local n1 pid workers
	# 2000 tasks of 2ms on 2 workers: about 2s; killed after 200 rows.
	seq 2000 | sed 's/^/2 t/' >"$T/in"
	pp_bg "$T/in" -j 2 --joblog "$T/log" -- "$WORKERS_BIN/msdelay"
	wait_for 30 file_has_lines "$T/log" 201
	workers=$(ps -o pid= --ppid "$PP_PID")
	kill -KILL "$PP_PID"
	pp_wait
	assert_status 137
	mv "$T/out" "$T/out1"
	cp "$T/log" "$T/log1"
	n1=$(wc -l <"$T/out1")
	((n1 >= 200 && n1 < 2000)) || fail "first run wrote $n1 results: not killed mid-way"
	# Its workers die with it (they are not left running tasks).
	for pid in $workers; do
		wait_for 10 pid_is_gone_or_zombie "$pid"
	done
	ppio "$T/in" -j 2 --resume --joblog "$T/log" -- "$WORKERS_BIN/msdelay"
	assert_status 0
	assert_stderr_empty
	assert_resumed_after_kill "$T/in" "$T/out1"
	assert_same_multiset "$T/rest" "$T/out"
	# The joblog now records each task exactly once, all ok.
	run sh -c "awk -F'\\t' 'NR > 1 {print \$1, \$12}' '$T/log' | sort -n | uniq -c | awk '\$1 != 1 || \$3 != \"ok\"' | head -3"
	assert_output ""
	assert_equal "$(($(wc -l <"$T/log") - 1))" 2000
}

@test "killed by SIGKILL mid-run with -k, then --resume -k: each run's output in order, nothing lost" {
	local n1
	seq 2000 | sed 's/^/1 t/' >"$T/in"
	pp_bg "$T/in" -k -j 2 --joblog "$T/log" -- "$WORKERS_BIN/msdelay"
	wait_for 30 file_has_lines "$T/log" 301
	kill -KILL "$PP_PID"
	pp_wait
	assert_status 137
	mv "$T/out" "$T/out1"
	cp "$T/log" "$T/log1"
	ppio "$T/in" -k -j 2 --resume --joblog "$T/log" -- "$WORKERS_BIN/msdelay"
	assert_status 0
	# -k: the first run wrote a prefix of the input; the second run wrote
	# what the joblog did not record, in order.
	n1=$(wc -l <"$T/out1")
	head -n "$n1" "$T/in" >"$T/prefix"
	assert_files_equal "$T/prefix" "$T/out1"
	assert_resumed_after_kill "$T/in" "$T/out1"
	assert_files_equal "$T/rest" "$T/out"
}
