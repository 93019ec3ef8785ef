#!/usr/bin/env bats
# The core property: for a deterministic worker W,
#   procpool -k -j N -- W  <in   is byte-identical to   W <in
# for every N, in every framing, and without -k the output is the same
# multiset. Inputs come from a seeded generator over several seeds and sizes;
# a failure names the seed, size and N so it can be replayed with `gen`.

load '../helper'

# Sizes per seed: seed s uses SIZES[s-1] records. Even seeds drop the final
# terminator (a last record without one is still a task).
SIZES=(1 9 150 2000 6000)

# check_line_framing KIND: upper through procpool vs upper directly, default
# (newline) framing, N = 1..8, ordered and unordered.
check_line_framing() {
	local kind=$1 seed n size final
	for seed in 1 2 3 4 5; do
		size=${SIZES[seed - 1]}
		final=$((seed % 2))
		gen "$seed" "$size" "$kind" "$final" >"$T/in"
		"$WORKERS_BIN/upper" <"$T/in" >"$T/expected"
		for n in 1 2 3 4 5 6 7 8; do
			ppio "$T/in" -k -j "$n" -- "$WORKERS_BIN/upper"
			echo "# kind=$kind seed=$seed size=$size final=$final -k -j $n"
			assert_status 0
			assert_files_equal "$T/expected" "$T/out"
			assert_stderr_empty
			ppio "$T/in" -j "$n" -- "$WORKERS_BIN/upper"
			echo "# kind=$kind seed=$seed size=$size final=$final -j $n (unordered)"
			assert_status 0
			assert_same_multiset "$T/expected" "$T/out"
		done
	done
}

@test "line framing: text lines, -k equals the worker run directly, unordered is the same multiset" {
	check_line_framing text
}

@test "line framing: arbitrary bytes but newline and NUL (CR, controls, high bytes) pass through the line wire" {
	check_line_framing bytes
}

@test "line framing: 1 MiB lines, -k equals the worker run directly" {
	local seed n
	for seed in 1 2; do
		gen "$seed" 5 long "$((seed % 2))" >"$T/in"
		"$WORKERS_BIN/upper" <"$T/in" >"$T/expected"
		for n in 1 2 3 4 5 6 7 8; do
			ppio "$T/in" -k -j "$n" -- "$WORKERS_BIN/upper"
			echo "# long seed=$seed -k -j $n"
			assert_status 0
			assert_files_equal "$T/expected" "$T/out"
			assert_stderr_empty
		done
		ppio "$T/in" -j 3 -- "$WORKERS_BIN/upper"
		assert_status 0
		assert_same_multiset "$T/expected" "$T/out"
	done
}

@test "-0 framing: NUL records, -k equals the worker run directly (tr-converted)" {
	local seed n size final
	for seed in 1 2 3 4 5; do
		size=${SIZES[seed - 1]}
		final=$((seed % 2))
		gen "$seed" "$size" text "$final" >"$T/in.nl"
		tr '\n' '\0' <"$T/in.nl" >"$T/in"
		"$WORKERS_BIN/upper" <"$T/in.nl" | tr '\n' '\0' >"$T/expected"
		for n in 1 2 3 4 5 6 7 8; do
			ppio "$T/in" -0 -k -j "$n" -- "$WORKERS_BIN/upper"
			echo "# -0 seed=$seed size=$size final=$final -k -j $n"
			assert_status 0
			assert_files_equal "$T/expected" "$T/out"
			assert_stderr_empty
			ppio "$T/in" -0 -j "$n" -- "$WORKERS_BIN/upper"
			echo "# -0 seed=$seed size=$size final=$final -j $n (unordered)"
			assert_status 0
			assert_same_multiset "$T/expected" "$T/out" -z
		done
	done
}

@test "-b framing: binary tasks on the base64 wire, -k equals the worker run directly" {
	local seed n size final
	for seed in 1 2 3 4; do
		size=${SIZES[seed - 1]}
		final=$((seed % 2))
		gen "$seed" "$size" b64 "$final" >"$T/in"
		"$WORKERS/b64rev.py" <"$T/in" >"$T/expected"
		for n in 1 2 3 4 5 6 7 8; do
			ppio "$T/in" -b -k -j "$n" -- "$WORKERS/b64rev.py"
			echo "# -b seed=$seed size=$size final=$final -k -j $n"
			assert_status 0
			assert_files_equal "$T/expected" "$T/out"
			assert_stderr_empty
		done
		ppio "$T/in" -b -j 4 -- "$WORKERS/b64rev.py"
		echo "# -b seed=$seed size=$size final=$final -j 4 (unordered)"
		assert_status 0
		assert_same_multiset "$T/expected" "$T/out"
	done
}

@test "-b framing: an echoing worker makes the output equal the input" {
	local seed n
	for seed in 3 4; do
		gen "$seed" 500 b64 >"$T/in"
		for n in 1 3 8; do
			ppio "$T/in" -b -k -j "$n" -- "$WORKERS_BIN/lineecho"
			echo "# -b echo seed=$seed -k -j $n"
			assert_status 0
			assert_files_equal "$T/in" "$T/out"
			assert_stderr_empty
		done
	done
}

@test "-w base64 with newline framing: raw lines (NUL, CR, high bytes) travel encoded" {
	local seed n
	for seed in 1 2 3 4; do
		gen "$seed" "${SIZES[seed - 1]}" bytes0 "$((seed % 2))" >"$T/in"
		expect_rev nl <"$T/in" >"$T/expected"
		for n in 1 2 3 4 5 6 7 8; do
			ppio "$T/in" -w base64 -k -j "$n" -- "$WORKERS/b64rev.py"
			echo "# -w base64 seed=$seed -k -j $n"
			assert_status 0
			assert_files_equal "$T/expected" "$T/out"
			assert_stderr_empty
		done
	done
}

@test "-0 -w base64: binary records containing newlines travel encoded" {
	local seed n
	for seed in 1 2 3 4; do
		gen "$seed" "${SIZES[seed - 1]}" bin0 "$((seed % 2))" >"$T/in"
		expect_rev nul <"$T/in" >"$T/expected"
		for n in 1 2 3 4 5 6 7 8; do
			ppio "$T/in" -0 -w base64 -k -j "$n" -- "$WORKERS/b64rev.py"
			echo "# -0 -w base64 seed=$seed -k -j $n"
			assert_status 0
			assert_files_equal "$T/expected" "$T/out"
			assert_stderr_empty
		done
		ppio "$T/in" -0 -w base64 -j 4 -- "$WORKERS/b64rev.py"
		assert_status 0
		assert_same_multiset "$T/expected" "$T/out" -z
	done
}
