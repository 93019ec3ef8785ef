#!/usr/bin/env bats
# Options that change where tasks come from and how they are dispatched,
# but never what the results are: -a, --depth, -j N%; and --help, --version.

load '../helper'

@test "-a FILE reads tasks from FILE instead of stdin" {
	gen 5 300 text >"$T/tasks"
	"$WORKERS_BIN/upper" <"$T/tasks" >"$T/expected"
	ppio /dev/null -k -a "$T/tasks" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_files_equal "$T/expected" "$T/out"
	assert_stderr_empty
}

@test "-a FILE leaves stdin alone" {
	printf 'from file\n' >"$T/tasks"
	printf 'from stdin\n' >"$T/in"
	ppio "$T/in" -k -a "$T/tasks" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'FROM FILE\n'
}

@test "--depth 1, --depth 4 and --depth auto give the same -k output" {
	gen 6 5000 text >"$T/in"
	"$WORKERS_BIN/upper" <"$T/in" >"$T/expected"
	local d n
	for d in 1 4 auto; do
		for n in 1 3; do
			ppio "$T/in" -k --depth "$d" -j "$n" -- "$WORKERS_BIN/upper"
			echo "# --depth $d -j $n"
			assert_status 0
			assert_files_equal "$T/expected" "$T/out"
			assert_stderr_empty
		done
	done
	ppio "$T/in" -k -j 3 -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_files_equal "$T/expected" "$T/out"
}

@test "--depth 1 and auto agree unordered too (same multiset)" {
	gen 8 3000 text >"$T/in"
	"$WORKERS_BIN/upper" <"$T/in" >"$T/expected"
	local d
	for d in 1 auto; do
		ppio "$T/in" --depth "$d" -j 4 -- "$WORKERS_BIN/upper"
		assert_status 0
		assert_same_multiset "$T/expected" "$T/out"
	done
}

@test "-j 50% gives correct output" {
	gen 9 1000 text >"$T/in"
	"$WORKERS_BIN/upper" <"$T/in" >"$T/expected"
	ppio "$T/in" -k -j 50% -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_files_equal "$T/expected" "$T/out"
	assert_stderr_empty
}

@test "--jobs=N and --min=N long forms are accepted" {
	printf 'a\nb\n' >"$T/in"
	ppio "$T/in" -k --jobs=2 --min=1 --idle-timeout=3s --depth=1 -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'A\nB\n'
}

@test "--idle-timeout accepts 250ms, 3s, 2m and bare seconds" {
	printf 'a\n' >"$T/in"
	local d
	for d in 250ms 3s 2m 5; do
		ppio "$T/in" -i "$d" -- "$WORKERS_BIN/upper"
		echo "# -i $d"
		assert_status 0
		assert_file_content "$T/out" 'A\n'
	done
}

@test "--help prints usage to stdout and exits 0" {
	run --separate-stderr pp --help
	assert_success
	assert_output --partial "procpool"
	assert_output --partial "COMMAND"
	assert_equal "$stderr" ""
}

@test "--version prints 'procpool VERSION' and exits 0" {
	run --separate-stderr pp --version
	assert_success
	assert_output --regexp '^procpool [^ ]+$'
	assert_equal "$stderr" ""
}

@test "COMMAND is looked up in PATH" {
	printf 'ab\n' >"$T/in"
	PATH=$WORKERS_BIN:$PATH ppio "$T/in" -- upper
	assert_status 0
	assert_file_content "$T/out" 'AB\n'
}

@test "ARGs are passed to COMMAND as is, without a shell" {
	printf 'x\ny\n' >"$T/in"
	ppio "$T/in" -k -- sh -c 'while IFS= read -r l; do printf "%s|%s|%s\n" "$0" "$1" "$l"; done' 'a b' '$HOME *'
	assert_status 0
	assert_file_content "$T/out" 'a b|$HOME *|x\na b|$HOME *|y\n'
}

@test "options after COMMAND belong to COMMAND" {
	printf 'x\n' >"$T/in"
	ppio "$T/in" -k sh -c 'while read -r l; do printf "%s %s\n" "$0" "$l"; done' -k
	assert_status 0
	assert_file_content "$T/out" '-k x\n'
}
