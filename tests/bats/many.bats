#!/usr/bin/env bats
# A thousand workers: every task exactly once, failures mixed in; a COMMAND
# that cannot run still fails at once; every worker of the pool serves.
# Correctness only: bounds are generous, nothing here times speed.

load '../helper'

STARTED='started \([0-9]+ alive, slot [0-9]+\)'

@test "-j 1000, 10 ms tasks: -k gives every record once, with crashes and hangs retried elsewhere" {
	mkdir "$T/seen"
	seq 10000 | awk '$1 == 777 || $1 == 3333 || $1 == 8888 { print "crash:" $1; next }
		$1 == 5000 || $1 == 9999 { print "hang:" $1; next } { print }' >"$T/in"
	ppio "$T/in" -k -j 1000 --timeout 3s --retries 1 -- "$WORKERS_BIN/f_many" "$T/seen"
	assert_status 0
	assert_files_equal "$T/in" "$T/out"
	# One line per failed first attempt, each naming its record.
	run -0 grep -c 'killed by signal SIGSEGV; retrying (attempt 2 of 2)' "$T/err"
	assert_output 3
	run -0 grep -c 'timed out after 3s .*retrying (attempt 2 of 2)' "$T/err"
	assert_output 2
	run -0 sed -n 's/^procpool: record \([0-9]*\):.*/\1/p' "$T/err"
	assert_equal "$(sort -n <<<"$output" | tr '\n' ' ')" '777 3333 5000 8888 9999 '
}

@test "-j 1000, as many tasks that wait: 1000 workers each serve one, every slot used once" {
	# Each worker holds its task until it reads a line from the FIFO gate,
	# which opens once all 1000 have read theirs (-v says "ready" then), so
	# none is free for a second task before every one holds one.
	mkfifo "$T/gate"
	seq 1000 >"$T/in"
	"$PROCPOOL" -v -j 1000 --depth 1 -- \
		sh -c 'while IFS= read -r l; do read -r _ <"$0"; echo "$PROCPOOL_SLOT"; done' "$T/gate" \
		<"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	PP_PID=$!
	BG_PIDS+=("$PP_PID")
	wait_for 60 vlog_count_at_least 1000 'ready after .* \(read its input\)'
	exec 5>"$T/gate"
	seq 1000 >&5
	pp_wait
	exec 5>&-
	assert_status 0
	assert_vlog_count 1000 "$STARTED"
	seq 0 999 >"$T/slots"
	assert_same_multiset "$T/slots" "$T/out"
}

@test "-j 1000, COMMAND not found: exit 127 with one message, no worker started, nothing out" {
	seq 5000 >"$T/in"
	ppio "$T/in" -v -j 1000 -- "$T/no-such-command"
	assert_status 127
	assert_file_content "$T/err" "procpool: cannot run '%s': No such file or directory\n" \
		"$T/no-such-command"
	assert_file_content "$T/out" ''
}

@test "COMMAND not executable at -j 1000: exit 126, one message" {
	seq 5000 >"$T/in"
	ppio "$T/in" -j 1000 -- /etc/passwd
	assert_status 126
	assert_file_content "$T/err" "procpool: cannot run '/etc/passwd': Permission denied\n"
}
