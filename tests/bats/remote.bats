#!/usr/bin/env bats
# Workers over ssh, through the private sshd instances of tests/sshd.bash
# (fake hosts on 127.0.0.2, 127.0.0.3, ...): first with ssh as procpool's
# COMMAND (procpool knows no host then), then procpool's own connections
# driven by tests/drivers/remote.c, then hosts as members of the pool (-S).
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

# With ssh as COMMAND, a SIGKILLed procpool's ssh dies with it (the
# parent-death signal), but the busy remote worker lives on: ssh forwards no
# signal and the worker is not reading. With -S the watchdog ends it.
@test "procpool -S SIGKILLed: its masters die with it, and the watchdog ends the busy remote worker within 5s" {
	local remote start
	sshd_start 127.0.0.2
	printf 'who\nhang\n' >"$T/in"
	TMPDIR=$T pp_bg "$T/in" -k --ssh "ssh -F $SSH_CONFIG" -S 1/127.0.0.2 -- sh -c "$HANG_WORKER"
	wait_for 20 out_has_lines 1
	remote=$(<"$T/out")
	wait_for 10 child_sleeps "$remote"
	kill -KILL "$PP_PID"
	pp_wait
	assert_status 137
	start=$SECONDS
	wait_for 5 pid_is_gone_or_zombie "$remote"
	echo "# the remote worker was gone after $((SECONDS - start))s" >&3
	wait_for 10 no_orphans 127.0.0.2
}

# --- procpool's own connections: the host, remote and master modules ----
# Driven by build/tests/remote-driver (tests/drivers/remote.c) as the pool
# will drive them; its commands and events are listed at its top.

: "${REMOTE_DRIVER:=$(dirname "$WORKERS_BIN")/remote-driver}"

# drv_start ARG...: the driver in the background, reaching the fake hosts
# through $SSH_CONFIG (or $DRV_SSH); commands go in with drv, events come
# out in $T/drv. Its private directory goes in $T: a driver killed leaves
# it behind.
drv_start() {
	[[ -x $REMOTE_DRIVER ]] || fail "remote-driver not found at $REMOTE_DRIVER (build first)"
	mkfifo "$T/drv.in"
	TMPDIR=$T "$REMOTE_DRIVER" --ssh "${DRV_SSH:-ssh -F $SSH_CONFIG}" "$@" <"$T/drv.in" \
		>"$T/drv" 2>"$T/drv.err" 3>&- &
	DRV_PID=$!
	BG_PIDS+=("$DRV_PID")
	exec {DRV_FD}>"$T/drv.in"
}

drv() {
	printf '%s\n' "$*" >&"$DRV_FD"
}

drv_has() {
	grep -Eq -- "$1" "$T/drv"
}

# drv_wait ERE [SECS]: until an event line matches ERE.
drv_wait() {
	wait_for "${2:-20}" drv_has "$1" || fail "no event /$1/ in:
$(cat "$T/drv")
stderr: $(cat "$T/drv.err")"
}

# drv_quit: quit and wait for the driver; its directory must be gone.
drv_quit() {
	drv quit
	exec {DRV_FD}>&-
	wait_for 30 pid_is_gone_or_zombie "$DRV_PID"
	wait "$DRV_PID" || fail "remote-driver exited with status $?: $(cat "$T/drv.err")"
	drv_wait '^quit /.+ gone$'
}

# drv_field S N: field N of session S's start event
# ("session S start RPID CPUS MS conn C": 4 RPID, 5 CPUS, 6 MS, 8 C).
drv_field() {
	awk -v s="$1" -v n="$2" '$1 == "session" && $2 == s && $3 == "start" { print $n; exit }' "$T/drv"
}

# accepted ADDR: logins the host's sshd accepted (one per connection).
accepted() {
	grep -c 'Accepted publickey' "$SSHD_DIR/$1/log" || true
}

# A remote worker that echoes; "who" answers its pid and $SSH_CONNECTION,
# "hang" keeps it busy (not reading) for 5 minutes.
DRV_WORKER='sh -c "while read -r l; do case \$l in hang) sleep 300;; who) echo \$\$ \$SSH_CONNECTION;; *) echo \"\$l\";; esac; done"'

