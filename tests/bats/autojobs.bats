#!/usr/bin/env bats
# -j auto: the pool's size follows measured throughput, within --max-jobs.
# Three kinds of worker: ones that wait (they grow toward the ceiling),
# CPU-bound ones (near the CPUs) and ones that share something serving K at
# once (near K). Bounds are generous: the machine may be busy.

load '../helper'

# auto_field KEY: a field of --stats-json's jobs_auto object.
auto_field() {
	jq -c ".jobs_auto.$1" "$T/stats.json"
}

@test "-j auto, workers that sleep 10 ms: the pool grows to --max-jobs 16 and never past it" {
	seq 8000 >"$T/in"
	ppio "$T/in" -v -j auto --max-jobs 16 --stats-json "$T/stats.json" -- "$WORKERS_BIN/sleepy" 0.01
	assert_status 0
	assert_same_multiset "$T/in" "$T/out"
	assert_equal "$(jq .workers.peak "$T/stats.json")" 16
	assert_equal "$(auto_field 'asked | max')" 16
	(($(auto_field holds) >= 8))
	assert_equal "$(max_alive)" 16
	# -v says where it started and why each size was tried.
	run -0 grep -cE -- '-j auto: starting at [0-9]+ \(at most 16, --max-jobs\)$' "$T/err"
	assert_output 1
	run -0 grep -E -- '-j auto: [0-9]+ -> [0-9]+ paid: ' "$T/err"
}

@test "-j auto, CPU-bound workers (mawk): settles near the CPUs, far below --max-jobs" {
	seq 1500 >"$T/in"
	ppio "$T/in" -j auto --max-jobs 16 --stats-json "$T/stats.json" -- \
		mawk -W interactive '{ for (i = 0; i < 200000; i++) x += i; print }'
	assert_status 0
	assert_same_multiset "$T/in" "$T/out"
	(($(auto_field holds) <= 2 * $(cpus)))
	(($(jq .workers.peak "$T/stats.json") <= 16))
}

@test "-j auto, workers sharing 4 tokens: settles near 4" {
	mkdir "$T/tokens"
	seq 3000 >"$T/in"
	ppio "$T/in" -j auto --max-jobs 16 --stats-json "$T/stats.json" -- \
		"$WORKERS_BIN/f_tokens" "$T/tokens" 4
	assert_status 0
	assert_same_multiset "$T/in" "$T/out"
	local holds
	holds=$(auto_field holds)
	((holds >= 3 && holds <= 8))
	(($(jq .workers.peak "$T/stats.json") <= 16))
}

@test "-j auto: --stats lists the sizes asked for and the one held" {
	seq 300 >"$T/in"
	ppio "$T/in" -j auto --max-jobs 4 --stats -- "$WORKERS_BIN/sleepy" 0.01
	assert_status 0
	run -0 grep -E '^  -j auto   asked for [0-9]+( [0-9]+)*; holds [0-9]+; last: ' "$T/err"
}

@test "--max-jobs without -j auto, and -j auto with --bench: usage errors, exit 125" {
	ppio /dev/null -j 4 --max-jobs 8 -- cat
	assert_status 125
	assert_file_content "$T/err" "procpool: --max-jobs needs -j auto\nTry 'procpool --help' for more information.\n"
	ppio /dev/null -j auto --bench -- cat
	assert_status 125
	run -0 grep -c -- '-j auto cannot be used with --bench' "$T/err"
	ppio /dev/null -j auto --max-jobs 2 --min 3 -- cat
	assert_status 125
	run -0 grep -c -- '--min 3 is above --max-jobs 2' "$T/err"
}

@test "-j auto with -S: a usage error, exit 125 (each host has its own cap)" {
	ppio /dev/null -j auto -S 127.0.0.2 -- cat
	assert_status 125
	run -0 grep -c -- '-j auto cannot be used with -S or --sshloginfile, where each host has its own cap' "$T/err"
}
