#!/usr/bin/env bats
# Watching a run: --stats (a block on stderr at exit), --stats-json FILE,
# SIGUSR1 (statistics so far, the run goes on), and --progress (a line
# every 5s when stderr is no terminal, a redrawn line on a terminal; each
# with a last line at exit). terminal.bats has --progress among other
# output on a real terminal.

load '../helper'

# stats_get FILE KEY.PATH...: print the JSON values at each dotted path.
stats_get() {
	python3 - "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
out = []
for path in sys.argv[2:]:
    v = d
    for k in path.split("."):
        v = v[k]
    out.append(str(v))
print(" ".join(out))
EOF
}

# The --progress ETA: whole units, or ? before the first task has ended.
ETA='(\?|[0-9]{1,2}s|[0-9]{1,2}m[0-9]{2}s|[0-9]{1,2}h[0-9]{2}m|[0-9]+d[0-9]{2}h)'

# file_has_lines FILE N: FILE has at least N lines (for wait_for).
file_has_lines() {
	[[ -e $1 ]] && (($(wc -l <"$1") >= $2))
}

@test "--stats-json: every key, the counts of a known run, consistent totals" {
	# -j1 --depth 1: records 3 and 7 kill their workers (exit 3), so three
	# workers run, each answering at least once.
	printf '1\n2\nexit 3\n4\n5\n6\nexit 3\n8\n9\n10\n' >"$T/in"
	ppio "$T/in" -k -j 1 --depth 1 --stats-json "$T/s.json" -- "$WORKERS_BIN/f_faulty"
	assert_status 2
	run python3 - "$T/s.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
problems = []
def want(cond, what):
    if not cond:
        problems.append(what)
want(set(d) == {"tasks", "wall_ns", "tasks_per_s", "latency_ns", "queue_wait_ns",
                "startup_ns", "workers", "slots", "cpu_ns", "self_cpu_ns", "self_maxrss_kib"},
     "top-level keys %s" % sorted(d))
t = d["tasks"]
want(t == {"read": 10, "ok": 8, "failed": 2, "suspect": 0, "retried": 0, "skipped": 0, "not_run": 0},
     "tasks %s" % t)
want(t["ok"] + t["failed"] + t["suspect"] + t["skipped"] + t["not_run"] == t["read"], "totals")
for h in ("latency_ns", "queue_wait_ns", "startup_ns"):
    v = d[h]
    want(set(v) == {"count", "p50", "p90", "p99", "p999", "max"}, "%s keys %s" % (h, sorted(v)))
    want(v["p50"] <= v["p90"] <= v["p99"] <= v["p999"], "%s percentiles out of order %s" % (h, v))
    want(all(isinstance(x, int) and x >= 0 for x in v.values()), "%s values %s" % (h, v))
want(d["latency_ns"]["count"] == 8, "latency count %s (one per answer)" % d["latency_ns"]["count"])
want(d["queue_wait_ns"]["count"] == 10, "queue_wait count %s (one per task sent)" % d["queue_wait_ns"]["count"])
want(d["startup_ns"]["count"] == 3, "startup count %s (one per worker that answered)" % d["startup_ns"]["count"])
w = d["workers"]
want(w == {"started": 3, "retired": 0, "crashed": 2, "failed_exits": 0, "peak": 1}, "workers %s" % w)
want(isinstance(d["wall_ns"], int) and 0 < d["wall_ns"] < 30e9, "wall_ns %s" % d["wall_ns"])
want(d["tasks_per_s"] > 0, "tasks_per_s %s" % d["tasks_per_s"])
for k in ("cpu_ns", "self_cpu_ns"):
    want(set(d[k]) == {"user", "system"}, "%s keys %s" % (k, sorted(d[k])))
    want(all(isinstance(x, int) and x >= 0 for x in d[k].values()), "%s values %s" % (k, d[k]))
want(isinstance(d["self_maxrss_kib"], int) and d["self_maxrss_kib"] > 0,
     "self_maxrss_kib %s" % d["self_maxrss_kib"])
print("\n".join(problems))
EOF
	assert_output ""
}