@test "over a master: one login for six sessions, each started in tens of ms, the directory removed" {
	local i ms=() conn
	sshd_start 127.0.0.2
	drv_start -S 127.0.0.2
	for i in 0 1 2 3 4 5; do
		drv "start 0 $DRV_WORKER"
		drv_wait "^session $i start "
		ms+=("$(drv_field "$i" 6)")
	done
	echo "# start-up over the master (ms): ${ms[*]}" >&3
	for i in 0 1 2 3 4 5; do
		drv "send $i who"
	done
	drv_wait '^session 5 line '
	for i in 0 1 2 3 4 5; do
		drv_wait "^session $i line "
	done
	# One TCP connection: the same client port in every $SSH_CONNECTION.
	conn=$(awk '$3 == "line" { print $5, $6, $7, $8 }' "$T/drv" | sort -u)
	[[ $(wc -l <<<"$conn") == 1 && $conn == "127.0.0.1 "*" 127.0.0.2 $(sshd_port 127.0.0.2)" ]] ||
		fail "sessions came over more than one connection: $conn"
	(($(accepted 127.0.0.2) == 1)) || fail "$(accepted 127.0.0.2) logins for one master"
	# The first marker reported the host's CPUs; the others were not asked.
	[[ $(drv_field 0 5) == "$(nproc)" && $(drv_field 1 5) == 0 ]] ||
		fail "cpus: $(drv_field 0 5), $(drv_field 1 5)"
	for i in 1 2 3 4 5; do
		((ms[i] < 2000)) || fail "session $i took ${ms[i]} ms to start over the master"
	done
	drv_quit
	for i in 0 1 2 3 4 5; do
		drv_wait "^session $i exit 0$"
	done
}

@test "a run that dies (log_die's exit) stops its master and removes the masters' directory on the way out" {
	local dir mpid
	sshd_start 127.0.0.2
	drv_start -S 127.0.0.2
	drv "start 0 $DRV_WORKER"
	drv_wait "^session 0 start "
	drv_wait "^master 0 ready "
	mpid=$(awk '$1 == "master" && $3 == "ready" { print $4; exit }' "$T/drv")
	drv die
	drv_wait '^die /'
	dir=$(awk '$1 == "die" { print $2 }' "$T/drv")
	exec {DRV_FD}>&-
	wait_for 30 pid_is_gone_or_zombie "$DRV_PID"
	local st=0
	wait "$DRV_PID" || st=$?
	((st == 3)) || fail "remote-driver exited with status $st: $(cat "$T/drv.err")"
	[[ ! -e $dir ]] || fail "$dir was left: $(ls -la "$dir")"
	wait_for 10 pid_is_gone_or_zombie "$mpid" || fail "master $mpid still runs"
}

@test "MaxSessions 2 and MaxStartups 2:100:2: refused sessions teach the limit, masters connect one at a time, all seven run" {
	local i n
	sshd_start 127.0.0.2 'MaxSessions 2' 'MaxStartups 2:100:2'
	drv_start -S 127.0.0.2
	for i in 0 1 2 3 4 5 6; do
		drv "start 0 $DRV_WORKER"
	done
	for i in 0 1 2 3 4 5 6; do
		drv_wait "^session $i start " 60
		drv "send $i who"
	done
	for i in 0 1 2 3 4 5 6; do
		drv_wait "^session $i line [0-9]+ 127\.0\.0\.1 "
	done
	drv_has '^session [0-9]+ refused 2$' || fail "no session was refused: $(cat "$T/drv")"
	drv hosts
	drv_wait '^host 0 masters '
	# A master takes one worker then (its second session is kept for
	# signals): at least four masters, every one a login of its own, and
	# no session that went around them (ssh's silent direct fallback).
	n=$(awk '$1 == "host" { print $4 }' "$T/drv")
	drv_has '^host 0 masters [0-9]+ ready [0-9]+ limit 2 ' || fail "$(grep '^host' "$T/drv")"
	((n >= 4 && $(accepted 127.0.0.2) == n)) ||
		fail "$n masters, $(accepted 127.0.0.2) logins: $(cat "$T/drv")"
	local ports
	ports=$(awk '$3 == "line" { print $6 }' "$T/drv" | sort -u | wc -l)
	((ports == n)) || fail "sessions came over $ports connections, not the $n masters"
	! drv_has '(gone|failed|down)' || fail "$(cat "$T/drv")"
	! grep -q 'Connection reset\|kex_exchange' "$T/drv.err" "$SSHD_DIR/127.0.0.2/log" ||
		fail "a handshake was dropped: $(cat "$SSHD_DIR/127.0.0.2/log")"
	drv_quit
}

