#!/usr/bin/env bats
# Where tasks come from and what procpool checks before the first one runs:
# several -a files read in turn ("-" is stdin), files that cannot be read,
# the --stats-json file, and a low ulimit -n.

load '../helper'

@test "-a F1 -a F2 -a F3: every file in order, a last record without its newline ends at its file's end" {
	printf 'a\nb' >"$T/f1"
	: >"$T/f2"
	printf 'c\nd\n' >"$T/f3"
	printf 'e' >"$T/f4"
	ppio /dev/null -k -a "$T/f1" -a "$T/f2" --arg-file="$T/f3" -a "$T/f4" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'A\nB\nC\nD\nE\n'
	assert_stderr_empty
}

@test "-a -: stdin among the files, in its place" {
	printf 'one\n' >"$T/f1"
	printf 'three\n' >"$T/f3"
	printf 'two\n' >"$T/in"
	ppio "$T/in" -k -a "$T/f1" -a - -a "$T/f3" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'ONE\nTWO\nTHREE\n'
	assert_stderr_empty
	# stdin as a pipe, alone.
	run --separate-stderr bash -c 'printf "x\ny" | "$1" -k -a - -- "$2"' _ "$PROCPOOL" "$WORKERS_BIN/upper"
	assert_success
	assert_output $'X\nY'
	assert_equal "$stderr" ""
}

@test "-a - twice: a usage error, exit 125" {
	run --separate-stderr pp -a - -a "$T/x" -a - -- "$WORKERS_BIN/upper"
	assert_equal "$status" 125
	assert_equal "$output" ""
	assert_equal "$stderr" "procpool: -a - given twice: stdin can be read only once
Try 'procpool --help' for more information."
}

@test "-0 with several files: a file's last record without its NUL ends at its file's end" {
	printf 'a\0b' >"$T/f1"
	printf 'c\0' >"$T/f2"
	ppio /dev/null -0 -k -a "$T/f1" -a "$T/f2" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'A\0B\0C\0'
}

@test "record numbers run on across -a files: in messages, the joblog and --resume" {
	printf 'a\nb\n' >"$T/f1"
	printf 'c\nd\n' >"$T/f2"
	# f_crashk 3: each worker dies on its 3rd task; -j 1 --depth 1: record 3,
	# the first of f2.
	ppio /dev/null -k -j 1 --depth 1 --joblog "$T/log" -a "$T/f1" -a "$T/f2" -- "$WORKERS_BIN/f_crashk" 3 7
	assert_status 1
	assert_file_content "$T/out" 'a\nb\nd\n'
	run sed -E 's/worker [0-9]+/worker PID/' "$T/err"
	assert_output "procpool: record 3: worker PID exited with status 7; input 'c'"
	run awk -F'\t' 'NR > 1 {print $1, $12, $9}' "$T/log"
	assert_output $'1 ok a\n2 ok b\n3 exit 7 c\n4 ok d'
	# Resumed with the same files, only record 3 runs again.
	ppio /dev/null -k --joblog "$T/log" --resume-failed -a "$T/f1" -a "$T/f2" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'C\n'
}

@test "-a: a file that cannot be opened stops the run before any task, exit 124" {
	seq 3 >"$T/f1"
	run --separate-stderr pp -v -a "$T/f1" -a "$T/missing" -a "$T/f1" -- "$WORKERS_BIN/upper"
	assert_equal "$status" 124
	assert_equal "$output" ""
	assert_equal "$stderr" "procpool: cannot read '$T/missing': No such file or directory"
	run --separate-stderr pp -a "$T/f1" -a "$T" -a "$T/f1" -- "$WORKERS_BIN/upper"
	assert_equal "$status" 124
	assert_equal "$output" ""
	assert_equal "$stderr" "procpool: cannot read '$T': Is a directory"
}

@test "-a: a file name in a message is escaped, UTF-8 kept" {
	run --separate-stderr pp -a "$T/caf"$'\xc3\xa9\n\e[1m' -- "$WORKERS_BIN/upper"
	assert_equal "$status" 124
	assert_equal "$stderr" "procpool: cannot read '$T/caf"$'\xc3\xa9'"\\n\\x1b[1m': No such file or directory"
}

@test "--progress: the total counts the records of every regular -a file" {
	printf 'a\nb\nc' >"$T/f1"
	printf 'd\ne\n' >"$T/f2"
	ppio /dev/null -k --progress -a "$T/f1" -a "$T/f2" -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_file_content "$T/out" 'A\nB\nC\nD\nE\n'
	run tail -1 "$T/err"
	assert_output --regexp '^procpool: 5/5 tasks \(100%\), [0-9]+/s, 0 failed, 0/0 workers busy$'
	# One of them not a regular file: the total is unknown.
	run bash -c '"$1" -k --progress -a "$2" -a <(printf "d\n") -- "$3" 2>&1 >/dev/null | tail -1' \
		_ "$PROCPOOL" "$T/f1" "$WORKERS_BIN/upper"
	assert_success
	assert_output --regexp '^procpool: 4 tasks, [0-9]+/s, 0 failed, 0/0 workers busy$'
}

@test "--bench with several -a files runs them all as one input" {
	printf 'a\nb' >"$T/f1"
	printf 'c\n' >"$T/f2"
	ppio /dev/null --bench --bench-jobs 1 --bench-runs 1 -a "$T/f1" -a "$T/f2" -- "$WORKERS_BIN/upper"
	assert_status 0
	run head -1 "$T/out"
	assert_output "procpool --bench: 3 tasks, 1 run each; median (min-max)"
	run grep -c ' identical$' "$T/out"
	assert_output 1
}

# ---- --stats-json ---------------------------------------------------------

