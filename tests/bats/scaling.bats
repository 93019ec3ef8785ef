#!/usr/bin/env bats
# Pool scaling observed through -v lifecycle lines: bursts grow the pool up
# to --jobs and never beyond, nor beyond the work there is; idle workers
# retire down to --min; --min workers start at launch. Counts, not timings.

load '../helper'

STARTED='started \([0-9]+ alive, slot [0-9]+\)'
RETIRED='retired after idle \([0-9]+ alive\)'

# expect_numbers FROM TO: the multiset of results is FROM..TO.
expect_numbers() {
	seq "$1" "$2" >"$T/expected"
	assert_same_multiset "$T/expected" "$T/out"
}

@test "a burst starts workers up to --jobs and not beyond (-j 3 -m 1, 12 slow tasks)" {
	seq 12 >"$T/in"
	ppio "$T/in" -v -j 3 -m 1 -- "$WORKERS_BIN/sleepy" 0.3
	assert_status 0
	expect_numbers 1 12
	assert_vlog_count 3 "$STARTED"
	assert_equal "$(max_alive)" 3
}

@test "the same burst with --depth 1 also starts exactly 3 workers" {
	seq 12 >"$T/in"
	ppio "$T/in" -v -j 3 -m 1 --depth 1 -- "$WORKERS_BIN/sleepy" 0.3
	assert_status 0
	expect_numbers 1 12
	assert_vlog_count 3 "$STARTED"
}

@test "-j 1 runs everything on one worker" {
	seq 6 >"$T/in"
	ppio "$T/in" -v -j 1 -- "$WORKERS_BIN/sleepy" 0.1
	assert_status 0
	expect_numbers 1 6
	assert_vlog_count 1 "$STARTED"
}

@test "never more workers than there is work for (-j 8, 2 slow tasks)" {
	seq 2 >"$T/in"
	ppio "$T/in" -v -j 8 -m 1 -- "$WORKERS_BIN/sleepy" 0.5
	assert_status 0
	expect_numbers 1 2
	assert_vlog_count 2 "$STARTED"
}

@test "a single task on a big pool starts a single worker" {
	seq 1 >"$T/in"
	ppio "$T/in" -v -j 8 -m 1 -- "$WORKERS_BIN/sleepy" 0.3
	assert_status 0
	expect_numbers 1 1
	assert_vlog_count 1 "$STARTED"
}

@test "--min workers are started at launch, even with no input" {
	ppio /dev/null -v -j 4 -m 3 -- "$WORKERS_BIN/upper"
	assert_status 0
	[[ ! -s $T/out ]]
	assert_vlog_count 3 "$STARTED"
}

@test "--min may equal --jobs (above it is a usage error: options.bats)" {
	ppio /dev/null -v -j 2 -m 2 -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_vlog_count 2 "$STARTED"
}

@test "default --jobs is the number of online CPUs" {
	local n
	n=$(cpus)
	seq $((3 * n)) >"$T/in"
	ppio "$T/in" -v -- "$WORKERS_BIN/sleepy" 0.3
	assert_status 0
	expect_numbers 1 $((3 * n))
	assert_vlog_count "$n" "$STARTED"
}

@test "-j 50% means half the online CPUs, at least 1" {
	local n lo hi started
	n=$(cpus)
	lo=$((n * 50 / 100)) hi=$(((n * 50 + 99) / 100))
	((lo >= 1)) || lo=1
	((hi >= 1)) || hi=1
	seq $((3 * n + 3)) >"$T/in"
	ppio "$T/in" -v -j 50% -- "$WORKERS_BIN/sleepy" 0.2
	assert_status 0
	expect_numbers 1 $((3 * n + 3))
	started=$(vlog_count "$STARTED")
	((started >= lo && started <= hi)) ||
		fail "-j 50% on $n CPUs started $started workers, expected $lo..$hi"
}

@test "-j 1% still allows one worker" {
	seq 3 >"$T/in"
	ppio "$T/in" -v -j 1% -- "$WORKERS_BIN/sleepy" 0.1
	assert_status 0
	expect_numbers 1 3
	assert_vlog_count 1 "$STARTED"
}

@test "idle workers retire down to --min, and a second burst grows the pool again" {
	local w pid
	mkfifo "$T/fifo"
	pp_bg "$T/fifo" -v -j 3 -m 1 -i 500ms -- "$WORKERS_BIN/sleepy" 0.3
	exec {w}>"$T/fifo"

	# First burst: grows to 3, then idles down to 1.
	seq 1 12 >&"$w"
	wait_for 30 vlog_count_at_least 2 "$RETIRED"
	wait_for 10 vlog_count_at_least 1 'kept alive at min 1'
	assert_vlog_count 3 "$STARTED"
	assert_vlog_count 2 "$RETIRED"
	assert_equal "$(wc -l <"$T/out")" 12
	# Retired workers are gone for real (exited and reaped), while
	# procpool still runs.
	for pid in $(vlog_pids "$RETIRED"); do
		wait_for 10 pid_is_gone "$pid"
	done

	# Second burst: grows back to 3 (2 more started).
	seq 13 24 >&"$w"
	wait_for 30 test_lines_at_least 24
	exec {w}>&-
	pp_wait
	assert_status 0
	expect_numbers 1 24
	assert_vlog_count 5 "$STARTED"
	assert_equal "$(max_alive)" 3
}

test_lines_at_least() {
	(($(wc -l <"$T/out") >= $1))
}

@test "an idle pool at --min keeps its workers (no retire below --min)" {
	local w
	mkfifo "$T/fifo"
	pp_bg "$T/fifo" -v -j 3 -m 2 -i 250ms -- "$WORKERS_BIN/sleepy" 0.3
	exec {w}>"$T/fifo"
	seq 1 6 >&"$w"
	wait_for 30 vlog_count_at_least 1 'kept alive at min 2'
	exec {w}>&-
	pp_wait
	assert_status 0
	expect_numbers 1 6
	assert_vlog_count 3 "$STARTED"
	assert_vlog_count 1 "$RETIRED"
}
