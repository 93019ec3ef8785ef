#!/usr/bin/env bats
# The joblog file itself: a row cut short by a kill never costs a task, a
# damaged row stops --resume with its line number, and a row is written only
# once the result it vouches for is on stdout (on disk, when stdout is a
# regular file). The format and --resume semantics are tested in cron.bats.
# Row: Seq Host Starttime JobRuntime Send Receive Exitval Signal Command
# Slot Attempts Outcome.

load '../helper'

JOBLOG_HEADER=$'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\tSlot\tAttempts\tOutcome'

# joblog_seqs FILE: the Seq of every row, sorted.
joblog_seqs() {
	awk -F'\t' 'NR > 1 {print $1}' "$1" | sort -n
}

# assert_joblog_well_formed FILE: the header once, then rows of 12 fields,
# and the file ends with a newline.
assert_joblog_well_formed() {
	run head -1 "$1"
	assert_output "$JOBLOG_HEADER"
	run awk -F'\t' 'NR > 1 && !(NF == 12 && $1 ~ /^[1-9][0-9]*$/) {print "bad row " NR ": " $0}' "$1"
	assert_output ""
	assert_equal "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" '\n'
}

# has_no_children PID: PID has no child process left (its workers are gone).
has_no_children() {
	[[ -z $(ps -o pid= --ppid "$1") ]]
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
	printf '1\t:\t1700000000.000\t     0.001\t2\t2\t0\t0\t1\t0\t1\tok\n' >>"$T/log"
	# Cut before its newline: the outcome says ok, yet the row never ended.
	printf '2\t:\t1700000000.000\t     0.001\t2\t2\t0\t0\t2\t0\t1\tok' >>"$T/log"
	ppio "$T/in" -k --resume --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_stderr_empty
	assert_file_content "$T/out" '2\n3\n'
	assert_joblog_well_formed "$T/log"
	run joblog_seqs "$T/log"
	assert_output "$(seq 3)"
}

@test "a malformed row in the middle: --resume exits 124 naming its line, runs nothing, leaves the file" {
	local bad mid=$'\t:\t1.000\t     0.001\t2\t2\t0\t0\t2\t0\t1\t'
	seq 3 >"$T/in"
	ppio "$T/in" -k -j 1 --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	mv "$T/log" "$T/log.good"
	# Line 3 (the row of record 2) replaced by each kind of damage in turn:
	# no fields, a bad Seq, 11 or 13 fields, no Outcome.
	for bad in 'garbage' '' "x${mid}ok" "0${mid}ok" "2${mid%$'\t'}" "2${mid}ok"$'\textra' \
		"2${mid}"; do
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
	printf 'Seq\tHost\tStart' >"$T/log"
	ppio "$T/in" --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_stderr_empty
	assert_joblog_well_formed "$T/log"
	run joblog_seqs "$T/log"
	assert_output "$(seq 2)"
}

@test "stdout unwritable: no row vouches for a result that never got out" {
	seq 3 >"$T/in"
	status=0
	pp --joblog "$T/log" -- "$WORKERS_BIN/upper" <"$T/in" >/dev/full 2>"$T/err" || status=$?
	assert_status 124
	# (then, by timing, a count of tasks not run)
	assert_equal "$(head -1 "$T/err")" "procpool: cannot write results: No space left on device"
	run cat "$T/log"
	assert_output "$JOBLOG_HEADER"
}

# joblog_has_rows FILE N: FILE holds at least N complete rows (for wait_for).
joblog_has_rows() {
	(($(wc -l <"$1") > $2))
}

@test "a row held for its sync round is written about a second later, with no result after it" {
	# a's row goes out with the first sync round; b's result comes 50ms
	# later and its row waits for the next round, though c, running for a
	# minute, brings no more output.
	printf '0 a\n50 b\n60000 c\n' >"$T/in"
	pp_bg "$T/in" -j 1 --depth 1 --joblog "$T/log" -- "$WORKERS_BIN/msdelay"
	wait_for 20 joblog_has_rows "$T/log" 2
	kill -0 "$PP_PID" || fail "procpool ended: c did not keep it running"
	assert_file_content "$T/out" '0 a\n50 b\n'
	kill -KILL "$PP_PID"
	pp_wait
	run joblog_seqs "$T/log"
	assert_output "$(seq 2)"
}

