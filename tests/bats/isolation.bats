#!/usr/bin/env bats
# Isolation of workers: --max-tasks replaces a worker after N tasks, --nice
# and --cpus set its priority and CPU affinity, --mem-limit caps its address
# space so that a leaking worker dies alone. f_self answers each task with
# "pid=PID nice=N cpus=LIST"; f_leak.py's task "MIB TEXT" leaks MIB MiB.

load '../helper'

# field NAME < f_self output: the NAME= values, one per line.
field() {
	sed -E "s/.*(^| )$1=([^ ]*).*/\\2/"
}

@test "--max-tasks 3 -j1: 10 tasks run on 4 workers, 3+3+3+1" {
	seq 10 >"$T/in"
	ppio "$T/in" -k -j 1 -v --max-tasks 3 -- "$WORKERS_BIN/f_self"
	assert_status 0
	assert_equal "$(wc -l <"$T/out")" 10
	# Tasks per worker, in the order the workers ran.
	run sh -c "sed -E 's/^pid=([0-9]+) .*/\\1/' '$T/out' | uniq -c | awk '{print \$1}'"
	assert_output "3
3
3
1"
	assert_equal "$(field pid <"$T/out" | sort -u | wc -l)" 4
	# -v names the three retirements; the 4th worker ends at EOF.
	assert_vlog_count 3 'retired after 3 tasks'
	assert_vlog_count 4 'started \(1 alive, slot [0-9]+\)'
	assert_vlog_count 4 'exited with status 0'
	run vlog_pids 'retired after 3 tasks'
	assert_output "$(field pid <"$T/out" | uniq | head -3)"
}

@test "--max-tasks 1: a fresh worker for every task" {
	seq 6 >"$T/in"
	ppio "$T/in" -j 2 --max-tasks 1 -- "$WORKERS_BIN/f_self"
	assert_status 0
	assert_equal "$(wc -l <"$T/out")" 6
	assert_equal "$(field pid <"$T/out" | sort -u | wc -l)" 6
	assert_stderr_empty
}

@test "--max-tasks keeps results intact with -k and many tasks" {
	seq 500 >"$T/in"
	ppio "$T/in" -k -j 2 --max-tasks 7 -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_files_equal "$T/in" "$T/out"
	assert_stderr_empty
}

@test "--nice 5: workers run 5 steps nicer than procpool" {
	local base want
	base=$(nice)
	want=$((base + 5 > 19 ? 19 : base + 5))
	seq 3 >"$T/in"
	ppio "$T/in" -j 1 --nice 5 -- "$WORKERS_BIN/f_self"
	assert_status 0
	run sh -c "sed -E 's/.*nice=([-0-9]+).*/\\1/' '$T/out' | sort -u"
	assert_output "$want"
}

@test "without --nice workers keep procpool's niceness" {
	seq 2 >"$T/in"
	ppio "$T/in" -j 1 -- "$WORKERS_BIN/f_self"
	assert_status 0
	run sh -c "sed -E 's/.*nice=([-0-9]+).*/\\1/' '$T/out' | sort -u"
	assert_output "$(nice)"
}

@test "--cpus 0: workers may run on CPU 0 only (Linux)" {
	[[ $(uname -s) == Linux ]] || skip "CPU affinity is Linux only"
	taskset -pc $$ 2>/dev/null | grep -qE ': (0|0[-,].*)$' || skip "CPU 0 is not ours to use"
	seq 4 >"$T/in"
	ppio "$T/in" -j 2 --cpus 0 -- "$WORKERS_BIN/f_self"
	assert_status 0
	run sh -c "sed -E 's/.*cpus=//' '$T/out' | sort -u"
	assert_output 0
}

@test "--cpus with a list pins to exactly that list (Linux)" {
	[[ $(uname -s) == Linux ]] || skip "CPU affinity is Linux only"
	(($(nproc) >= 2)) || skip "needs 2 CPUs"
	seq 2 >"$T/in"
	ppio "$T/in" -j 1 --cpus 0-1 -- "$WORKERS_BIN/f_self"
	assert_status 0
	run sh -c "sed -E 's/.*cpus=//' '$T/out' | sort -u"
	assert_output 0-1
	ppio "$T/in" -j 1 --cpus 1 -- "$WORKERS_BIN/f_self"
	assert_status 0
	run sh -c "sed -E 's/.*cpus=//' '$T/out' | sort -u"
	assert_output 1
}

@test "--mem-limit 64M: a task that needs 100 MiB kills its worker alone; the rest are intact" {
	printf '1 a\n1 b\n100 big\n1 c\n1 d\n' >"$T/in"
	ppio "$T/in" -k -j 2 --mem-limit 64M -- "$WORKERS/f_leak.py"
	assert_status 1
	assert_file_content "$T/out" 'a\nb\nc\nd\n'
	run cat "$T/err"
	assert_output --regexp "^procpool: record 3: worker [0-9]+ killed by signal SIGABRT; input '100 big'\$"
}

@test "without --mem-limit the same 100 MiB task succeeds" {
	printf '1 a\n1 b\n100 big\n1 c\n1 d\n' >"$T/in"
	ppio "$T/in" -k -j 2 -- "$WORKERS/f_leak.py"
	assert_status 0
	assert_file_content "$T/out" 'a\nb\nbig\nc\nd\n'
	assert_stderr_empty
}

@test "--mem-limit 64M with a worker leaking 1 MiB per task: each death fails one task only" {
	local n_failed
	# 150 tasks leaking 1 MiB each: a worker dies somewhere past 50.
	seq 150 | sed 's/^/1 t/' >"$T/in"
	ppio "$T/in" -k -j 1 --mem-limit 64M -- "$WORKERS/f_leak.py"
	n_failed=$(grep -cE "^procpool: record [0-9]+: worker [0-9]+ killed by signal SIGABRT; input '1 t[0-9]+'\$" "$T/err" || true)
	((n_failed >= 1)) || fail "no worker hit the limit: $(head -5 "$T/err")"
	assert_status "$n_failed"
	assert_equal "$(wc -l <"$T/err")" "$n_failed"
	# Every task but the failed ones wrote its result, in order.
	sed -nE "s/^procpool: record ([0-9]+): .*/\\1/p" "$T/err" >"$T/failed"
	awk 'NR == FNR { bad[$1] = 1; next } !(FNR in bad) { sub(/^1 /, ""); print }' \
		"$T/failed" "$T/in" >"$T/expected"
	assert_files_equal "$T/expected" "$T/out"
}

@test "--mem-limit too small to load the worker: a crash loop, exit 124, no task charged" {
	# Under a 64k address space the worker (sh) dies of SIGSEGV as it
	# starts, before reading its stdin: a start failure, not a task's, so
	# every task is counted as not run and none as failed.
	seq 100 >"$T/in"
	ppio "$T/in" -j 1 --mem-limit 64k -- "$WORKERS/pidfile.sh" "$(pidfiles_dir)"
	assert_status 124
	assert_file_content "$T/out" ''
	assert_file_content "$T/err" '%s\n' \
		"procpool: '$WORKERS/pidfile.sh' keeps dying before answering (5 workers in a row, the last killed by signal SIGSEGV); giving up" \
		"procpool: 100 tasks read but not run"
}