@test "--stats-json: failing to write at the end exits 124" {
	printf 'a\n' >"$T/in"
	ppio "$T/in" --stats-json /dev/full -- "$WORKERS_BIN/upper"
	assert_status 124
	assert_file_content "$T/out" 'A\n'
	assert_file_content "$T/err" "procpool: cannot write '/dev/full': No space left on device\\n"
}

@test "--stats-json: the last run's file stays until the new one is written, which replaces it whole" {
	# A longer old file: the new JSON must not leave its tail behind.
	head -c 20000 /dev/zero | tr '\0' x >"$T/s.json"
	mkfifo "$T/fifo"
	pp_bg "$T/fifo" --stats-json "$T/s.json" -- "$WORKERS_BIN/upper"
	exec 4>"$T/fifo"
	printf 'a\n' >&4
	wait_for 30 grep -q A "$T/out"
	run wc -c <"$T/s.json"
	assert_output 20000
	exec 4>&-
	pp_wait
	assert_status 0
	run jq -c '.tasks' "$T/s.json"
	assert_output '{"read":1,"ok":1,"failed":0,"suspect":0,"retried":0,"skipped":0,"not_run":0}'
}

# ---- ulimit -n ------------------------------------------------------------

@test "ulimit -Sn 128, -j 200: the soft limit is raised for procpool, 200 workers start, each with 128" {
	# Each worker holds its task until it reads a line from the FIFO gate,
	# so all 200 tasks wait on workers until all 200 have started.
	mkfifo "$T/gate"
	seq 200 >"$T/in"
	bash -c 'ulimit -Sn 128 && exec "$@"' _ "$PROCPOOL" -v -j 200 --depth 1 -- \
		sh -c 'while IFS= read -r l; do read -r _ <"$0"; ulimit -Sn; done' "$T/gate" \
		<"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	PP_PID=$!
	BG_PIDS+=("$PP_PID")
	wait_for 60 vlog_count_at_least 200 'started \([0-9]+ alive, slot [0-9]+\)'
	exec 5>"$T/gate"
	seq 200 >&5
	pp_wait
	exec 5>&-
	assert_status 0
	assert_vlog_count 200 'started \([0-9]+ alive, slot [0-9]+\)'
	run sort -u "$T/out"
	assert_output 128
	run grep -vE ' worker [0-9]+ ' "$T/err"
	assert_output ""
}

@test "ulimit -n 128 (hard too), -j 200: one message, the run goes on with the workers that fit" {
	seq 300 >"$T/in"
	run --separate-stderr bash -c 'ulimit -n 128 && exec "$@"' _ "$PROCPOOL" -k -j 200 --depth 1 \
		--stats-json "$T/s.json" -- "$WORKERS_BIN/sleepy" 0.01 <"$T/in"
	assert_success
	assert_equal "$stderr" "procpool: ulimit -n 128 allows about 54 workers; -j 200 cannot be reached"
	assert_output "$(seq 300)"
	run jq '.workers.peak <= 54 and .workers.peak >= 2' "$T/s.json"
	assert_output true
}

# Prints to stderr the pipe buffer size of the pipe on fd $1 (Linux's
# F_GETPIPE_SZ, 1032: Python's fcntl names it only from 3.10 on).
pipe_size_py='import fcntl, sys; print(fcntl.fcntl(int(sys.argv[1]), 1032), file=sys.stderr)'

@test "stdin and stdout pipes are grown to 1 MiB, so the processes beside procpool move more a wake-up" {
	[ "$(uname -s)" = Linux ] || skip "F_SETPIPE_SZ is Linux's"
	# The writer asks for the size of its end once procpool has answered
	# the first line (it has set up its input and output by then); the
	# reader once the output has ended.
	run --separate-stderr bash -c '
		{ echo a
		  until [ -s "$4/first" ]; do sleep 0.05; done
		  python3 -c "$3" 1 2>"$4/in.size"
		  echo b
		} | "$1" -k -- "$2" | { IFS= read -r x; echo "$x" >"$4/first"; cat; python3 -c "$3" 0 2>&1; }
	' _ "$PROCPOOL" "$WORKERS_BIN/upper" "$pipe_size_py" "$T"
	assert_success
	assert_output $'B\n1048576'
	assert_file_content "$T/in.size" '1048576\n'
	assert_file_content "$T/first" 'A\n'
	assert_equal "$stderr" ""
}

@test "a pipe already larger than 1 MiB is left as it is" {
	[ "$(uname -s)" = Linux ] || skip "F_SETPIPE_SZ is Linux's"
	# The reader holds the FIFO open (read-write: it does not wait for a
	# writer), at 4 MiB, before procpool opens it.
	mkfifo "$T/fifo"
	python3 -c '
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.fcntl(fd, 1031, 4 << 20)
except PermissionError:
    open(sys.argv[2] + ".refused", "w").close()
    sys.exit()
open(sys.argv[2], "w").close()
data = b""
while not data.endswith(b"\n"):
    data += os.read(fd, 65536)
print(data.decode(), fcntl.fcntl(fd, 1032))
' "$T/fifo" "$T/ready" >"$T/got" &
	local reader=$!
	until [ -e "$T/ready" ] || [ -e "$T/ready.refused" ]; do sleep 0.05; done
	if [ -e "$T/ready.refused" ]; then
		wait "$reader"
		skip "a pipe over pipe-max-size needs CAP_SYS_RESOURCE"
	fi
	run --separate-stderr bash -c 'printf "a\n" | "$1" -- "$2" >"$3"' _ "$PROCPOOL" "$WORKERS_BIN/upper" "$T/fifo"
	wait "$reader"
	assert_success
	assert_file_content "$T/got" 'A\n 4194304\n'
	assert_equal "$stderr" ""
}
