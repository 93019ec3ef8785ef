#!/usr/bin/env bats
# Parent-side faults: a closed or full stdout, SIGTERM mid-run. The issue
# does not fix the exit status here; what must hold is that procpool ends
# (no hang) and leaves no worker behind.

load '../helper'

@test "stdout closed early (| head -1): procpool ends and no worker remains" {
	local dir start=$SECONDS
	dir=$(pidfiles_dir)
	seq 200000 >"$T/in"
	# pp runs in a pipeline subshell: its PP_HUNG is lost, time it instead.
	pp -k -j 2 -- "$WORKERS/pidfile.sh" "$dir" <"$T/in" 2>"$T/err" | head -1 >"$T/out"
	((SECONDS - start < PP_TIMEOUT)) || fail "procpool hung after its stdout closed"
	assert_file_content "$T/out" '1\n'
	assert_workers_gone "$dir"
}

@test "stdout is /dev/full: procpool fails, ends, and no worker remains" {
	local dir
	dir=$(pidfiles_dir)
	seq 2000 >"$T/in"
	status=0
	pp -j 2 -- "$WORKERS/pidfile.sh" "$dir" <"$T/in" >/dev/full 2>"$T/err" || status=$?
	((!PP_HUNG)) || fail "procpool hung writing to /dev/full"
	((status != 0)) || fail "procpool exited 0 although no result could be written"
	[[ -s $T/err ]] || fail "no message about the write error"
	assert_workers_gone "$dir"
}

@test "SIGTERM mid-run: procpool ends and its workers go too" {
	local w dir
	dir=$(pidfiles_dir)
	mkfifo "$T/fifo"
	pp_bg "$T/fifo" -j 3 -m 1 -- "$WORKERS/pidfile.sh" "$dir" 0.3
	exec {w}>"$T/fifo"
	seq 30 >&"$w"
	wait_for 20 test_dir_has_files "$dir" 3
	kill -TERM "$PP_PID"
	pp_wait
	exec {w}>&-
	((status != 0)) || fail "procpool exited 0 after SIGTERM mid-run"
	local f
	for f in "$dir"/*; do
		wait_for 10 pid_is_gone "${f##*/}"
	done
}

test_dir_has_files() {
	(($(ls "$1" | wc -l) >= $2))
}

@test "procpool killed with SIGKILL: its workers die with it (parent-death signal)" {
	[[ $(uname) == Linux ]] || skip "the parent-death signal is Linux's"
	mkdir "$T/pids"
	seq 100 >"$T/in"
	# Workers that never read their stdin: EOF would not end them.
	pp_bg "$T/in" -j 2 -- sh -c ': >"$0/$$"; exec sleep 1000' "$T/pids"
	two_workers() { (($(ls "$T/pids" | wc -l) >= 2)); }
	wait_for 20 two_workers
	kill -KILL "$PP_PID"
	for f in "$T/pids"/*; do
		wait_for 10 pid_is_gone_or_zombie "${f##*/}"
	done
}

@test "stdin and stdout left non-blocking by whoever started procpool: nothing lost" {
	# Shared fds can come non-blocking (a Node parent, a terminal another
	# program set): EAGAIN then means wait, not fail.
	run timeout 60 python3 - "$PROCPOOL" <<'PY'
import fcntl, os, subprocess, sys, threading, time
r, w = os.pipe()
r2, w2 = os.pipe()
for fd in (r, w2):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen([sys.argv[1], "-k", "cat"], stdin=r, stdout=w2)
os.close(r); os.close(w2)
data = b"".join(b"%d\n" % i for i in range(200000))
def feed():
    for i in range(0, len(data), 100000):
        os.write(w, data[i:i + 100000]); time.sleep(0.01)
    os.close(w)
t = threading.Thread(target=feed); t.start()
out = []
while True:
    c = os.read(r2, 4096)  # a slow reader: procpool's stdout fills up
    if not c: break
    out.append(c); time.sleep(0.0005)
t.join()
print(p.wait(), b"".join(out) == data)
PY
	assert_success
	assert_output "0 True"
}

@test "started with stdout closed: exit 124 naming it, rather than results lost" {
	run bash -c 'seq 3 | timeout 60 "$0" -k -- "$1" >&-' "$PROCPOOL" "$WORKERS_BIN/upper"
	assert_equal "$status" 124
	assert_output "procpool: cannot write results: stdout is closed"
}

@test "started with stdin closed: no tasks, exit 0, and workers get a real stdin pipe" {
	run bash -c 'timeout 60 "$0" -k -- "$1" <&-' "$PROCPOOL" "$WORKERS_BIN/upper"
	assert_success
	assert_output ""
}