# no_orphans ADDR: no process of the host outlived its session.
no_orphans() {
	[[ -z $(sshd_orphans "$1") ]]
}

# remote_pid S: session S's remote worker, from its marker.
remote_pid() {
	drv_field "$1" 4
}

# hang S: send "hang" to session S and wait until its worker sleeps in it.
hang() {
	local pid
	pid=$(remote_pid "$1")
	drv "send $1 hang"
	wait_for 10 child_sleeps "$pid"
}

child_sleeps() {
	[[ $(ps -o comm= --ppid "$1") == *sleep* ]]
}

@test "the watchdog kills a busy remote worker within 5s of its connection's ssh being SIGKILLed, master or direct" {
	local pids start
	sshd_start 127.0.0.2
	drv_start -S 127.0.0.2
	drv "start 0 $DRV_WORKER"
	drv "start 0 $DRV_WORKER"
	drv "direct 0 $DRV_WORKER"
	drv_wait '^session 0 start .* conn /'
	drv_wait '^session 1 start .* conn /'
	drv_wait '^session 2 start .* conn direct$'
	hang 0
	hang 1
	hang 2
	pids="$(remote_pid 0) $(remote_pid 1) $(remote_pid 2)"
	# The master dies: both sessions on it lose their connection.
	start=$SECONDS
	drv "mkill 0 9"
	drv "kill 2 9"
	for pid in $pids; do
		wait_for 5 pid_is_gone_or_zombie "$pid"
	done
	echo "# remote workers gone after $((SECONDS - start))s" >&3
	drv_wait '^master 0 gone ssh was killed by SIGKILL$'
	drv_wait '^session 2 exit SIGKILL$'
	# The watchdogs end themselves with their SIGKILL, 2s after the SIGTERM.
	wait_for 10 no_orphans 127.0.0.2
	drv_quit
}

@test "a session's own ssh SIGKILLed while its master lives: a signal session over the master ends the remote worker" {
	local pid
	sshd_start 127.0.0.2
	drv_start -S 127.0.0.2
	drv "start 0 $DRV_WORKER"
	drv "start 0 $DRV_WORKER"
	drv_wait '^session 1 start '
	hang 0
	pid=$(remote_pid 0)
	drv "kill 0 9"
	drv_wait "^session 0 signalled TERM $pid$"
	wait_for 5 pid_is_gone_or_zombie "$pid"
	# The other session and its master are untouched.
	drv "send 1 still"
	drv_wait '^session 1 line still$'
	drv_quit
	drv_wait '^session 1 exit 0$'
}

@test "the driver SIGKILLed: its masters die with it, and with them every remote worker" {
	local pids
	sshd_start_hosts 2
	drv_start -S 127.0.0.2,127.0.0.3
	drv "start 0 $DRV_WORKER"
	drv "start 1 $DRV_WORKER"
	drv_wait '^session 0 start '
	drv_wait '^session 1 start '
	hang 0
	hang 1
	pids="$(remote_pid 0) $(remote_pid 1)"
	[[ $(drv_field 0 8) == "$T"/procpool-*/0-0 ]] || fail "masters not in \$T: $(drv_field 0 8)"
	kill -KILL "$DRV_PID"
	for pid in $pids; do
		wait_for 5 pid_is_gone_or_zombie "$pid"
	done
	wait_for 10 no_orphans 127.0.0.2
	wait_for 10 no_orphans 127.0.0.3
}

@test "a noisy login: lines before the start marker are noise, never answers" {
	sshd_start 127.0.0.2 'ForceCommand echo noise; printf "no newline"; eval "$SSH_ORIGINAL_COMMAND"'
	drv_start -S 127.0.0.2
	drv "start 0 $DRV_WORKER"
	drv_wait '^session 0 start '
	drv "send 0 first"
	drv_wait '^session 0 line first$'
	run -0 grep '^session 0 \(noise\|line\)' "$T/drv"
	assert_output $'session 0 noise noise\nsession 0 noise no newline\nsession 0 line first'
	drv_quit
}

