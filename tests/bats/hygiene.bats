#!/usr/bin/env bats
# What a worker inherits from procpool: only stdin, stdout and stderr, and
# the signal dispositions procpool itself was given (house style: block
# around fork, reset in the child, close every other fd, all fds cloexec).
# selfinfo answers "fds=... SigBlk=HEX SigIgn=HEX".

load '../helper'

# run_closed ARG...: ppio with every fd above 2 closed in procpool's
# environment, so whatever extra fd a worker has came from procpool.
run_closed() {
	local in=$1 fd
	shift
	status=0
	(
		for fd in "/proc/$BASHPID/fd"/*; do
			fd=${fd##*/}
			((fd > 2)) && eval "exec $fd>&-"
		done
		exec timeout -k 5 "$PP_TIMEOUT" "$PROCPOOL" "$@"
	) <"$in" >"$T/out" 2>"$T/err" || status=$?
}

@test "a worker has only fds 0, 1, 2 open (procpool's own fds are close-on-exec)" {
	seq 5 >"$T/in"
	run_closed "$T/in" -j 2 -- "$WORKERS_BIN/selfinfo"
	assert_status 0
	run cut -d' ' -f1 "$T/out"
	assert_equal "$(sort -u <<<"$output")" "fds=0,1,2"
}

@test "a worker has only fds 0, 1, 2 with -a FILE and -v" {
	seq 5 >"$T/tasks"
	run_closed /dev/null -v -a "$T/tasks" -j 2 -- "$WORKERS_BIN/selfinfo"
	assert_status 0
	run cut -d' ' -f1 "$T/out"
	assert_equal "$(sort -u <<<"$output")" "fds=0,1,2"
}

@test "house style: fds procpool inherited are not passed on to workers" {
	seq 3 >"$T/in"
	ppio "$T/in" -j 1 -- "$WORKERS_BIN/selfinfo" 7</dev/null 8>/dev/null
	assert_status 0
	run cut -d' ' -f1 "$T/out"
	assert_equal "$(sort -u <<<"$output")" "fds=0,1,2"
}

@test "a worker's blocked and ignored signals are those procpool was started with" {
	seq 1 >"$T/in"
	# Baseline: the same worker started the same way, without procpool.
	timeout 60 "$WORKERS_BIN/selfinfo" <"$T/in" | cut -d' ' -f2- >"$T/expected"
	ppio "$T/in" -j 2 -- "$WORKERS_BIN/selfinfo"
	assert_status 0
	cut -d' ' -f2- "$T/out" >"$T/actual"
	assert_files_equal "$T/expected" "$T/actual" "signal masks"
}

@test "a signal ignored when procpool starts stays ignored in workers (nohup), SIGPIPE does not" {
	seq 1 >"$T/in"
	# SIGUSR2 ignored by whoever starts procpool, as nohup does with SIGHUP.
	(trap '' USR2; timeout 60 "$WORKERS_BIN/selfinfo" <"$T/in") | cut -d' ' -f2- >"$T/expected"
	(trap '' USR2; ppio "$T/in" -j 1 -- "$WORKERS_BIN/selfinfo"; echo "$status" >"$T/status")
	assert_equal "$(cat "$T/status")" 0
	cut -d' ' -f2- "$T/out" >"$T/actual"
	assert_files_equal "$T/expected" "$T/actual" "signal masks"
	# And the comparison means something: USR2 (12) is bit 0x800.
	run cat "$T/actual"
	assert_output --partial "SigIgn=0000000000000800"
	assert_output --partial "SigBlk=0000000000000000"
}

@test "a worker started by scaling mid-run also has clean signal masks" {
	seq 1 >"$T/expected.in"
	timeout 60 "$WORKERS_BIN/selfinfo" <"$T/expected.in" | cut -d' ' -f2- >"$T/expected"
	# 40 tasks on -j 4 from -m 1: most workers start while procpool runs.
	seq 40 >"$T/in"
	ppio "$T/in" -j 4 -m 1 -- "$WORKERS_BIN/selfinfo"
	assert_status 0
	cut -d' ' -f2- "$T/out" | sort -u >"$T/actual"
	assert_files_equal "$T/expected" "$T/actual" "signal masks"
}
