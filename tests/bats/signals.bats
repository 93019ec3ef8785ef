#!/usr/bin/env bats
# Signals besides stopping: those ignored at start stay ignored (nohup, a
# script's '&'), job control stops the workers with procpool (^Z) and does
# not charge the time stopped, and SIGUSR2 replaces every worker.

load '../helper'

# out_has_lines N: $T/out has at least N lines.
out_has_lines() {
	[[ -e $T/out ]] && (($(wc -l <"$T/out") >= $1))
}

# sig_ignored PID SIG: bit SIG of PID's SigIgn mask is set.
sig_ignored() {
	local mask
	mask=$(awk '/^SigIgn:/ {print $2}' "/proc/$1/status")
	(((0x$mask >> ($2 - 1)) & 1))
}

@test "under nohup, SIGHUP does not stop procpool" {
	seq 20 >"$T/in"
	nohup "$PROCPOOL" -k -j2 --depth 1 -- "$WORKERS_BIN/sleepy" 0.1 <"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	PP_PID=$!
	BG_PIDS+=("$PP_PID")
	wait_for 20 out_has_lines 2
	sig_ignored "$PP_PID" 1 || fail "procpool does not ignore SIGHUP under nohup"
	kill -HUP "$PP_PID"
	pp_wait
	assert_status 0
	assert_files_equal "$T/in" "$T/out"
}

@test "started with SIGINT ignored (a script's background job), SIGINT does not stop it" {
	seq 20 >"$T/in"
	sh -c 'trap "" INT; exec "$@"' sh "$PROCPOOL" -k -j2 --depth 1 -- "$WORKERS_BIN/sleepy" 0.1 \
		<"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	PP_PID=$!
	BG_PIDS+=("$PP_PID")
	wait_for 20 out_has_lines 2
	sig_ignored "$PP_PID" 2 || fail "procpool does not keep SIGINT ignored"
	kill -INT "$PP_PID"
	pp_wait
	assert_status 0
	assert_files_equal "$T/in" "$T/out"
	assert_stderr_empty
}

# ---- job control, on a terminal (tmux) ----------------------------------

# workers_stopped N: N python workers exist and every one is stopped (T).
workers_stopped() {
	local states
	states=$(ps -o stat= --ppid "$(cat "$T/pid")")
	[[ $(grep -c . <<<"$states") -ge $1 && -z $(grep -v '^T' <<<"$states") ]]
}

# workers_running: no worker is stopped.
workers_running() {
	[[ -z $(ps -o stat= --ppid "$(cat "$T/pid")" | grep '^T') ]]
}

@test "^Z stops the workers with procpool; fg continues them; the stop is not charged to --timeout" {
	command -v tmux >/dev/null || skip "tmux is not installed"
	seq 6 >"$T/in"
	# Each task takes 1.5s of a 2.5s --timeout: a 3s stop charged to it
	# would fail it.
	cat >"$T/run" <<EOF
echo \$\$ >"$T/shell"
"$PROCPOOL" -k -j2 --depth 1 --timeout 2.5s -- python3 -u -c '
import sys, time
for line in sys.stdin:
    t = time.time()
    while time.time() - t < 1.5:
        time.sleep(0.05)
    print(line.strip(), flush=True)' <"$T/in" >"$T/out" 2>"$T/err" &
echo \$! >"$T/pid"
fg >/dev/null
EOF
	tmux -L "pp$$" new-session -d -x 80 -y 10 "bash --norc -i"
	tmux -L "pp$$" send-keys "set -m; . $T/run" Enter
	wait_for 20 test -s "$T/pid"
	wait_for 20 has_two_children
	sleep 0.5
	tmux -L "pp$$" send-keys C-z
	wait_for 10 workers_stopped 2
	local before
	before=$(wc -l <"$T/out")
	sleep 3
	assert_equal "$(wc -l <"$T/out")" "$before"
	workers_stopped 2 || fail "a worker ran on while procpool was stopped"
	tmux -L "pp$$" send-keys "fg >/dev/null; echo \$? >$T/status" Enter
	wait_for 10 workers_running
	wait_for 30 test -s "$T/status"
	tmux -L "pp$$" kill-server
	assert_equal "$(cat "$T/status")" 0
	assert_files_equal "$T/in" "$T/out"
	assert_stderr_empty
}

has_two_children() {
	(($(ps -o pid= --ppid "$(cat "$T/pid")" | wc -l) >= 2))
}

# ---- rolling restart ------------------------------------------------------

@test "SIGUSR2 during 1,000 tasks: every result exactly once, every worker replaced" {
	seq 1000 >"$T/in"
	pp_bg "$T/in" -v -k -j3 --depth 1 -- "$WORKERS_BIN/sleepy" 0.005
	wait_for 20 out_has_lines 100
	local before
	before=$(vlog_pids 'started \([0-9]+ alive, slot [0-9]+\)' | sort)
	kill -USR2 "$PP_PID"
	pp_wait
	assert_status 0
	assert_files_equal "$T/in" "$T/out"
	local replaced
	replaced=$(vlog_pids 'to be replaced \([0-9]+ tasks held\)' | sort)
	assert_equal "$replaced" "$before"
	(($(vlog_count 'started \([0-9]+ alive, slot [0-9]+\)') >= 6)) || fail "no new workers: $(cat "$T/err")"
	# The pool never had more than -j workers taking tasks, plus those closing.
	run grep -E 'record|broke|keeps' "$T/err"
	assert_output ''
}

@test "SIGUSR2 runs COMMAND afresh: a new executable on disk is picked up" {
	printf '#!/bin/sh\nwhile read -r l; do echo "v1 $l"; done\n' >"$T/worker"
	chmod +x "$T/worker"
	mkfifo "$T/fifo"
	pp_bg "$T/fifo" -v -k -j2 -- "$T/worker"
	local w
	exec {w}>"$T/fifo"
	echo a >&"$w"
	wait_for 20 out_has_lines 1
	printf '#!/bin/sh\nwhile read -r l; do echo "v2 $l"; done\n' >"$T/worker.new"
	chmod +x "$T/worker.new"
	mv "$T/worker.new" "$T/worker"
	kill -USR2 "$PP_PID"
	wait_for 20 vlog_count_at_least 2 'started \([0-9]+ alive, slot [0-9]+\)'
	echo b >&"$w"
	exec {w}>&-
	pp_wait
	assert_status 0
	assert_file_content "$T/out" 'v1 a\nv2 b\n'
}