@test "quoting over ssh: the worker's argv arrives byte for byte" {
	local args=(plain 'two  words' '' "it's" '"dq"' '$HOME' '$(id)' '`id`' 'a;b' 'a|b&c' '*'
		'~' '=x' '-n' 'back\slash' "\\'\\" 'tab	in' $'caf\xc3\xa9 \xe6\x97\xa5' $'\x01\x7f\x80\xff'
		'{host}' '!x' '#c' '%s')
	local line='start 0 sh -c "for a; do printf %s \"\$a\" | od -An -tx1 | tr -d \" \n\"; echo .; done" sh' a
	for a in "${args[@]}"; do
		# For the driver's own words: single quotes, each ' as '\''.
		line+=" '${a//\'/\'\\\'\'}'"
	done
	sshd_start 127.0.0.2
	drv_start -S 127.0.0.2
	drv "$line"
	drv_wait '^session 0 exit 0$'
	awk '$3 == "line" { print $4 }' "$T/drv" >"$T/got"
	for a in "${args[@]}"; do
		printf %s "$a" | od -An -tx1 | tr -d ' \n'
		echo .
	done >"$T/want"
	assert_files_equal "$T/want" "$T/got"
	drv_quit
}

@test "a host that is down: its master fails with ssh's reason, the host is down, its sessions fail" {
	sshd_start 127.0.0.2
	drv_start -S 127.0.0.2,127.0.0.9
	drv "start 1 cat"
	drv "start 0 cat"
	drv_wait '^master 1 gone ssh: connect to host 127\.0\.0\.9 port 1: Connection refused$'
	drv_wait '^host 1 down ssh: connect to host 127\.0\.0\.9 port 1: Connection refused$'
	drv_wait '^session 0 failed host down$'
	drv_wait '^session 1 start '
	drv_quit
}

@test "a frozen host: its master's keepalives find it within 15s; thawed, a new master serves it" {
	local start
	sshd_start 127.0.0.2
	drv_start -S 127.0.0.2
	drv "start 0 cat"
	drv_wait '^session 0 start '
	sshd_freeze 127.0.0.2
	start=$SECONDS
	drv_wait '^master 0 gone Timeout, server 127\.0\.0\.2 not responding\.$' 15
	echo "# found dead after $((SECONDS - start))s" >&3
	drv_wait '^session 0 exit 255$'
	sshd_thaw 127.0.0.2
	run -0 ssh -F "$SSH_CONFIG" 127.0.0.2 echo back
	drv_quit
}

@test "an --ssh that sets its own ControlPath: the master is stopped with a message saying so" {
	sshd_start 127.0.0.2
	DRV_SSH="ssh -F $SSH_CONFIG -o ControlPath=$T/elsewhere" drv_start -S 127.0.0.2
	drv "start 0 cat"
	drv_wait '^master 0 gone its control socket is not where procpool put it \(does --ssh set ControlPath\?\)$'
	drv_wait '^session 0 failed host down$'
	drv_quit
}

# --- -S: hosts as members of the pool ------------------------------------

# hosts_io IN ARG...: ppio reaching the fake hosts, procpool's private
# directory in $T (so that a test can see it removed).
hosts_io() {
	local in=$1
	shift
	TMPDIR=$T ppio "$in" --ssh "ssh -F $SSH_CONFIG" "$@"
}

# hosts_bg IN ARG...: the same with pp_bg.
hosts_bg() {
	local in=$1
	shift
	TMPDIR=$T pp_bg "$in" --ssh "ssh -F $SSH_CONFIG" "$@"
}

# A worker that answers each task with the server address of its ssh
# connection ("here" on this machine), after a little work.
TAG_WORKER='set -- $SSH_CONNECTION; h=${3:-here}; while read -r l; do sleep 0.01; echo "$l $h"; done'

# served_by ADDR N: at least N results came from ADDR.
served_by() {
	(($(grep -c " ${1//./\\.}\$" "$T/out" || true) >= $2))
}

# served_after N ADDR: ADDR made a result for a record after N.
served_after() {
	awk -v n="$1" -v h="$2" '$1 > n && $2 == h { found = 1 } END { exit !found }' "$T/out"
}

err_has() {
	grep -Eq -- "$1" "$T/err"
}

# no_dir_left: procpool's private directory (in $T) was removed.
no_dir_left() {
	local left
	left=$(find "$T" -mindepth 1 -maxdepth 1 -name 'procpool-*' -print)
	[[ -z $left ]] || fail "left behind: $left $(ls -la "$left")"
}