@test "--stats-json: procpool's own CPU time and peak RSS leave out its workers'" {
	# The worker touches 100 MiB, burns 0.3 s of CPU, then answers its own
	# peak RSS in KiB: procpool's figures must stay far below both.
	printf 'x\n' >"$T/in"
	ppio "$T/in" -k -j 1 --stats-json "$T/s.json" -- python3 -c '
import resource, sys, time
for line in sys.stdin:
    b = b"x" * (100 << 20)
    t = time.process_time()
    while time.process_time() - t < 0.3:
        pass
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)'
	assert_status 0
	local worker_rss
	worker_rss=$(cat "$T/out")
	((worker_rss >= 100 * 1024)) || fail "the worker's peak RSS ${worker_rss} KiB is not above 100 MiB"
	run stats_get "$T/s.json" cpu_ns.user cpu_ns.system self_cpu_ns.user self_cpu_ns.system self_maxrss_kib
	local w_user w_sys s_user s_sys s_rss
	read -r w_user w_sys s_user s_sys s_rss <<<"$output"
	((w_user + w_sys >= 300000000)) || fail "workers' CPU $((w_user + w_sys))ns is under the 0.3 s the worker burnt"
	((s_user + s_sys < 100000000)) || fail "procpool's own CPU $((s_user + s_sys))ns counts the worker's"
	((s_rss > 0 && s_rss < 20 * 1024)) || fail "procpool's own peak RSS ${s_rss} KiB counts the worker's"
}

@test "--stats-json: retried, skipped and not-run tasks are counted" {
	printf 'a\ncrash\nb\n' >"$T/in"
	ppio "$T/in" -k -j 1 --retries 1 --joblog "$T/log" --stats-json "$T/s.json" -- "$WORKERS_BIN/f_faulty"
	assert_status 1
	run stats_get "$T/s.json" tasks.read tasks.ok tasks.failed tasks.retried workers.crashed
	assert_output "3 2 1 1 2"
	# Resumed: all three skipped.
	ppio "$T/in" -k --resume --joblog "$T/log" --stats-json "$T/s.json" -- "$WORKERS_BIN/f_faulty"
	assert_status 0
	run stats_get "$T/s.json" tasks.read tasks.ok tasks.skipped tasks.not_run
	assert_output "3 0 3 0"
}

@test "--stats-json: a 20 ms worker at --depth 1 -j1 has a latency p50 between 15 and 80 ms" {
	seq 30 | sed 's/^/20 t/' >"$T/in"
	ppio "$T/in" -j 1 --depth 1 --stats-json "$T/s.json" -- "$WORKERS_BIN/msdelay"
	assert_status 0
	run stats_get "$T/s.json" latency_ns.count latency_ns.p50 latency_ns.max workers.started
	local count p50 max started
	read -r count p50 max started <<<"$output"
	assert_equal "$count" 30
	assert_equal "$started" 1
	((p50 >= 15000000 && p50 <= 80000000)) || fail "latency p50 ${p50}ns is not 15-80 ms"
	((max >= p50)) || fail "max $max below p50 $p50"
}

@test "--stats-json to a path that cannot be written: exit 124 before any task, as the joblog" {
	seq 3 >"$T/in"
	ppio "$T/in" -v -k --stats-json "$T/no/such/dir/s.json" -- "$WORKERS_BIN/upper"
	assert_status 124
	assert_file_content "$T/out" ''
	assert_file_content "$T/err" "procpool: cannot write '$T/no/such/dir/s.json': No such file or directory\\n"
	ppio "$T/in" --stats-json "$T" -- "$WORKERS_BIN/upper"
	assert_status 124
	assert_file_content "$T/err" "procpool: cannot write '$T': Is a directory\\n"
}

