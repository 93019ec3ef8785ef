#!/usr/bin/env bats
# Start and stop: empty input, every worker reaped at exit, and the -v
# lifecycle lines (exact format, one "exited" per started worker, signals).

load '../helper'

VLOG_LINE='^procpool: [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} (replacing every worker \(SIGUSR2\)|worker [0-9]+ (to be replaced \([0-9]+ tasks held\)|closed to make it flush \([0-9]+ tasks held\)|retired after [0-9]+ tasks|started \([0-9]+ alive, slot [0-9]+\)|retired after idle \([0-9]+ alive\)|kept alive at min [0-9]+|exited with status [0-9]+|killed by signal SIG[A-Z0-9]+|ready after [0-9.]+(us|ms|s) \((answered|read its input|wrote output|wrote the --ready line)\)))$'

@test "empty input: no output, exit 0" {
	ppio /dev/null -- "$WORKERS_BIN/upper"
	assert_status 0
	[[ ! -s $T/out ]]
	assert_stderr_empty
}

@test "empty input with -0, -b, -k, --tag: no output, exit 0" {
	local opts
	for opts in -0 -b -k --tag "-w base64"; do
		# shellcheck disable=SC2086
		ppio /dev/null $opts -- "$WORKERS_BIN/lineecho"
		echo "# options: $opts"
		assert_status 0
		[[ ! -s $T/out ]]
		assert_stderr_empty
	done
}

@test "every worker is reaped before procpool exits" {
	local dir
	dir=$(pidfiles_dir)
	seq 60 >"$T/in"
	ppio "$T/in" -j 4 -m 2 -- "$WORKERS/pidfile.sh" "$dir" 0.02
	assert_status 0
	seq 60 >"$T/expected"
	assert_same_multiset "$T/expected" "$T/out"
	(($(ls "$dir" | wc -l) >= 2)) || fail "expected at least 2 workers, got $(ls "$dir")"
	assert_workers_gone "$dir"
}

@test "workers are reaped with empty input too (the --min ones)" {
	local dir
	dir=$(pidfiles_dir)
	ppio /dev/null -j 3 -m 3 -- "$WORKERS/pidfile.sh" "$dir"
	assert_status 0
	assert_equal "$(ls "$dir" | wc -l)" 3
	assert_workers_gone "$dir"
}

@test "-v: every stderr line has the exact lifecycle format" {
	seq 10 >"$T/in"
	ppio "$T/in" -v -j 3 -m 1 -- "$WORKERS_BIN/sleepy" 0.2
	assert_status 0
	local bad
	bad=$(grep -vE "$VLOG_LINE" "$T/err" || true)
	[[ -z $bad ]] || fail "$(printf 'malformed -v lines:\n%s' "$bad")"
	(($(vlog_count 'started \([0-9]+ alive, slot [0-9]+\)') >= 1))
}

@test "--verbose is the long form of -v: the same lifecycle lines" {
	seq 3 >"$T/in"
	ppio "$T/in" --verbose -j 1 -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_vlog_count 1 'started \(1 alive, slot 0\)'
	assert_vlog_count 1 'exited with status 0'
	local bad
	bad=$(grep -vE "$VLOG_LINE" "$T/err" || true)
	[[ -z $bad ]] || fail "$(printf 'malformed --verbose lines:\n%s' "$bad")"
}

@test "-v: the timestamp is the local wall-clock time" {
	seq 1 >"$T/in"
	local before after stamp
	before=$(date +%H:%M:%S)
	ppio "$T/in" -v -- "$WORKERS_BIN/upper"
	after=$(date +%H:%M:%S)
	assert_status 0
	stamp=$(head -1 "$T/err" | awk '{print $2}')
	stamp=${stamp%.*}
	# Equal to one end or strictly between (string order works for
	# HH:MM:SS within a day; a midnight crossing would be a false alarm).
	[[ ! $stamp < $before && ! $stamp > $after ]] ||
		fail "timestamp $stamp not within $before..$after"
}

@test "-v: each started worker logs 'exited with status 0' exactly once at the end" {
	seq 12 >"$T/in"
	ppio "$T/in" -v -j 3 -m 1 -- "$WORKERS_BIN/sleepy" 0.2
	assert_status 0
	local started exited
	started=$(vlog_pids 'started \([0-9]+ alive, slot [0-9]+\)' | sort)
	exited=$(vlog_pids 'exited with status 0' | sort)
	[[ -n $started ]] || fail "no started lines"
	assert_equal "$exited" "$started"
	# Each pid starts once.
	assert_equal "$(sort -u <<<"$started")" "$started"
}

@test "-v: 'started (N alive, slot K)' counts up 1, 2, 3 during a burst, in slots 0, 1, 2" {
	seq 12 >"$T/in"
	ppio "$T/in" -v -j 3 -m 1 -- "$WORKERS_BIN/sleepy" 0.3
	assert_status 0
	run grep -oE 'started \([0-9]+ alive, slot [0-9]+\)$' "$T/err"
	assert_output "started (1 alive, slot 0)
started (2 alive, slot 1)
started (3 alive, slot 2)"
}

@test "-v: a worker killed by a signal is logged as 'killed by signal SIGKILL'; that failure shows in the exit status" {
	local w dir pid
	dir=$(pidfiles_dir)
	mkfifo "$T/fifo"
	pp_bg "$T/fifo" -v -j 2 -m 1 -- "$WORKERS/pidfile.sh" "$dir"
	exec {w}>"$T/fifo"
	echo first >&"$w"
	wait_for 10 test_file_has_lines "$T/out" 1
	pid=$(ls "$dir" | head -1)
	kill -KILL "$pid"
	wait_for 10 grep -qE "${VLOG_PREFIX}killed by signal SIGKILL\$" "$T/err"
	grep -qE "^procpool: [0-9:.]+ worker $pid killed by signal SIGKILL\$" "$T/err" ||
		fail "$(printf 'no kill line for worker %s:\n%s' "$pid" "$(cat "$T/err")")"
	# The pool goes on with a fresh worker.
	echo second >&"$w"
	wait_for 20 test_file_has_lines "$T/out" 2
	exec {w}>&-
	pp_wait
	# Every task has its result, but a worker failed: 102.
	assert_status 102
	grep -qxF "procpool: worker $pid killed by signal SIGKILL while it held no task, having answered all 1 of its tasks" "$T/err" ||
		fail "$(cat "$T/err")"
	assert_file_content "$T/out" 'first\nsecond\n'
	assert_workers_gone "$dir"
}

test_file_has_lines() {
	(($(wc -l <"$1") >= $2))
}