@test "-S two hosts and : under -k: the direct run's output, every host served, and the joblog and --stats-json say where" {
	local h
	sshd_start_hosts 2
	seq 300 >"$T/in"
	ppio "$T/in" -k -j1 -- sh -c "$TAG_WORKER"
	assert_status 0
	cut -d' ' -f1 "$T/out" >"$T/direct"
	# -m5: every host's cap (1 here, the 2 CPUs of each fake host) at once.
	hosts_io "$T/in" -k -j1 -m5 --joblog "$T/jl" --stats --stats-json "$T/stats.json" \
		-S 127.0.0.2,127.0.0.3,: -- sh -c "$TAG_WORKER"
	assert_status 0
	cut -d' ' -f1 "$T/out" >"$T/records"
	assert_files_equal "$T/direct" "$T/records"
	assert_files_equal "$T/in" "$T/records"
	for h in 127.0.0.2 127.0.0.3 here; do
		served_by "$h" 1 || fail "no task ran on $h: $(cut -d' ' -f2 "$T/out" | sort | uniq -c)"
	done
	# The joblog's Host of each record is where its answer says it ran.
	awk -F'\t' 'NR > 1 { print $1, ($2 == ":" ? "here" : $2) }' "$T/jl" | sort -n >"$T/jl.hosts"
	assert_files_equal "$T/out" "$T/jl.hosts" "the joblog's hosts"
	jq -r '.hosts[] | "\(.host) \(.ok) \(.failed) \(.downs) \(.workers > 0)"' "$T/stats.json" \
		>"$T/stats.hosts"
	for h in 127.0.0.2 127.0.0.3 here; do
		echo "${h/here/:} $(grep -c " ${h//./\\.}\$" "$T/out") 0 0 true"
	done >"$T/expected"
	assert_files_equal "$T/expected" "$T/stats.hosts" "--stats-json's hosts"
	run -0 grep -cE '^  host      (127\.0\.0\.[23]|:): [0-9]+ ok, 0 failed, [0-9]+ workers, start-up median .*, down 0 times$' "$T/err"
	assert_output 3
	no_dir_left
}

@test "-S a host down from the start: the others do all the work, exit 0, and the host is named once" {
	sshd_start 127.0.0.2
	seq 200 >"$T/in"
	hosts_io "$T/in" -k -S 127.0.0.2,127.0.0.9 -- sh -c "$TAG_WORKER"
	assert_status 0
	sed 's/$/ 127.0.0.2/' "$T/in" >"$T/expected"
	assert_files_equal "$T/expected" "$T/out"
	assert_err_lines 'procpool: host 127\.0\.0\.9 is down: ssh: connect to host 127\.0\.0\.9 port 1: Connection refused; trying it again in 30s \(--host-retry\)'
}

@test "-S every host down: after --start-timeout the run gives up with 124, naming each host and its last error" {
	local refused='ssh: connect to host 127\.0\.0\.N port 1: Connection refused'
	sshd_init
	seq 5 >"$T/in"
	hosts_io "$T/in" --start-timeout 2s --host-retry 1s -S 127.0.0.8,127.0.0.9 -- cat
	assert_status 124
	# Both are tried at once: either may be found down first.
	assert_err_lines \
		"procpool: host 127\.0\.0\.[89] is down: ${refused/N/[89]}; trying it again in 1s \(--host-retry\)" \
		"procpool: host 127\.0\.0\.[89] is down: ${refused/N/[89]}; trying it again in 1s \(--host-retry\)" \
		"procpool: host 127\.0\.0\.8: ${refused/N/8}" \
		"procpool: host 127\.0\.0\.9: ${refused/N/9}" \
		'procpool: every host has been down for longer than 2s \(--start-timeout\); giving up' \
		'procpool: 5 tasks read but not run'
	grep -q "host 127\.0\.0\.8 is down: ${refused/N/8};" "$T/err" &&
		grep -q "host 127\.0\.0\.9 is down: ${refused/N/9};" "$T/err" || fail "$(cat "$T/err")"
	no_dir_left
}

@test "-S a host killed mid-run: every result exactly once with --retries 1; only the tasks its workers were on count an attempt" {
	local retried charged
	sshd_start_hosts 2
	seq 400 >"$T/in"
	# --depth 4: the dead host's workers hold tasks queued behind the one
	# they are on.
	hosts_bg "$T/in" -k --retries 1 --depth 4 --joblog "$T/jl" -S 127.0.0.2,127.0.0.3 \
		-- sh -c "$TAG_WORKER"
	wait_for 30 served_by 127.0.0.3 20
	sshd_stop 127.0.0.3
	pp_wait
	assert_status 0
	cut -d' ' -f1 "$T/out" >"$T/records"
	assert_files_equal "$T/in" "$T/records"
	# One row a record, every one ok; a second attempt only for a task a
	# worker of the dead host was on: at most one for each of its 2.
	run -0 awk -F'\t' 'NR > 1 && $12 == "ok" { print $1 }' "$T/jl"
	assert_equal "$(sort -n <<<"$output")" "$(seq 400)"
	retried=$(grep -c 'retrying (attempt 2 of 2); input ' "$T/err" || true)
	charged=$(awk -F'\t' 'NR > 1 && $11 == 2' "$T/jl" | wc -l)
	((retried == charged && charged >= 1 && charged <= 2)) ||
		fail "$charged tasks ran twice, $retried retried: $(cat "$T/err")"
	awk -F'\t' 'NR > 1 && $11 == 2 { print $2 }' "$T/jl" | sort -u >"$T/second"
	err_has '^procpool: host 127\.0\.0\.3 is down: ' || fail "$(cat "$T/err")"
	run -1 grep -vE "^procpool: (host 127\.0\.0\.3 is down: .*|record [0-9]+: worker [0-9]+ exited with status 255; retrying \(attempt 2 of 2\); input '[0-9]+')$" "$T/err"
	assert_output ''
}

@test "-S a link gone silent: the keepalives find it within 15s, its tasks run elsewhere, and once thawed it serves again" {
	local w start
	sshd_start_hosts 2
	mkfifo "$T/fifo"
	hosts_bg "$T/fifo" -v -k --retries 1 --host-retry 2s -S 127.0.0.2,127.0.0.3 -- sh -c "$TAG_WORKER"
	exec {w}>"$T/fifo"
	seq 1 100 >&"$w"
	wait_for 30 served_by 127.0.0.3 1
	sshd_freeze 127.0.0.3
	start=$SECONDS
	seq 101 200 >&"$w"
	wait_for 15 err_has 'host 127\.0\.0\.3 is down: Timeout, server 127\.0\.0\.3 not responding\.'
	echo "# found silent after $((SECONDS - start))s" >&3
	wait_for 30 out_has_lines 200
	sshd_thaw 127.0.0.3
	# Tasks waiting that the workers there cannot take (more than their
	# pipelines hold): a connection tries the host again, --host-retry
	# after it went down.
	seq 201 2000 >&"$w"
	wait_for 30 err_has 'host 127\.0\.0\.3 is up again' || { grep -v 'worker' "$T/err" | tail -30 >&3; false; }
	seq 2001 4000 >&"$w"
	exec {w}>&-
	pp_wait
	assert_status 0
	# (Checked at the end, not waited for: the FIFO holds all the tasks at
	# once, and with -k a result after 2000 shows only after the ones
	# before it.)
	served_after 2000 127.0.0.3 || fail "127.0.0.3 served nothing after 2000"
	cut -d' ' -f1 "$T/out" >"$T/records"
	seq 4000 >"$T/expected"
	assert_files_equal "$T/expected" "$T/records"
}

@test "-S MaxSessions 2 and MaxStartups 2:100:2: procpool adapts, a master at a time, and completes" {
	sshd_start 127.0.0.2 'MaxSessions 2' 'MaxStartups 2:100:2'
	seq 400 >"$T/in"
	hosts_io "$T/in" -k -m4 -S 4/127.0.0.2 -- sh -c "$TAG_WORKER"
	assert_status 0
	assert_stderr_empty
	sed 's/$/ 127.0.0.2/' "$T/in" >"$T/expected"
	assert_files_equal "$T/expected" "$T/out"
	# A master takes one worker (its second session is kept for signals):
	# the second worker needed a second master.
	(($(accepted 127.0.0.2) >= 2)) || fail "$(accepted 127.0.0.2) logins for 4 workers"
	! grep -q 'Connection reset\|kex_exchange' "$SSHD_DIR/127.0.0.2/log" ||
		fail "a handshake was dropped: $(cat "$SSHD_DIR/127.0.0.2/log")"
}

@test "-S a noisy login shell: what it prints before the worker starts is no result; --json names the host" {
	sshd_start 127.0.0.2 'ForceCommand echo noise; printf "no newline"; eval "$SSH_ORIGINAL_COMMAND"'
	seq 100 >"$T/in"
	hosts_io "$T/in" -k --json -m2 -S 127.0.0.2 -- cat
	assert_status 0
	assert_stderr_empty
	jq -r .output "$T/out" >"$T/answers"
	assert_files_equal "$T/in" "$T/answers"
	run -0 jq -r .host "$T/out"
	assert_equal "$(sort -u <<<"$output")" 127.0.0.2
}

@test "-S quoting: the worker's arguments arrive byte for byte, as in the direct run" {
	local args=(plain 'two  words' '' "it's" '"dq"' '$HOME' '$(id)' '`id`' 'a;b' 'a|b&c' '*'
		'~' '=x' '-n' 'back\slash' "\\'\\" 'tab	in' $'caf\xc3\xa9 \xe6\x97\xa5' $'\x01\x7f\x80\xff'
		'{host}' '!x' '#c' '%s')
	local worker='x=$(for a; do printf %s "$a" | od -An -tx1 | tr -d " \n"; printf .; done); while read -r l; do echo "$l $x"; done'
	sshd_start 127.0.0.2
	seq 3 >"$T/in"
	ppio "$T/in" -k -- sh -c "$worker" sh "${args[@]}"
	assert_status 0
	mv "$T/out" "$T/direct"
	hosts_io "$T/in" -k --joblog "$T/jl" -S 127.0.0.2 -- sh -c "$worker" sh "${args[@]}"
	assert_status 0
	assert_stderr_empty
	assert_files_equal "$T/direct" "$T/out"
	run -0 awk -F'\t' 'NR > 1 { print $2 }' "$T/jl"
	assert_output $'127.0.0.2\n127.0.0.2\n127.0.0.2'
}

@test "-S SIGTERM mid-run: the busy remote worker is stopped through its master within the bounds; masters and their directory gone" {
	local remote start
	sshd_start 127.0.0.2
	printf 'who\nhang\n' >"$T/in"
	hosts_bg "$T/in" -k --stop-timeout 1s --kill-grace 1s -S 1/127.0.0.2 -- sh -c "$HANG_WORKER"
	wait_for 20 out_has_lines 1
	remote=$(<"$T/out")
	wait_for 10 child_sleeps "$remote"
	kill -TERM "$PP_PID"
	start=$SECONDS
	pp_wait
	assert_status 143
	((SECONDS - start <= 5)) || fail "procpool took $((SECONDS - start))s to stop"
	wait_for 3 pid_is_gone_or_zombie "$remote"
	assert_err_lines \
		'procpool: stopping 1 worker still busy 1s after the stop began \(--stop-timeout\)' \
		'procpool: 1 tasks read but not run'
	no_dir_left
	wait_for 10 no_orphans 127.0.0.2
}

@test "-S PROCPOOL_SLOT and PROCPOOL_JOBS on a host: slots of its own, its cap (N/, else its CPUs)" {
	local worker='while read -r l; do sleep 0.05; echo "$PROCPOOL_SLOT $PROCPOOL_JOBS"; done'
	sshd_start 127.0.0.2
	seq 60 >"$T/in"
	hosts_io "$T/in" -m4 -j1 -S 3/127.0.0.2,: -- sh -c "$worker"
	assert_status 0
	run -0 sort -u "$T/out"
	assert_output $'0 1\n0 3\n1 3\n2 3'
	hosts_io "$T/in" -S 127.0.0.2 -- sh -c "$worker"
	assert_status 0
	run -0 sort -u -k2 "$T/out"
	assert_output --regexp "^([0-9]+ $(nproc)"$'\n'")*[0-9]+ $(nproc)\$"
}

@test "-S --error-prefix: the worker on a host learns it from PROCPOOL_ERROR_PREFIX too, and its reports fail their tasks" {
	local worker='while read -r l; do case $l in 3) echo "${PROCPOOL_ERROR_PREFIX}no 3";; *) echo "$l";; esac; done'
	sshd_start 127.0.0.2
	seq 5 >"$T/in"
	hosts_io "$T/in" -k --error-prefix "E 'x' " -S 1/127.0.0.2 -- sh -c "$worker"
	assert_status 1
	assert_file_content "$T/out" '1\n2\n4\n5\n'
	grep -qE "^procpool: record 3: worker [0-9]+ reported: no 3; input '3'$" "$T/err" || fail "$(cat "$T/err")"
}