# trace_run file|pipe ARG...: procpool ARG... under strace (write and sync
# calls, fds shown with their paths), stdin $T/in, stdout $T/out (the file
# itself, or a pipe into cat), the trace in $T/trace; sets $status.
trace_run() {
	local mode=$1
	shift
	command -v strace >/dev/null || skip "strace is not installed"
	strace -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
	# LeakSanitizer cannot run under ptrace (the sanitized build).
	local cmd=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
		timeout -k 5 "$PP_TIMEOUT" strace -f -qq -y -e trace=write,fdatasync,fsync
		-o "$T/trace" "$PROCPOOL" "$@")
	status=0
	if [[ $mode == file ]]; then
		"${cmd[@]}" <"$T/in" >"$T/out" 2>"$T/err" || status=$?
	else
		"${cmd[@]}" <"$T/in" 2>"$T/err" | cat >"$T/out"
		status=${PIPESTATUS[0]}
	fi
}

# sync_check: reads $T/trace; prints the number of syncs of $T/out and of
# $T/log, and "unsynced" for each joblog write (but the header) made while
# results written to $T/out were not yet synced.
sync_check() {
	awk -v out="<$T/out>" -v jl="<$T/log>" '
		/ write\(/ && index($0, out) { dirty = 1 }
		/ f(data)?sync\(/ && index($0, out) { dirty = 0; nout++ }
		/ write\(/ && index($0, jl) { if (logw++ && dirty) print "unsynced: " $0; logdirty = 1 }
		/ f(data)?sync\(/ && index($0, jl) { nlog++; logdirty = 0 }
		END { print "stdout syncs", nout + 0; print "joblog syncs", nlog + 0; if (logdirty) print "joblog not synced at the end" }
	' "$T/trace"
}

@test "stdout a regular file: it is synced before the joblog rows that vouch for it, not once per task" {
	local n
	seq 200 | sed 's/^/2 t/' >"$T/in"
	# Lock-step tasks of 2ms: most results go out on their own, each one
	# write of stdout.
	trace_run file -j 1 --depth 1 --joblog "$T/log" -- "$WORKERS_BIN/msdelay"
	assert_status 0
	assert_stderr_empty
	assert_files_equal "$T/in" "$T/out"
	run joblog_seqs "$T/log"
	assert_output "$(seq 200)"
	n=$(grep -c " write(1<$T/out>" "$T/trace")
	((n > 100)) || fail "only $n writes of stdout: the results did not go out one by one"
	run sync_check
	refute_output --partial unsynced
	refute_output --partial "not synced at the end"
	n=$(awk '$1 == "stdout" {print $3}' <<<"$output")
	((n >= 1 && n < 20)) || fail "stdout synced $n times for 200 results ($output)"
	n=$(awk '$1 == "joblog" {print $3}' <<<"$output")
	((n >= 1 && n < 20)) || fail "joblog synced $n times for 200 rows ($output)"
}

@test "stdout a pipe: never synced; the joblog is synced at the end" {
	seq 200 >"$T/in"
	trace_run pipe -j 1 --depth 1 --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_stderr_empty
	assert_files_equal "$T/in" "$T/out"
	run joblog_seqs "$T/log"
	assert_output "$(seq 200)"
	run grep -E ' f(data)?sync\(' "$T/trace"
	refute_output --partial 'pipe:'
	run sync_check
	refute_output --partial "not synced at the end"
	assert_line "stdout syncs 0"
}

@test "stdout into a FIFO nobody reads yet: no row for a result until the reader takes it" {
	printf '1\nbig\n' >"$T/in"
	mkfifo "$T/fifo"
	# The answer to "big" is larger than a pipe holds (procpool grows the
	# FIFO to 1 MiB): it cannot all be on stdout before the reader starts
	# reading.
	"$PROCPOOL" -j 1 --depth 1 --joblog "$T/log" -- \
		perl -ne 'BEGIN { $| = 1 } chomp; print $_ eq "big" ? "x" x 2000000 : $_, "\n"' \
		<"$T/in" >"$T/fifo" 2>"$T/err" 3>&- &
	PP_PID=$!
	BG_PIDS+=("$PP_PID")
	exec 4<"$T/fifo"
	# procpool took both answers and its worker is gone; only the reader
	# is awaited now.
	wait_for 30 has_no_children "$PP_PID"
	sleep 0.5
	# Record 1's row may be there (its result fits in the pipe); not record 2's.
	assert_equal "$(awk -F'\t' 'NR > 1 && $1 == 2' "$T/log")" ""
	cat <&4 >"$T/out"
	exec 4<&-
	pp_wait
	assert_status 0
	assert_stderr_empty
	assert_equal "$(head -1 "$T/out")" 1
	assert_equal "$(sed -n 2p "$T/out" | wc -c)" 2000001
	run joblog_seqs "$T/log"
	assert_output "$(seq 2)"
}