@test "--stats: a block on stderr with tasks, time, latency, queued, workers, start-up, cpu, procpool" {
	seq 10 >"$T/in"
	ppio "$T/in" -k -j 1 --stats -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_files_equal "$T/in" "$T/out"
	run cut -c1-12 "$T/err"
	assert_output "procpool: st
  tasks     
  time      
  latency   
  queued    
  workers   
  start-up  
  cpu       
  procpool  "
	run cat "$T/err"
	assert_line --index 0 "procpool: statistics"
	assert_line --index 1 "  tasks     10 ok, 0 failed, 0 retried, 0 skipped, 0 not run (10 read)"
	assert_line --index 2 --regexp '^  time      [0-9.]+(ns|us|ms|s) wall, [0-9]+ tasks/s$'
	assert_line --index 3 --regexp '^  latency   p50 [0-9.]+[mun]?s  p90 [0-9.]+[mun]?s  p99 [0-9.]+[mun]?s  p99.9 [0-9.]+[mun]?s  max [0-9.]+[mun]?s$'
	assert_line --index 4 --regexp '^  queued    p50 [0-9.]+[mun]?s  p99 [0-9.]+[mun]?s$'
	assert_line --index 5 "  workers   1 started, 0 retired, 0 crashed, peak 1, 0 alive now"
	assert_line --index 6 --regexp '^  start-up  median [0-9.]+[mun]?s \(spawn to ready\)$'
	assert_line --index 7 --regexp '^  cpu       [0-9]+\.[0-9]{2}s user, [0-9]+\.[0-9]{2}s system \(workers\)$'
	assert_line --index 8 --regexp '^  procpool  [0-9]+\.[0-9]{2}s user, [0-9]+\.[0-9]{2}s system, [0-9]+\.[0-9] MiB peak RSS$'
}

@test "--stats after failures comes after the failure lines and counts them" {
	printf 'a\nexit 2\nb\n' >"$T/in"
	ppio "$T/in" -k -j 1 --stats -- "$WORKERS_BIN/f_faulty"
	assert_status 1
	run cat "$T/err"
	assert_line --index 0 --regexp "^procpool: record 2: worker [0-9]+ exited with status 2; input 'exit 2'\$"
	assert_line --index 1 "procpool: statistics"
	assert_line --index 2 "  tasks     2 ok, 1 failed, 0 retried, 0 skipped, 0 not run (3 read)"
	assert_line --index 6 --regexp '^  workers   2 started, 0 retired, 1 crashed, peak 1, 0 alive now$'
}

@test "SIGUSR1 mid-run prints 'statistics so far'; the run goes on to exit 0" {
	seq 20 >"$T/in"
	pp_bg "$T/in" -j 2 --depth 1 -- "$WORKERS_BIN/sleepy" 0.2
	wait_for 20 file_has_lines "$T/out" 2
	kill -USR1 "$PP_PID"
	wait_for 20 grep -q '^  start-up' "$T/err"
	pp_wait
	assert_status 0
	assert_same_multiset "$T/in" "$T/out"
	run cut -c1-12 "$T/err"
	assert_output "procpool: st
  tasks     
  time      
  latency   
  queued    
  workers   
  start-up  "
	run cat "$T/err"
	assert_line --index 0 "procpool: statistics so far"
	assert_line --index 1 --regexp '^  tasks     [0-9]+ ok, 0 failed, 0 retried, 0 skipped, 0 not run \(20 read\)$'
	assert_line --index 5 --regexp '^  workers   2 started, 0 retired, 0 crashed, peak 2, 2 alive now$'
}

