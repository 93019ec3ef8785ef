#!/usr/bin/env bats
# Workers over ssh, through the private sshd instances of tests/sshd.bash
# (fake hosts on 127.0.0.2, 127.0.0.3, ...), with ssh as procpool's
# COMMAND: what today's procpool does when the worker is remote, and
# proof that the fixture works for the tests of remote workers to come.
# Skipped unless run as root with openssh-server installed.
# shellcheck disable=SC2016 # remote commands expand on the remote side

load '../helper'
load '../sshd'

# A remote worker: echoes each task, answers "who" with its pid, and sits on
# "hang" (busy, not reading) for 5 minutes.
HANG_WORKER='while read -r l; do case $l in hang) sleep 300;; who) echo $$;; *) echo "$l";; esac; done'

out_has_lines() {
	(($(wc -l <"$T/out") >= $1))
}

# assert_err_lines REGEX...: $T/err has exactly one line per REGEX (ERE),
# in order, each matching its REGEX whole.
assert_err_lines() {
	local lines i
	mapfile -t lines <"$T/err"
	((${#lines[@]} == $#)) ||
		fail "expected $# stderr lines, got ${#lines[@]}:
$(cat "$T/err")"
	for ((i = 1; i <= $#; i++)); do
		[[ ${lines[i - 1]} =~ ^(${!i})$ ]] ||
			fail "stderr line $i: '${lines[i - 1]}' does not match '${!i}'"
	done
}

@test "fixture: each fake host has its own sshd config; other addresses are refused" {
	sshd_start 127.0.0.2
	sshd_start 127.0.0.3 'ForceCommand echo noise; eval "$SSH_ORIGINAL_COMMAND"'
	run -0 ssh -F "$SSH_CONFIG" 127.0.0.2 'echo "$(id -un) $SHELL"'
	assert_output "$SSHD_USER /bin/sh"
	run -0 ssh -F "$SSH_CONFIG" 127.0.0.3 echo hello
	assert_output $'noise\nhello'
	# No sshd there: refused at once, a host that is down.
	run -255 ssh -F "$SSH_CONFIG" 127.0.0.9 true
	# ssh ends its own messages with CR LF.
	assert_output $'ssh: connect to host 127.0.0.9 port 1: Connection refused\r'
	# Not loopback: refused before any packet leaves.
	run -255 ssh -F "$SSH_CONFIG" 192.0.2.1 true
	assert_line --index 0 'tests/sshd.bash: 192.0.2.1 is not a loopback address'
}

@test "ssh as COMMAND: -k -j2 through a remote cat gives 3000 records back byte for byte" {
	sshd_start 127.0.0.2
	# Any byte but newline and NUL: CR, controls and 0x80-0xff included.
	gen 11 3000 bytes >"$T/in"
	ppio "$T/in" -k -j2 -- ssh -F "$SSH_CONFIG" 127.0.0.2 cat
	assert_status 0
	assert_stderr_empty
	assert_files_equal "$T/in" "$T/out"
}

@test "a worker that appends \$SSH_CONNECTION ran on 127.0.0.2, at its sshd's port" {
	sshd_start 127.0.0.2
	seq 20 >"$T/in"
	ppio "$T/in" -k -j2 -- ssh -F "$SSH_CONFIG" 127.0.0.2 'exec sed -u "s/\$/ $SSH_CONNECTION/"'
	assert_status 0
	assert_stderr_empty
	# SSH_CONNECTION: client address and port, server address and port.
	sed -E 's/ 127\.0\.0\.1 [0-9]+ / CLIENT /' "$T/out" >"$T/actual"
	seq 20 | sed "s/\$/ CLIENT 127.0.0.2 $(sshd_port 127.0.0.2)/" >"$T/expected"
	assert_files_equal "$T/expected" "$T/actual"
}

@test "two hosts each serve one run: every result tagged with the host that made it" {
	sshd_start_hosts 2
	seq 3000 >"$T/in"
	# -m 2 starts both workers at launch: the first takes 127.0.0.2, the other 127.0.0.3.
	local pick='if mkdir "$0/took-2" 2>/dev/null; then h=127.0.0.2; else h=127.0.0.3; fi; exec ssh -F "$1" "$h" "$2"'
	ppio "$T/in" -k -j2 -m2 -- sh -c "$pick" "$T" "$SSH_CONFIG" 'set -- $SSH_CONNECTION; exec sed -u "s/^/$3 /"'
	assert_status 0
	assert_stderr_empty
	cut -d' ' -f2- "$T/out" >"$T/records"
	assert_files_equal "$T/in" "$T/records"
	local n2 n3
	n2=$(grep -c '^127\.0\.0\.2 ' "$T/out" || true)
	n3=$(grep -c '^127\.0\.0\.3 ' "$T/out" || true)
	((n2 > 0 && n3 > 0 && n2 + n3 == 3000)) ||
		fail "127.0.0.2 made $n2 results, 127.0.0.3 made $n3, of 3000"
}

@test "a host stopped mid-run: ssh exits 255; the held task fails, refused replacements are a crash loop" {
	sshd_start 127.0.0.2
	{ seq 5; echo hang; seq 6 8; } >"$T/in"
	pp_bg "$T/in" -k -j1 -- ssh -F "$SSH_CONFIG" 127.0.0.2 "$HANG_WORKER"
	wait_for 20 out_has_lines 5
	local worker port pids pid
	worker=$(pgrep -P "$PP_PID")
	port=$(sshd_port 127.0.0.2)
	pids=$(sshd_pids 127.0.0.2)
	sshd_stop 127.0.0.2
	for pid in $pids; do
		pid_is_gone "$pid" || fail "process $pid of the stopped host remains"
	done
	pp_wait
	# No notion of a host yet: each replacement ssh is refused before it
	# reads a task (a start failure: no task is charged), and five in a row
	# are a crash loop. Records 7-9 ('6'-'8') are not run.
	assert_status 124
	seq 5 >"$T/expected"
	assert_files_equal "$T/expected" "$T/out"
	# ssh's own messages end with CR LF; procpool passes them on as they are.
	local refused="ssh: connect to host 127\.0\.0\.2 port $port: Connection refused"$'\r'
	assert_err_lines \
		'Connection to 127\.0\.0\.2 closed by remote host\.'$'\r' \
		"procpool: record 6: worker $worker exited with status 255; input 'hang'" \
		"$refused" "$refused" "$refused" "$refused" "$refused" \
		"procpool: 'ssh' keeps dying before answering \(5 workers in a row, the last exited with status 255\); giving up" \
		"procpool: 3 tasks read but not run"
}

@test "a frozen host is found dead by ssh's keepalives (1s x 2) within 20s, and answers again once thawed" {
	local w start
	sshd_start 127.0.0.2
	mkfifo "$T/fifo"
	pp_bg "$T/fifo" -k -j1 -- ssh -F "$SSH_CONFIG" -o ServerAliveInterval=1 -o ServerAliveCountMax=2 127.0.0.2 cat
	exec {w}>"$T/fifo"
	seq 100 >&"$w"
	wait_for 20 out_has_lines 100
	sshd_freeze 127.0.0.2
	start=$SECONDS
	echo last >&"$w"
	exec {w}>&-
	wait_for 20 pid_is_gone_or_zombie "$PP_PID"
	echo "# found dead after $((SECONDS - start))s"
	pp_wait
	assert_status 1
	seq 100 >"$T/expected"
	assert_files_equal "$T/expected" "$T/out"
	assert_err_lines \
		'Timeout, server 127\.0\.0\.2 not responding\.'$'\r' \
		"procpool: record 101: worker [0-9]+ exited with status 255; input 'last'"
	sshd_thaw 127.0.0.2
	run -0 ssh -F "$SSH_CONFIG" 127.0.0.2 echo back
	assert_output back
}

@test "procpool SIGKILLed: its ssh dies with it, the busy remote worker lives on (today's behaviour)" {
	local worker remote
	sshd_start 127.0.0.2
	printf 'who\nhang\n' >"$T/in"
	pp_bg "$T/in" -k -j1 -- ssh -F "$SSH_CONFIG" 127.0.0.2 "$HANG_WORKER"
	wait_for 20 out_has_lines 1
	remote=$(<"$T/out")
	worker=$(pgrep -P "$PP_PID")
	kill -KILL "$PP_PID"
	pp_wait
	assert_status 137
	# The parent-death signal ends the local ssh; its sshd session ends then too.
	wait_for 10 pid_is_gone_or_zombie "$worker"
	remote_is_orphan() { [[ $(sshd_orphans 127.0.0.2) == "$remote" ]]; }
	wait_for 10 remote_is_orphan
	# ssh forwards no signal and the worker is not reading: nothing tells it.
	[[ $(ps -o stat= -p "$remote" || true) == [^Z]* ]] || fail "the remote worker $remote exited"
	[[ $(ps -o comm= --ppid "$remote") == sleep ]] || fail "the remote worker's task is gone"
	# The fixture's stop reaches such orphans too.
	sshd_stop 127.0.0.2
	pid_is_gone "$remote" || fail "the remote worker $remote survived sshd_stop"
}
