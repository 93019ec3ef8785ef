#!/usr/bin/env bats
# --progress on a real terminal (a tmux pane), with procpool's messages
# (failures, -v, SIGUSR1 statistics) and the results on the same terminal:
# every line on the screen is one thing, never a progress line with a
# message or a result glued to it, and the progress line fits the pane's
# width, which is read again when the pane is resized.

load '../helper'

# A perl worker: 100 ms per task, answers in upper case; "fail" exits 3.
WORKER=(perl -ne 'BEGIN { $| = 1 } select(undef, undef, undef, 0.1); exit 3 if /^fail$/; print uc')

# The helper's teardown, after the tmux server and what runs in it.
eval "helper_$(declare -f teardown)"
teardown() {
	tmux -S "$T/tmux.sock" kill-server 2>/dev/null || true
	if [[ -s $T/pid ]]; then kill -KILL "$(cat "$T/pid")" 2>/dev/null || true; fi
	helper_teardown
}

# in_tmux COLS ARG...: procpool ARG... in a detached tmux pane COLS wide,
# stdin from $T/in, stdout and stderr on the pane. Its pid goes to $T/pid,
# its exit status to $T/status; the pane stays open after it for capture.
in_tmux() {
	local cols=$1
	shift
	{
		printf '%q ' "$PROCPOOL" "$@"
		printf '<%q &\n' "$T/in"
		printf 'echo $! >%q\nwait $!\necho $? >%q\nexec sleep 600\n' "$T/pid" "$T/status"
	} >"$T/run.sh"
	tmux -f /dev/null -S "$T/tmux.sock" new-session -d -x "$cols" -y 20 "bash $T/run.sh"
}

# rows [-J]: the pane's lines, history included, without trailing blanks
# (-J keeps those), blank lines left out; with -J a line the terminal
# wrapped is one line.
rows() {
	tmux -S "$T/tmux.sock" capture-pane -p -S - "$@" | sed 's/ *$//' | grep -v '^$' || true
}

# pane_has REGEX: a line on the pane (wrapped lines joined) matches.
pane_has() {
	rows -J | grep -qE "$1"
}

# tmux_ended REGEX: procpool has exited and the pane's last line matches.
tmux_ended() {
	[[ -s $T/status ]] && rows -J | tail -1 | grep -qE "$1"
}

# one_progress_row REGEX MAX: besides results, the pane holds exactly one
# line, the progress line, which matches REGEX and is at most MAX wide.
one_progress_row() {
	local other
	other=$(rows | grep -vE '^TASK [0-9]+$')
	[[ $other != *$'\n'* ]] && grep -qE "$1" <<<"$other" && ((${#other} <= $2))
}

@test "a terminal: failures, -v lines, SIGUSR1 statistics and results each on their own line" {
	local i
	for i in $(seq 30); do
		if ((i % 7)); then echo "task $i"; else echo fail; fi
	done >"$T/in"
	in_tmux 50 -v -j 2 --depth 1 --total 30 --progress -- "${WORKER[@]}"
	wait_for 30 pane_has '^TASK 5$'
	kill -USR1 "$(cat "$T/pid")"
	wait_for 60 tmux_ended '^30/30 tasks'
	assert_equal "$(cat "$T/status")" 4
	rows -J >"$T/screen"
	# Every line is a result, a message, or the one progress line, the last.
	local stamp='[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}'
	run grep -cvE "^(TASK [0-9]+|procpool: record (7|14|21|28): worker [0-9]+ exited with status 3; input 'fail'|procpool: $stamp worker [0-9]+ (started \([12] alive, slot [01]\)|exited with status [03]|ready after [0-9.]+(us|ms|s) \((answered|read its input)\))|procpool: statistics so far|  (tasks|time|latency|queued|workers|start-up) .+)\$" "$T/screen"
	assert_output 1
	run tail -1 "$T/screen"
	assert_output --regexp '^30/30 tasks \(100%\), [0-9]+/s, 4 failed$'
	run grep -c '/30 tasks' "$T/screen"
	assert_output 1
	grep '^TASK ' "$T/screen" >"$T/results"
	grep -v fail "$T/in" | tr a-z A-Z >"$T/expected"
	assert_same_multiset "$T/expected" "$T/results"
	run grep -cE '^procpool: record [0-9]+: ' "$T/screen"
	assert_output 4
	run grep -cE "^procpool: $stamp worker [0-9]+ exited with status 3\$" "$T/screen"
	assert_output 4
	run grep -A6 '^procpool: statistics so far$' "$T/screen"
	assert_line --index 1 --regexp '^  tasks     [0-9]+ ok, [0-4] failed, 0 retried, 0 skipped, 0 not run \([0-9]+ read\)$'
	assert_line --index 6 --regexp '^  start-up  median '
}

@test "a 40-column terminal: the progress line stays one line, among results" {
	seq 24 | sed 's/^/task /' >"$T/in"
	in_tmux 40 -j 1 --total 24 --progress -- "${WORKER[@]}"
	# The least important parts make way: one line, at most 39 wide.
	wait_for 30 one_progress_row '^[0-9]+/24 tasks \([0-9]+%\), ([0-9]+/s, )?ETA ' 39
	run one_progress_row 'workers busy' 200
	assert_failure
	wait_for 60 tmux_ended '^24/24 tasks'
	assert_equal "$(cat "$T/status")" 0
	run one_progress_row '^24/24 tasks \(100%\), [0-9]+/s, 0 failed$' 39
	assert_success
	seq 24 | sed 's/^/TASK /' >"$T/expected"
	rows | grep -v '^24/24' >"$T/results"
	assert_files_equal "$T/expected" "$T/results"
}

@test "a terminal resized wider: the next progress line has the room" {
	seq 60 | sed 's/^/task /' >"$T/in"
	in_tmux 40 -j 1 --total 60 --progress -- "${WORKER[@]}"
	wait_for 30 one_progress_row '^[0-9]+/60 tasks \([0-9]+%\), ([0-9]+/s, )?ETA ' 39
	tmux -S "$T/tmux.sock" resize-window -x 120
	wait_for 30 one_progress_row '^[0-9]+/60 tasks \([0-9]+%\), [0-9]+/s, ETA [^,]+, 0 failed, 1/1 workers busy$' 119
}