@test "--progress, stderr not a terminal: plain lines every 5s, no escape codes" {
	local a b c start=$SECONDS
	# Three ~6s runs side by side: no --total; --total 10; -a FILE (its
	# records are counted, so the total is known).
	seq 24 >"$T/in24"
	seq 10 >"$T/in10"
	pp -j 2 --depth 1 --progress -- "$WORKERS_BIN/sleepy" 0.5 <"$T/in24" >"$T/out.a" 2>"$T/err.a" &
	a=$!
	pp -j 2 --depth 1 --progress --total 10 -- "$WORKERS_BIN/sleepy" 1.2 <"$T/in10" >"$T/out.b" 2>"$T/err.b" &
	b=$!
	pp -j 2 --depth 1 --progress -a "$T/in10" -- "$WORKERS_BIN/sleepy" 1.2 </dev/null >"$T/out.c" 2>"$T/err.c" &
	c=$!
	wait "$a" || fail "run without --total exited $?"
	wait "$b" || fail "run with --total exited $?"
	wait "$c" || fail "run with -a exited $?"
	local most=$((1 + (SECONDS - start) / 5))
	assert_same_multiset "$T/in24" "$T/out.a"
	assert_same_multiset "$T/in10" "$T/out.b"
	assert_same_multiset "$T/in10" "$T/out.c"
	local f
	for f in a b c; do
		(($(wc -l <"$T/err.$f") >= 1)) || fail "run $f: no progress line in 6s"
		! grep -q $'[\r\e]' "$T/err.$f" || fail "run $f: escape codes or CR in $(cat -A "$T/err.$f")"
	done
	run grep -cvE '^procpool: [0-9]+ tasks, [0-9]+/s, 0 failed, [0-2]/[0-2] workers busy$' "$T/err.a"
	assert_output 0
	run tail -1 "$T/err.a"
	assert_output --regexp '^procpool: 24 tasks, [0-9]+/s, 0 failed, 0/0 workers busy$'
	for f in b c; do
		run grep -cvE "^procpool: [0-9]/10 tasks \\([0-9]+%\\), [0-9]+/s, ETA $ETA, 0 failed, [0-2]/[0-2] workers busy\$" "$T/err.$f"
		assert_output 1
		run tail -1 "$T/err.$f"
		assert_output --regexp '^procpool: 10/10 tasks \(100%\), [0-9]+/s, 0 failed, 0/0 workers busy$'
	done
	# Lines come every 5s, never more often, and one more at exit.
	for f in a b c; do
		(($(wc -l <"$T/err.$f") <= most + 1)) || fail "run $f: more than $((most + 1)) lines in $((SECONDS - start))s: $(cat "$T/err.$f")"
	done
}

# on_pty COLS IN ARG...: procpool with stdin from IN, stdout to $T/out and
# stderr on a pseudo-terminal COLS wide, raw (so bytes arrive as written);
# what it wrote there goes to $T/err. Sets $status.
on_pty() {
	local cols=$1 in=$2
	shift 2
	status=0
	python3 - "$cols" "$in" "$T/out" "$T/err" timeout -k 5 "$PP_TIMEOUT" "$PROCPOOL" "$@" <<'EOF' || status=$?
import fcntl, os, pty, struct, subprocess, sys, termios, tty
cols, inp, out, err = sys.argv[1:5]
master, slave = pty.openpty()
tty.setraw(slave)
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, int(cols), 0, 0))
with open(inp, "rb") as i, open(out, "wb") as o:
    p = subprocess.Popen(sys.argv[5:], stdin=i, stdout=o, stderr=slave)
os.close(slave)
data = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
open(err, "wb").write(data)
sys.exit(p.wait(timeout=90))
EOF
}

# progress_draws: the lines drawn on the pty of on_pty, one per line, without
# what erases the rest of the last one (ESC[K or blanks). Fails unless all it
# got is such redraws, each starting with \r, and a newline at the end.
progress_draws() {
	python3 - "$T/err" <<'EOF'
import re, sys
data = open(sys.argv[1], "rb").read()
draw = rb"\r([^\r\n\x1b]*?) *(?:\x1b\[K)?(?=[\r\n])"
if not re.fullmatch(rb"(?:%s)+\n" % draw, data):
    sys.exit("not just redraws and a newline: %r" % data[-400:])
for line in re.findall(draw, data):
    print(line.decode())
EOF
}

