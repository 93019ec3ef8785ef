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

@test "an abbreviation of several long options: named as ambiguous, with the candidates, exit 125" {
	run --separate-stderr pp --jo 2 -- "$WORKERS_BIN/upper"
	assert_equal "$status" 125
	assert_equal "$output" ""
	assert_equal "$stderr" "procpool: option '--jo' is ambiguous (--jobs, --joblog)
Try 'procpool --help' for more information."
	# A prefix of one option is that option; an exact name wins over longer ones.
	printf 'a\n' >"$T/in"
	ppio "$T/in" --keep --jobs 1 --resume --joblog "$T/log" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'A\n'
}

@test "--min above --jobs, both given: a usage error, exit 125" {
	run --separate-stderr pp -m 5 -j 2 -- "$WORKERS_BIN/upper"
	assert_equal "$status" 125
	assert_equal "$output" ""
	assert_equal "$stderr" "procpool: --min 5 is above --jobs 2
Try 'procpool --help' for more information."
}

@test "--min above the default --jobs: --jobs rises to it, and that many workers start" {
	local n=$(($(cpus) + 1))
	printf 'a\n' >"$T/in"
	ppio "$T/in" -v -m "$n" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'A\n'
	assert_vlog_count "$n" 'started \([0-9]+ alive, slot [0-9]+\)'
	assert_equal "$(max_alive)" "$n"
}

@test "a file option given twice is a usage error; others take their last value" {
	run --separate-stderr pp --joblog "$T/a" --joblog "$T/b" -- "$WORKERS_BIN/upper"
	assert_equal "$status" 125
	assert_equal "$stderr" "procpool: --joblog given twice
Try 'procpool --help' for more information."
	[[ ! -e $T/a && ! -e $T/b ]] || fail "a joblog was created"
	printf 'a\nb\n' >"$T/in"
	ppio "$T/in" -v -j 5 -j 1 --depth 1 -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_vlog_count 1 'started \([0-9]+ alive, slot [0-9]+\)'
}

@test "a bad value: the message names the option, the value and what is expected" {
	local -a cases=(
		"--nice 40|invalid --nice '40': expected a number from 0 to 39"
		"--retries x|invalid --retries 'x': expected a number from 0 to 1000"
		"-i 5x|invalid --idle-timeout '5x': expected a duration such as 250ms, 10s or 2m"
		"--depth 0|invalid --depth '0': expected auto or a number from 1 to 65536"
		"-w morse|invalid --wire 'morse': expected line or base64"
	)
	local c
	for c in "${cases[@]}"; do
		read -ra args <<<"${c%%|*}"
		run --separate-stderr pp "${args[@]}" -- "$WORKERS_BIN/upper"
		assert_equal "$status" 125
		assert_equal "$stderr" "procpool: ${c#*|}
Try 'procpool --help' for more information."
	done
	# What the user typed is shown escaped.
	run --separate-stderr pp -j $'4\e[2J' -- "$WORKERS_BIN/upper"
	assert_equal "$status" 125
	assert_equal "$stderr" "procpool: invalid --jobs '4\\x1b[2J': expected N or N%
Try 'procpool --help' for more information."
}
