#!/usr/bin/env bats
# Output order: completion order by default, input order with -k, and --tag.
# msdelay tasks are "MS TEXT": the worker sleeps MS ms, then echoes the task.

load '../helper'

@test "default order is completion order: a fast task overtakes a slow one" {
	printf '1500 slow\n0 fast\n' >"$T/in"
	ppio "$T/in" -j 2 --depth 1 -- "$WORKERS_BIN/msdelay"
	assert_status 0
	assert_file_content "$T/out" '0 fast\n1500 slow\n'
}

@test "-k keeps input order even when a later task finishes first" {
	printf '1500 slow\n0 fast\n' >"$T/in"
	ppio "$T/in" -k -j 2 --depth 1 -- "$WORKERS_BIN/msdelay"
	assert_status 0
	assert_file_content "$T/out" '1500 slow\n0 fast\n'
}

@test "--keep-order is the long form of -k" {
	printf '1500 slow\n0 fast\n' >"$T/in"
	ppio "$T/in" --keep-order -j 2 --depth 1 -- "$WORKERS_BIN/msdelay"
	assert_status 0
	assert_file_content "$T/out" '1500 slow\n0 fast\n'
}

@test "-k with random task durations on 4 workers: output is the input" {
	awk 'BEGIN { srand(7); for (i = 1; i <= 120; i++) printf "%d task%d\n", int(rand() * 40), i }' >"$T/in"
	ppio "$T/in" -k -j 4 -- "$WORKERS_BIN/msdelay"
	assert_status 0
	assert_files_equal "$T/in" "$T/out"
	ppio "$T/in" -j 4 -- "$WORKERS_BIN/msdelay"
	assert_status 0
	assert_same_multiset "$T/in" "$T/out"
}

@test "--tag prefixes each result with its input record and a TAB" {
	printf 'ab\ncd\n\n' >"$T/in"
	ppio "$T/in" -k --tag -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'ab\tAB\ncd\tCD\n\t\n'
	assert_stderr_empty
}

@test "--tag pairs each result with its own record in completion order" {
	gen 11 800 text >"$T/in"
	# Tabs inside the generated text would make the split ambiguous.
	tr '\t' ' ' <"$T/in" >"$T/in.notab"
	ppio "$T/in.notab" --tag -j 4 -- "$WORKERS_BIN/upper"
	assert_status 0
	paste "$T/in.notab" <("$WORKERS_BIN/upper" <"$T/in.notab") >"$T/expected"
	assert_same_multiset "$T/expected" "$T/out"
}

@test "--tag with -0: record, TAB, result, NUL" {
	printf 'ab\0cd\0' >"$T/in"
	ppio "$T/in" -0 -k --tag -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'ab\tAB\0cd\tCD\0'
}