# pty_draws ARG...: on_pty, 200 columns, stdin from $T/in; procpool must exit
# 0 and draw nothing but redraws, which then are $output and ${lines[@]}.
pty_draws() {
	on_pty 200 "$T/in" "$@"
	assert_status 0
	run progress_draws
	assert_success
}

# assert_draws_unlike N REGEX: exactly N of the lines drawn do not match REGEX.
assert_draws_unlike() {
	local n
	n=$(grep -cvE "$2" <<<"$output" || true)
	((n == $1)) || fail "$(printf '%s lines drawn do not match %s, expected %s:\n%s' "$n" "$2" "$1" "$output")"
}

@test "--progress on a terminal: redrawn in place, the last line ends with a newline" {
	seq 20 >"$T/in"
	pty_draws -j 2 --progress -- "$WORKERS_BIN/sleepy" 0.05
	assert_same_multiset "$T/in" "$T/out"
	assert_line --index -1 --regexp '^20 tasks, [0-9]+/s, 0 failed, 0/0 workers busy$'
	((${#lines[@]} >= 2)) || fail "expected redraws, got: $output"
	assert_draws_unlike 0 '^[0-9]+ tasks, [0-9]+/s, 0 failed, [0-2]/[0-2] workers busy$'
}

@test "--progress on a terminal: the ETA in whole units (45s, 12m05s, 1h35m), none once done" {
	seq 30 >"$T/in"
	# A total far beyond the input: an ETA of hours or days.
	pty_draws -j 2 --progress --total 1000000 -- "$WORKERS_BIN/sleepy" 0.02
	assert_line --regexp 'ETA [0-9]'
	assert_draws_unlike 0 "^[0-9]+/1000000 tasks \([0-9]%\), [0-9]+/s, ETA $ETA, 0 failed, [0-2]/[0-2] workers busy\$"
	# The exact total: the last line, all done, has no ETA (no "ETA 0us").
	pty_draws -j 2 --progress --total 30 -- "$WORKERS_BIN/sleepy" 0.02
	assert_line --index -1 --regexp '^30/30 tasks \(100%\), [0-9]+/s, 0 failed, 0/0 workers busy$'
	assert_draws_unlike 1 "^[0-9]+/30 tasks \([0-9]+%\), [0-9]+/s, ETA $ETA, 0 failed, [0-2]/[0-2] workers busy\$"
}

@test "--progress with --total below the input: past it, the count alone (no 400%)" {
	seq 12 >"$T/in"
	pty_draws -j 1 --progress --total 3 -- "$WORKERS_BIN/sleepy" 0.05
	assert_files_equal "$T/in" "$T/out"
	assert_line --index -1 --regexp '^12 tasks, [0-9]+/s, 0 failed, 0/0 workers busy$'
	assert_draws_unlike 0 "^([0-2]/3 tasks \((0|33|66)%\), [0-9]+/s, ETA $ETA|3/3 tasks \(100%\), [0-9]+/s|([4-9]|1[0-2]) tasks, [0-9]+/s), 0 failed, [01]/[01] workers busy\$"
}

@test "--progress, stderr a file: a last line at exit, however short the run" {
	seq 5 >"$T/in"
	ppio "$T/in" -k --progress --total 5 -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_files_equal "$T/in" "$T/out"
	run cat "$T/err"
	assert_output --regexp '^procpool: 5/5 tasks \(100%\), [0-9]+/s, 0 failed, 0/0 workers busy$'
	# Past --total: the count alone.
	ppio "$T/in" -k --progress --total 2 -- "$WORKERS_BIN/upper"
	assert_status 0
	run cat "$T/err"
	assert_output --regexp '^procpool: 5 tasks, [0-9]+/s, 0 failed, 0/0 workers busy$'
}
