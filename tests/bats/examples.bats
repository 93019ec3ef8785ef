#!/usr/bin/env bats
# The example workers in examples/ and the EXAMPLES of procpool(1): each one,
# run through procpool, gives exactly the expected output.

load '../helper'

EXAMPLES=$ROOT/examples

# upper_ref < IN: what the upper-case workers should write for IN (ASCII
# letters upper-cased, every record newline-terminated).
upper_ref() {
	python3 -c '
import sys
data = sys.stdin.buffer.read()
recs = data.split(b"\n")
if data.endswith(b"\n") or not data:
    recs.pop()
sys.stdout.buffer.write(b"".join(r.upper() + b"\n" for r in recs))'
}

# check_upper WORKER...: the upper-case worker gives the right answers for
# a handful of awkward lines and for generated text at -j1 and -j3.
check_upper() {
	printf 'a\nb\n' >"$T/in"
	ppio "$T/in" -k -- "$@"
	assert_status 0
	assert_file_content "$T/out" 'A\nB\n'
	assert_stderr_empty

	# Blanks kept, backslashes kept, an empty task, no final newline.
	printf '  lead and trail  \n\nback\\slash\tTAB\nlast' >"$T/in"
	ppio "$T/in" -k -- "$@"
	assert_status 0
	assert_file_content "$T/out" '  LEAD AND TRAIL  \n\nBACK\\SLASH\tTAB\nLAST\n'
	assert_stderr_empty

	gen 11 "${UPPER_COUNT:-3000}" text >"$T/in"
	upper_ref <"$T/in" >"$T/expected"
	local j
	for j in 1 3; do
		ppio "$T/in" -k -j "$j" -- "$@"
		assert_status 0
		assert_files_equal "$T/expected" "$T/out"
		assert_stderr_empty
	done
}

@test "every example worker starts with a comment naming it" {
	local f
	for f in upper.py upper.sh upper.c upper.js sha256.py wc-worker.sh; do
		[[ -f $EXAMPLES/$f ]] || fail "examples/$f is missing"
		head -3 "$EXAMPLES/$f" | grep -qE "^(#|/\*|//) $f: " ||
			fail "examples/$f does not start with a '$f: ...' comment"
	done
	for f in upper.py upper.sh upper.js sha256.py wc-worker.sh; do
		[[ -x $EXAMPLES/$f ]] || fail "examples/$f is not executable"
	done
}

@test "upper.py upper-cases each line (python3 FILE and run directly)" {
	command -v python3 >/dev/null || skip "no python3"
	check_upper python3 "$EXAMPLES/upper.py"
	UPPER_COUNT=300 check_upper "$EXAMPLES/upper.py"
}

@test "upper.py from procpool(1): printf 'a\\nb\\n' | procpool -k -- python3 examples/upper.py" {
	command -v python3 >/dev/null || skip "no python3"
	run bash -c 'cd "$1" && printf "a\nb\n" | "$2" -k -- python3 examples/upper.py' _ "$ROOT" "$PROCPOOL"
	assert_success
	assert_output $'A\nB'
}

@test "upper.sh (POSIX sh) upper-cases each line" {
	UPPER_COUNT=200 check_upper "$EXAMPLES/upper.sh"
	UPPER_COUNT=50 check_upper sh "$EXAMPLES/upper.sh"
}

@test "upper.c, compiled with cc, upper-cases each line" {
	command -v cc >/dev/null || skip "no cc"
	cc -std=c11 -Wall -Wextra -Werror -O2 -o "$T/upper" "$EXAMPLES/upper.c"
	UPPER_COUNT=20000 check_upper "$T/upper"
}

@test "upper.js (Node) upper-cases each line" {
	command -v node >/dev/null || skip "no node"
	check_upper node "$EXAMPLES/upper.js"
}

@test "sha256.py answers the SHA-256 of each line" {
	command -v python3 >/dev/null || skip "no python3"
	printf 'abc\n\nhello world\n' >"$T/in"
	ppio "$T/in" -k -j 2 -- python3 "$EXAMPLES/sha256.py"
	assert_status 0
	{
		printf 'abc' | sha256sum
		printf '' | sha256sum
		printf 'hello world' | sha256sum
	} | cut -d' ' -f1 >"$T/expected"
	assert_files_equal "$T/expected" "$T/out"
	assert_stderr_empty
}

