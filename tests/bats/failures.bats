#!/usr/bin/env bats
# Fault tolerance: workers that crash, exit, hang, answer too much or too
# little, or never start. Each failed task is one stderr line
#   procpool: record N: CAUSE; input 'SHORT'
# the task a dead worker was on counts an attempt (--retries runs it again),
# the tasks queued behind it are requeued untouched, a replacement starts,
# and the exit status is the number of failed tasks. Also: SIGINT and a
# second SIGTERM mid-run. Every scenario checks that no worker outlives
# procpool (f_faulty -p DIR records worker pids, see helper.bash).

load '../helper'

# assert_err LINE...: procpool's stderr is exactly these lines, once each
# "worker 1234" is replaced by "worker PID".
assert_err() {
	sed -E 's/worker [0-9]+/worker PID/g' "$T/err" >"$T/err.norm"
	printf '%s\n' "$@" >"$T/err.expected"
	assert_files_equal "$T/err.expected" "$T/err.norm" "stderr (pids masked)"
}

# err_pids REGEX: the worker pids named by the stderr lines matching REGEX.
err_pids() {
	grep -E "$1" "$T/err" | grep -oE 'worker [0-9]+' | awk '{print $2}'
}

# file_has_lines FILE N: FILE has at least N lines (for wait_for).
file_has_lines() {
	[[ -e $1 ]] && (($(wc -l <"$1") >= $2))
}

# dir_has_files DIR N: DIR holds at least N entries (for wait_for).
dir_has_files() {
	(($(find "$1" -mindepth 1 | wc -l) >= $2))
}