@test "sha256.py --base64 with -b hashes whole files, as in procpool(1)" {
	command -v python3 >/dev/null || skip "no python3"
	mkdir "$T/files"
	head -c 100000 /dev/urandom >"$T/files/1.bin"
	printf 'two\nlines\0and a NUL' >"$T/files/2.bin"
	: >"$T/files/3.bin"
	local f
	for f in "$T"/files/*; do
		base64 -w0 "$f"
		echo
	done >"$T/in"
	ppio "$T/in" -b -k -- python3 "$EXAMPLES/sha256.py" --base64
	assert_status 0
	assert_stderr_empty
	base64 -d <"$T/out" >"$T/digests"
	sha256sum "$T"/files/* | cut -d' ' -f1 >"$T/expected"
	assert_files_equal "$T/expected" "$T/digests" "decoded digests"
}

@test "wc-worker.sh counts lines of NUL-separated paths from find -print0" {
	mkdir -p "$T/tree/sub" "$T/tree/dir.txt"
	printf '1\n2\n' >"$T/tree/a b.txt"
	printf 'x\n' >"$T/tree/sub/it's.txt"
	printf 'no newline' >"$T/tree/c.txt"
	printf 'skip\n' >"$T/tree/other.md"
	cd "$T/tree"
	find . -name '*.txt' -print0 | sort -z >"$T/in"
	ppio "$T/in" -0 -k -- "$EXAMPLES/wc-worker.sh"
	assert_status 0
	assert_file_content "$T/out" \
		'./a b.txt\t2\0./c.txt\t0\0./dir.txt\terror\0./sub/it'\''s.txt\t1\0'
	assert_stderr_empty
}

@test "wc-worker.sh: a path with a newline fails alone, naming its record" {
	mkdir "$T/tree"
	printf 'q\n' >"$T/tree/ok.txt"
	printf 'q\n' >"$T/tree/new"$'\n'"line.txt"
	printf './new\nline.txt\0./ok.txt\0' >"$T/in"
	cd "$T/tree"
	ppio "$T/in" -0 -k -- "$EXAMPLES/wc-worker.sh"
	assert_status 1
	assert_file_content "$T/out" './ok.txt\t1\0'
	grep -q '^procpool: record 1: task contains a newline' "$T/err" ||
		fail "no message naming record 1: $(cat "$T/err")"
}

@test "procpool(1) EXAMPLES: bc as a worker" {
	command -v bc >/dev/null || skip "no bc"
	printf '%s\n' '2^64' '3*7' >"$T/in"
	BC_LINE_LENGTH=0 ppio "$T/in" -k -j2 -- bc -l
	assert_status 0
	assert_file_content "$T/out" '18446744073709551616\n21\n'
	assert_stderr_empty
	# Without BC_LINE_LENGTH=0, bc would split this one over two lines.
	printf '%s\n' '2^512' >"$T/in"
	BC_LINE_LENGTH=0 ppio "$T/in" -k -- bc -l
	assert_status 0
	assert_file_content "$T/out" '%s\n' "$(echo '2^512' | BC_LINE_LENGTH=0 bc -l)"
	assert_stderr_empty
}

@test "procpool(1) EXAMPLES: jq --unbuffered as a worker" {
	command -v jq >/dev/null || skip "no jq"
	for i in $(seq 500); do
		printf '{"name":"n%d","size":%d}\n' "$i" "$i"
	done >"$T/objects.jsonl"
	ppio "$T/objects.jsonl" -k -- jq --unbuffered -c .name
	assert_status 0
	jq -c .name <"$T/objects.jsonl" >"$T/expected"
	assert_files_equal "$T/expected" "$T/out"
	assert_stderr_empty
}

@test "procpool(1) EXAMPLES: a job re-run with --joblog --resume does each task once" {
	seq 20 >"$T/in"
	# First run: task 7 fails (the worker dies on it), the rest succeed.
	cat >"$T/worker" <<-'EOF'
		#!/bin/sh
		while IFS= read -r l; do
			[ "$l" = 7 ] && [ ! -e "$0.fixed" ] && exit 3
			printf 'done %s\n' "$l"
		done
	EOF
	chmod +x "$T/worker"
	ppio "$T/in" -k --joblog "$T/log.tsv" --resume -- "$T/worker"
	assert_status 1
	assert_equal "$(wc -l <"$T/out")" 19
	# --resume skips every ended task, failed or not: nothing runs.
	ppio "$T/in" -k --joblog "$T/log.tsv" --resume -- "$T/worker"
	assert_status 0
	[[ ! -s $T/out ]] || fail "--resume ran tasks again: $(cat "$T/out")"
	# --resume-failed runs the failed one again.
	touch "$T/worker.fixed"
	ppio "$T/in" -k --joblog "$T/log.tsv" --resume-failed -- "$T/worker"
	assert_status 0
	assert_file_content "$T/out" 'done 7\n'
}

@test "procpool(1) EXAMPLES: --bench on examples/upper.py" {
	command -v python3 >/dev/null || skip "no python3"
	seq 10 >"$T/in"
	ppio "$T/in" --bench --bench-runs 1 --bench-jobs 1,2 -- python3 "$EXAMPLES/upper.py"
	assert_status 0
	grep -q '^process per task, -j1 .* reference$' "$T/out" || fail "$(cat "$T/out")"
	grep -q '^one reused worker, -j1 .* identical$' "$T/out" || fail "$(cat "$T/out")"
	grep -q '^pool, -j2 .* identical$' "$T/out" || fail "$(cat "$T/out")"
}