# no_signal_pending PID: PID has no signal waiting for its handler.
no_signal_pending() {
	local pnd
	pnd=$(awk '/^(SigPnd|ShdPnd):/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 0
	[[ $pnd =~ ^(0+[[:space:]]*)*$ ]]
}

@test "a worker killed by SIGSEGV fails its task only; a replacement runs the rest" {
	local dir
	dir=$(pidfiles_dir)
	printf 'a\ncrash\nb\nc\n' >"$T/in"
	ppio "$T/in" -k -j 1 -- "$WORKERS_BIN/f_faulty" -p "$dir"
	assert_status 1
	assert_file_content "$T/out" 'a\nb\nc\n'
	assert_err "procpool: record 2: worker PID killed by signal SIGSEGV; input 'crash'"
	# The pid in the message is the worker that died; a second one ran b, c.
	assert_equal "$(ls "$dir" | wc -l)" 2
	[[ -e $dir/$(err_pids 'record 2') ]] || fail "the message names no worker procpool started"
	assert_workers_gone "$dir"
}

@test "tasks queued behind the task a worker died on are requeued without an attempt" {
	# --depth 4: the first worker holds tasks 1-4 at once and dies on its
	# 3rd. Task 3 fails; task 4 goes to the replacement and succeeds.
	seq 5 >"$T/in"
	ppio "$T/in" -k -j 1 --depth 4 --joblog "$T/log" -- "$WORKERS_BIN/f_crashk" 3
	assert_status 1
	assert_file_content "$T/out" '1\n2\n4\n5\n'
	assert_err "procpool: record 3: worker PID killed by signal SIGSEGV; input '3'"
	# Seq and Attempts of each row: only task 3 was tried (and once).
	run sh -c "awk -F'\t' 'NR > 1 {print \$1, \$11, \$12}' '$T/log' | sort -n"
	assert_output "1 1 ok
2 1 ok
3 1 signal SIGSEGV
4 1 ok
5 1 ok"
}

@test "--retries 2: a task that always crashes is tried 3 times on 3 workers, then failed" {
	local dir
	dir=$(pidfiles_dir)
	printf 'a\ncrash\nb\nc\n' >"$T/in"
	ppio "$T/in" -k -j 1 --retries 2 --joblog "$T/log" -- "$WORKERS_BIN/f_faulty" -p "$dir"
	assert_status 1
	assert_file_content "$T/out" 'a\nb\nc\n'
	assert_err \
		"procpool: record 2: worker PID killed by signal SIGSEGV; retrying (attempt 2 of 3); input 'crash'" \
		"procpool: record 2: worker PID killed by signal SIGSEGV; retrying (attempt 3 of 3); input 'crash'" \
		"procpool: record 2: worker PID killed by signal SIGSEGV; input 'crash'"
	# Three different workers died, each tried once.
	assert_equal "$(err_pids 'record 2' | sort -u | wc -l)" 3
	run awk -F'\t' '$1 == 2 {print $11, $12}' "$T/log"
	assert_output "3 signal SIGSEGV"
	assert_workers_gone "$dir"
}

@test "--retries 1: a retried task that then succeeds writes its result exactly once, exit 0" {
	# Each worker dies on its 2nd task: tasks 2, 3, 4 each crash once and
	# succeed as the first task of the next worker.
	seq 4 >"$T/in"
	ppio "$T/in" -j 1 --depth 1 --retries 1 --joblog "$T/log" -- "$WORKERS_BIN/f_crashk" 2
	assert_status 0
	assert_file_content "$T/out" '1\n2\n3\n4\n'
	assert_err \
		"procpool: record 2: worker PID killed by signal SIGSEGV; retrying (attempt 2 of 2); input '2'" \
		"procpool: record 3: worker PID killed by signal SIGSEGV; retrying (attempt 2 of 2); input '3'" \
		"procpool: record 4: worker PID killed by signal SIGSEGV; retrying (attempt 2 of 2); input '4'"
	run awk -F'\t' 'NR > 1 {print $1, $11, $12}' "$T/log"
	assert_output "1 1 ok
2 2 ok
3 2 ok
4 2 ok"
}

@test "--retries with -k and many workers: every result exactly once, in order" {
	# Workers die on every 7th task they get; 300 tasks on 3 workers. With
	# --depth 1 a retried task goes to an idle worker, nearly always the
	# fresh replacement; deeper pipelines can hand it to a worker at its 7th
	# task again, and 3 retries would not be sure to do.
	seq 300 >"$T/in"
	ppio "$T/in" -k -j 3 --depth 1 --retries 3 -- "$WORKERS_BIN/f_crashk" 7
	assert_status 0
	assert_files_equal "$T/in" "$T/out"
	run grep -cvE "^procpool: record [0-9]+: worker [0-9]+ killed by signal SIGSEGV; retrying \(attempt [234] of 4\); input '[0-9]+'\$" "$T/err"
	assert_output 0
}

@test "a worker that exits with status 3 on a task: 'exited with status 3'" {
	local dir
	dir=$(pidfiles_dir)
	printf 'a\nexit 3\nb\n' >"$T/in"
	ppio "$T/in" -k -j 1 --joblog "$T/log" -- "$WORKERS_BIN/f_faulty" -p "$dir"
	assert_status 1
	assert_file_content "$T/out" 'a\nb\n'
	assert_err "procpool: record 2: worker PID exited with status 3; input 'exit 3'"
	run awk -F'\t' '$1 == 2 {print $11 "|" $12}' "$T/log"
	assert_output "1|exit 3"
	assert_workers_gone "$dir"
}

@test "a worker that exits 0 holding a task: 'exited with status 0 without answering'" {
	local dir
	dir=$(pidfiles_dir)
	printf 'a\nquiet\nb\n' >"$T/in"
	ppio "$T/in" -k -j 1 --joblog "$T/log" -- "$WORKERS_BIN/f_faulty" -p "$dir"
	assert_status 1
	assert_file_content "$T/out" 'a\nb\n'
	assert_err "procpool: record 2: worker PID exited with status 0 without answering; input 'quiet'"
	run awk -F'\t' '$1 == 2 {print $12}' "$T/log"
	assert_output "protocol"
	assert_workers_gone "$dir"
}

@test "the input shown is the first 40 bytes, escaped, then '...'" {
	# 45 bytes: a tab, a backslash, a quote and a high byte among them; the
	# worker dies on any task (status 9 at its 1st).
	printf 'ab\tc\\d'"'"'e\xe9fghijklmnopqrstuvwxyz0123456789ABCDEFGH\n' >"$T/in"
	ppio "$T/in" -j 1 -- "$WORKERS_BIN/f_crashk" 1 9
	assert_status 1
	assert_err "procpool: record 1: worker PID exited with status 9; input 'ab\\tc\\\\d\\'e\\xe9fghijklmnopqrstuvwxyz0123456789...'"
}

@test "--timeout: a hanging task is failed with SIGTERM to its worker, the rest go on" {
	local dir start
	dir=$(pidfiles_dir)
	printf 'a\nhang\nb\n' >"$T/in"
	start=$SECONDS
	ppio "$T/in" -k -j 1 --timeout 1s --joblog "$T/log" -- "$WORKERS_BIN/f_faulty" -p "$dir"
	assert_status 1
	assert_file_content "$T/out" 'a\nb\n'
	assert_err "procpool: record 2: timed out after 1s (worker PID killed by signal SIGTERM); input 'hang'"
	((SECONDS - start < 15)) || fail "took $((SECONDS - start))s for a 1s timeout"
	run awk -F'\t' '$1 == 2 {print $11 "|" $12}' "$T/log"
	assert_output "1|timeout"
	assert_workers_gone "$dir"
}

@test "--timeout with a worker that ignores SIGTERM: SIGKILL after --kill-grace" {
	local dir t0 t1
	dir=$(pidfiles_dir)
	printf 'a\nhang\nb\n' >"$T/in"
	t0=$EPOCHREALTIME
	ppio "$T/in" -k -j 1 --timeout 1s --kill-grace 500ms -- "$WORKERS_BIN/f_faulty" -T -p "$dir"
	t1=$EPOCHREALTIME
	assert_status 1
	assert_file_content "$T/out" 'a\nb\n'
	assert_err "procpool: record 2: timed out after 1s (worker PID killed by signal SIGKILL); input 'hang'"
	# At least timeout + grace; well under the default grace of 2s more.
	run awk -v a="$t0" -v b="$t1" 'BEGIN { d = b - a; print (d >= 1.4 && d < 10) ? "ok" : "took " d "s" }'
	assert_output ok
	assert_workers_gone "$dir"
}

@test "-w base64: an answer that is not base64 breaks the protocol: the worker is replaced, the task fails" {
	printf 'a\nb\n' >"$T/in"
	ppio "$T/in" -k -j 1 -w base64 --joblog "$T/log" -- sh -c 'while read -r l; do echo "no*"; done'
	assert_status 2
	assert_file_content "$T/out" ''
	assert_err \
		"procpool: worker PID broke the protocol: answered invalid base64 (length is not a multiple of 4); stopping it" \
		"procpool: record 1: worker PID answered invalid base64 (length is not a multiple of 4); input 'a'" \
		"procpool: worker PID broke the protocol: answered invalid base64 (length is not a multiple of 4); stopping it" \
		"procpool: record 2: worker PID answered invalid base64 (length is not a multiple of 4); input 'b'"
	run awk -F'\t' 'NR > 1 {print $12}' "$T/log"
	assert_output "protocol
protocol"
}

@test "-w base64: with --retries, a task answered with bad base64 runs again on a fresh worker" {
	printf 'a\n' >"$T/in"
	# The first worker answers garbage; the second (a new process) answers well.
	ppio "$T/in" -k -j 1 -w base64 --retries 1 -- sh -c '
		if mkdir "$0/first" 2>/dev/null; then bad=1; else bad=; fi
		while read -r l; do if [ "$bad" ]; then echo "no*"; else echo "$l"; fi; done' "$T"
	assert_status 0
	assert_file_content "$T/out" 'a\n'
}

@test "a worker answering twice breaks the protocol: it is stopped and replaced, its last result is suspect" {
	local dir
	dir=$(pidfiles_dir)
	printf 'a\ntwice\nb\n' >"$T/in"
	# --depth 1: when the extra line arrives the worker holds no task.
	ppio "$T/in" -k -j 1 --depth 1 -- "$WORKERS_BIN/f_faulty" -p "$dir"
	assert_status 1
	assert_file_content "$T/out" 'a\ntwice\nb\n'
	assert_err "procpool: worker PID wrote more answers than it had tasks: the 1 results it wrote since it last held no task (records 2-2) may belong to other records" \
		"procpool: worker PID broke the protocol: wrote output while holding no task; stopping it"
	# The worker named was stopped; another one answered b.
	assert_equal "$(ls "$dir" | wc -l)" 2
	assert_workers_gone "$dir"
}

@test "a worker whose last answer lacks its newline breaks the protocol; its task fails" {
	local dir
	dir=$(pidfiles_dir)
	printf 'a\nnonl\nb\n' >"$T/in"
	ppio "$T/in" -k -j 1 --depth 1 --joblog "$T/log" -- "$WORKERS_BIN/f_faulty" -p "$dir"
	assert_status 1
	assert_file_content "$T/out" 'a\nb\n'
	assert_err \
		"procpool: worker PID broke the protocol: ended its last answer without a newline; stopping it" \
		"procpool: record 2: worker PID ended its last answer without a newline; input 'nonl'"
	run awk -F'\t' '$1 == 2 {print $12}' "$T/log"
	assert_output protocol
	assert_workers_gone "$dir"
}

@test "crash loop: 5 workers in a row dying at start: give up, exit 124, the rest not run" {
	# -j1: one worker at a time, so at most 5 workers die, each failing at
	# most the one task it held, before procpool gives up. Ten runs: the
	# count once depended on whether a worker died before or after
	# procpool wrote to it.
	local i n_failed n_notrun
	seq 100 >"$T/in"
	for i in $(seq 10); do
		ppio "$T/in" -j 1 -- "$WORKERS/f_diestart.sh" 3
		assert_status 124
		assert_file_content "$T/out" ''
		run grep -cxF "procpool: '$WORKERS/f_diestart.sh' keeps dying before answering (5 workers in a row, the last exited with status 3); giving up" "$T/err"
		assert_output 1
		n_failed=$(grep -cE "^procpool: record [0-9]+: worker [0-9]+ exited with status 3; input '[0-9]+'\$" "$T/err" || true)
		n_notrun=$(sed -nE 's/^procpool: ([0-9]+) tasks read but not run$/\1/p' "$T/err")
		assert_equal "$((n_failed + n_notrun))" 100
		assert_equal "$(wc -l <"$T/err")" "$((n_failed + 2))"
		((n_failed <= 5)) || fail "run $i: $n_failed tasks failed at -j1 before giving up after '5 workers in a row':
$(cat "$T/err")"
	done
}

@test "crash loop: workers exiting 126 make procpool exit 126" {
	seq 10 >"$T/in"
	ppio "$T/in" -j 1 -- "$WORKERS/f_diestart.sh" 126
	assert_status 126
	run grep -c "keeps dying before answering (5 workers in a row, the last exited with status 126); giving up\$" "$T/err"
	assert_output 1
}

@test "crash loop: workers exiting 127 make procpool exit 127" {
	seq 10 >"$T/in"
	ppio "$T/in" -j 1 -- "$WORKERS/f_diestart.sh" 127
	assert_status 127
	run grep -c "keeps dying before answering (5 workers in a row, the last exited with status 127); giving up\$" "$T/err"
	assert_output 1
}

@test "crash loop: workers killed by signals before answering also give up, exit 124" {
	local dir
	dir=$(pidfiles_dir)
	printf 'crash\ncrash\ncrash\ncrash\ncrash\ncrash\nok\n' >"$T/in"
	ppio "$T/in" -j 1 --depth 1 -- "$WORKERS_BIN/f_faulty" -p "$dir"
	assert_status 124
	assert_file_content "$T/out" ''
	assert_err \
		"procpool: record 1: worker PID killed by signal SIGSEGV; input 'crash'" \
		"procpool: record 2: worker PID killed by signal SIGSEGV; input 'crash'" \
		"procpool: record 3: worker PID killed by signal SIGSEGV; input 'crash'" \
		"procpool: record 4: worker PID killed by signal SIGSEGV; input 'crash'" \
		"procpool: record 5: worker PID killed by signal SIGSEGV; input 'crash'" \
		"procpool: '$WORKERS_BIN/f_faulty' keeps dying before answering (5 workers in a row, the last killed by signal SIGSEGV); giving up" \
		"procpool: 2 tasks read but not run"
	assert_workers_gone "$dir"
}

@test "a worker that answers once in a while is no crash loop" {
	# Every worker dies on its 2nd task: 5+ deaths in all, never 5 in a
	# row before answering.
	seq 12 >"$T/in"
	ppio "$T/in" -k -j 1 --depth 1 -- "$WORKERS_BIN/f_crashk" 2
	assert_status 6
	assert_file_content "$T/out" '1\n3\n5\n7\n9\n11\n'
	run grep -c 'keeps dying' "$T/err"
	assert_output 0
}

@test "a worker that starts slowly is waited for, not counted as failed" {
	printf 'a\nb\n' >"$T/in"
	ppio "$T/in" -k -j 1 -- "$WORKERS/f_slowstart.sh" 1
	assert_status 0
	assert_file_content "$T/out" 'a\nb\n'
	assert_stderr_empty
}

@test "--timeout: a timed-out task fails even if its worker answers as it is stopped" {
	# f_lateans answers only when SIGTERM stops it: by then the task has
	# timed out, and its late answer must not be taken.
	printf 'a\nb\n' >"$T/in"
	ppio "$T/in" -j 2 --depth 1 --timeout 300ms -- "$WORKERS/f_lateans.pl"
	assert_status 2
	assert_file_content "$T/out" ''
	run grep -cE "^procpool: record [12]: timed out after 300ms \(worker [0-9]+ exited with status 0\); input '[ab]'\$" "$T/err"
	assert_output 2
	assert_equal "$(wc -l <"$T/err")" 2
}

@test "SIGINT mid-run: exit 130, finished results written, the rest counted as not run" {
	local dir
	dir=$(pidfiles_dir)
	seq 20 >"$T/in"
	pp_bg "$T/in" -j 2 --stats-json "$T/stats.json" -- "$WORKERS/pidfile.sh" "$dir" 0.5
	wait_for 20 file_has_lines "$T/out" 2
	kill -INT "$PP_PID"
	pp_wait
	assert_status 130
	# Every line is a distinct task's result.
	run sh -c "grep -cvxE '([1-9]|1[0-9]|20)' '$T/out'"
	assert_output 0
	assert_equal "$(sort -u "$T/out" | wc -l)" "$(wc -l <"$T/out")"
	run python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["tasks"]
print(t["read"], t["ok"], t["failed"], t["not_run"], t["ok"] + t["failed"] + t["not_run"])
' "$T/stats.json"
	local n_read ok failed notrun sum
	read -r n_read ok failed notrun sum <<<"$output"
	assert_equal "$n_read" 20
	assert_equal "$sum" 20
	assert_equal "$ok" "$(wc -l <"$T/out")"
	assert_equal "$failed" 0
	((notrun > 0)) || fail "SIGINT came after the last task: nothing left to not run"
	assert_err "procpool: $notrun tasks read but not run"
	assert_workers_gone "$dir"
}

@test "a second SIGTERM while workers ignore TERM: exit 143 within --kill-grace" {
	local dir t0 t1
	dir=$(pidfiles_dir)
	printf 'a\nhang\nhang\nb\n' >"$T/in"
	pp_bg "$T/in" -j 2 --depth 1 --kill-grace 1s -- "$WORKERS_BIN/f_faulty" -T -p "$dir"
	# 'a' is written once both workers hold a 'hang'.
	wait_for 20 file_has_lines "$T/out" 1
	wait_for 10 dir_has_files "$dir" 2
	kill -TERM "$PP_PID"
	# The first one handled (no longer pending) before the second is sent.
	wait_for 10 no_signal_pending "$PP_PID"
	t0=$EPOCHREALTIME
	kill -TERM "$PP_PID"
	pp_wait
	t1=$EPOCHREALTIME
	assert_status 143
	assert_file_content "$T/out" 'a\n'
	assert_err "procpool: 3 tasks read but not run"
	run awk -v a="$t0" -v b="$t1" 'BEGIN { d = b - a; print (d >= 0.9 && d < 5) ? "ok" : "took " d "s" }'
	assert_output ok
	assert_workers_gone "$dir"
}

@test "one SIGTERM lets running tasks finish: their results are written, exit 143" {
	local dir
	dir=$(pidfiles_dir)
	seq 20 >"$T/in"
	pp_bg "$T/in" -j 2 --depth 1 --stats-json "$T/stats.json" -- "$WORKERS/pidfile.sh" "$dir" 0.5
	wait_for 20 file_has_lines "$T/out" 2
	kill -TERM "$PP_PID"
	pp_wait
	assert_status 143
	run python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["tasks"]
print(t["ok"], t["not_run"])
' "$T/stats.json"
	local ok notrun
	read -r ok notrun <<<"$output"
	assert_equal "$ok" "$(wc -l <"$T/out")"
	assert_equal "$((ok + notrun))" 20
	assert_workers_gone "$dir"
}

@test "a worker that closes its stdout but lives on is stopped as a protocol violation, no hang" {
	printf 'a\nb\n' >"$T/in"
	ppio "$T/in" -k -j 1 -- sh -c 'read -r l; exec >&-; sleep 100'
	assert_status 2
	assert_file_content "$T/out" ''
	assert_err \
		"procpool: worker PID broke the protocol: closed its stdout while holding tasks; stopping it" \
		"procpool: record 1: worker PID closed its stdout while holding tasks; input 'a'" \
		"procpool: worker PID broke the protocol: closed its stdout while holding tasks; stopping it" \
		"procpool: record 2: worker PID closed its stdout while holding tasks; input 'b'"
}

@test "a worker that does not exit when its stdin closes: noted after 5s, stopped after --timeout" {
	printf 'a\n' >"$T/in"
	ppio "$T/in" -j 1 --timeout 6s --kill-grace 1s -- sh -c 'read -r l; echo "$l"; exec sleep 60'
	assert_status 0
	assert_file_content "$T/out" 'a\n'
	assert_err "procpool: worker PID has not exited 5s after its stdin closed; it is stopped after --timeout"
}
