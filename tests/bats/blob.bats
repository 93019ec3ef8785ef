#!/usr/bin/env bats
# Large records: 1 B to 64 MiB, on either side of the 64 KiB at which a
# record is taken from the input buffer and written from where it is held
# instead of being copied, through -b, -0 and the line wire, from a regular
# file, a pipe and a FIFO; a worker that dies part way through reading one;
# --max-record at its boundary. Every output is compared with the worker's
# direct run, byte for byte.

load '../helper'

SIZES=(1 65535 65536 65537 1048576 16777216 67108864)

# The inputs, made once for the file: the same random record sizes as
# lines of bytes that are neither newline nor NUL (raw.lines, and raw.nul
# ended by NUL), and as base64 lines of random bytes (b64.lines); with the
# direct runs of lineecho on them (the -0 one through tr).
setup_file() {
	local d=$BATS_FILE_TMPDIR
	python3 - "$d" "${SIZES[@]}" <<-'EOF'
		import base64, os, sys
		d, sizes = sys.argv[1], [int(s) for s in sys.argv[2:]]
		no_sep = bytes.maketrans(b"\n\0", b"\x01\xff")
		with open(d + "/raw.lines", "wb") as raw, open(d + "/b64.lines", "wb") as b64:
		    for n in sizes:
		        raw.write(os.urandom(n).translate(no_sep) + b"\n")
		        b64.write(base64.b64encode(os.urandom(n)) + b"\n")
	EOF
	tr '\n' '\0' <"$d/raw.lines" >"$d/raw.nul"
	local echo=${WORKERS_BIN:-$BATS_TEST_DIRNAME/../../build/tests/workers}/lineecho
	"$echo" <"$d/raw.lines" >"$d/raw.ref"
	tr '\0' '\n' <"$d/raw.nul" | "$echo" | tr '\n' '\0' >"$d/nul.ref"
	"$echo" <"$d/b64.lines" >"$d/b64.ref"
}

# from SOURCE IN ARG...: procpool ARG... reading IN as SOURCE says: a
# regular file on stdin, -a FILE, a pipe or a FIFO; stdout to $T/out,
# stderr to $T/err, $status set.
from() {
	local src=$1 in=$2
	shift 2
	status=0
	case $src in
	file) pp "$@" <"$in" >"$T/out" 2>"$T/err" || status=$? ;;
	-a) pp -a "$in" "$@" </dev/null >"$T/out" 2>"$T/err" || status=$? ;;
	pipe) cat "$in" | pp "$@" >"$T/out" 2>"$T/err" || status=$? ;;
	fifo)
		rm -f "$T/fifo"
		mkfifo "$T/fifo"
		cat "$in" >"$T/fifo" 3>&- &
		pp "$@" <"$T/fifo" >"$T/out" 2>"$T/err" || status=$?
		wait $!
		;;
	esac
	if ((PP_HUNG)); then
		fail "procpool hung: procpool $* (input from $src)"
	fi
}

# each_source IN REF ARG...: from every source, IN through procpool ARG...
# gives REF exactly, exit 0, nothing on stderr.
each_source() {
	local in=$1 ref=$2 src
	shift 2
	for src in file -a pipe fifo; do
		from "$src" "$in" "$@"
		assert_status 0
		assert_stderr_empty
		assert_files_equal "$ref" "$T/out" "output from $src"
	done
}

@test "line wire: records of 1 B to 64 MiB from a file, -a, a pipe and a FIFO, as the direct run" {
	# 64 MiB is the default --max-record: the largest record it takes.
	each_source "$BATS_FILE_TMPDIR/raw.lines" "$BATS_FILE_TMPDIR/raw.ref" \
		-k -j2 -- "$WORKERS_BIN/lineecho"
}

@test "-0: records of 1 B to 64 MiB from a file, -a, a pipe and a FIFO, as the direct run" {
	each_source "$BATS_FILE_TMPDIR/raw.nul" "$BATS_FILE_TMPDIR/nul.ref" \
		-0 -k -j2 -- "$WORKERS_BIN/lineecho"
}

@test "-b: records of 1 B to 64 MiB (base64 lines to 89 MB) from a file, -a, a pipe and a FIFO, as the direct run" {
	each_source "$BATS_FILE_TMPDIR/b64.lines" "$BATS_FILE_TMPDIR/b64.ref" \
		-b -k -j2 --max-record 90M -- "$WORKERS_BIN/lineecho"
}

@test "a large last record without its newline is still one task, from a file and a pipe" {
	head -c 3000000 /dev/urandom | base64 -w0 >"$T/in"
	{ cat "$T/in"; echo; } >"$T/expected"
	for src in file pipe; do
		from "$src" "$T/in" -b -k -- "$WORKERS_BIN/lineecho"
		assert_status 0
		assert_files_equal "$T/expected" "$T/out"
	done
}

@test "a worker that dies part way through reading a 16 MiB record: it is sent again whole" {
	# The first worker dies after reading 100,000 bytes of record 2; its
	# replacement gets record 2 again from its first byte.
	local d=$BATS_FILE_TMPDIR
	{ sed -n 5p "$d/b64.lines"; sed -n 6p "$d/b64.lines"; sed -n 5p "$d/b64.lines"; } >"$T/in"
	"$WORKERS_BIN/lineecho" <"$T/in" >"$T/expected"
	for src in file pipe; do
		rm -f "$T/marker"
		from "$src" "$T/in" -b -k -j1 --retries 1 --stats-json "$T/stats.json" \
			-- "$WORKERS_BIN/f_midcrash" "$T/marker" 2 100000
		assert_status 0
		assert_files_equal "$T/expected" "$T/out"
		[[ -e $T/marker ]] || fail "no worker died"
		run jq -r '.workers.crashed' "$T/stats.json"
		assert_output 1
	done
	# The same through the line wire, the record its own bytes.
	sed -n '6p' "$d/raw.lines" >"$T/in"
	rm -f "$T/marker"
	from pipe "$T/in" -k -j1 --retries 1 -- "$WORKERS_BIN/f_midcrash" "$T/marker" 1 100000
	assert_status 0
	assert_files_equal "$T/in" "$T/out"
}

@test "--max-record at its boundary: a record of exactly N bytes runs, one of N+1 fails, through a pipe" {
	{
		head -c 1048576 /dev/zero | tr '\0' a
		echo
		head -c 1048577 /dev/zero | tr '\0' b
		echo
		echo after
	} >"$T/in"
	from pipe "$T/in" -k --max-record 1M -- "$WORKERS_BIN/lineecho"
	assert_status 1
	{ sed -n 1p "$T/in"; echo after; } >"$T/expected"
	assert_files_equal "$T/expected" "$T/out"
	run cat "$T/err"
	assert_output "procpool: record 2: record longer than --max-record; input 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...'"
}

@test "-b --max-record at its boundary: a base64 line of exactly N characters runs, one of N+4 fails" {
	# 786432 bytes encode to 1048576 characters; 786435 to 1048580.
	{
		head -c 786432 /dev/urandom | base64 -w0
		echo
		head -c 786435 /dev/zero | base64 -w0
		echo
	} >"$T/in"
	from file "$T/in" -b -k --max-record 1M -- "$WORKERS_BIN/lineecho"
	assert_status 1
	sed -n 1p "$T/in" >"$T/expected"
	assert_files_equal "$T/expected" "$T/out"
	run cat "$T/err"
	assert_output "procpool: record 2: record longer than --max-record; input 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...'"
}

@test "a worker that answers a large task before it has read it is stopped, the task failed" {
	# It answers its first task, waits for the second to arrive, answers
	# the first again and reads nothing more: that line cannot be the
	# answer to a 4 MiB task still being written to it (its pipe holds 1 MiB).
	{ echo first; head -c 4194304 /dev/zero | tr '\0' x; echo; } >"$T/in"
	from file "$T/in" -k -j1 --depth 2 -- python3 -c '
import os, select, time
line = b""
while not line.endswith(b"\n"):
    line += os.read(0, 1)
os.write(1, line)
select.select([0], [], [])
os.write(1, line)
time.sleep(5)  # (stopped long before; a build without the check reads on)
while os.read(0, 65536):
    pass'
	assert_status 1
	assert_file_content "$T/out" 'first\n'
	run cat "$T/err"
	assert_line --regexp "^procpool: worker [0-9]+ broke the protocol: answered a task before it was written whole; stopping it$"
	assert_line --regexp "^procpool: record 2: worker [0-9]+ answered a task before it was written whole; input 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'$"
}

@test "a file on stdin is read from where its offset stands, however unaligned" {
	# bash's read leaves a regular file's offset just after the line it
	# read: 1,000,001 bytes in, not on a page boundary.
	{ head -c 1000000 /dev/zero | tr '\0' s; echo; sed -n 5,6p "$BATS_FILE_TMPDIR/b64.lines"; } >"$T/in"
	sed -n 2,3p "$T/in" >"$T/expected"
	status=0
	{ read -r _ && pp -b -k -- "$WORKERS_BIN/lineecho" >"$T/out" 2>"$T/err"; } <"$T/in" || status=$?
	assert_status 0
	assert_files_equal "$T/expected" "$T/out"
}

@test "several -a files: each file's last record ends at its end, records run on, large and small" {
	local d=$BATS_FILE_TMPDIR
	sed -n 6p "$d/raw.lines" | head -c -1 >"$T/a" # 16 MiB, no newline
	printf 'x\ny' >"$T/b"
	sed -n 1,5p "$d/raw.lines" >"$T/c"
	{ cat "$T/a"; echo; cat "$T/b"; echo; cat "$T/c"; } >"$T/expected"
	pp -a "$T/a" -a "$T/b" -a - -a "$T/c" -k -j2 -- "$WORKERS_BIN/lineecho" \
		</dev/null >"$T/out" 2>"$T/err"
	assert_files_equal "$T/expected" "$T/out"
	assert_stderr_empty
}

@test "an input file that shrinks while it is read stops procpool with a message, exit 124" {
	# The worker holds its first task until the file has been cut short;
	# the records procpool has not read yet are then gone from under it.
	seq 200000 >"$T/in"
	pp_bg "$T/in" -k -j1 --depth 1 -- \
		sh -c 'read -r l; : >"$0.read"; while [ ! -e "$0" ]; do sleep 0.05; done; echo "$l"; exec cat' "$T/go"
	wait_for 20 test -e "$T/go.read"
	: >"$T/in"
	touch "$T/go"
	pp_wait
	assert_status 124
	run cat "$T/err"
	assert_output "procpool: the input file shrank while it was read"
}

@test "long answers to a reader that is slow to start arrive whole and in order" {
	# Each answer is written from where it was read, and what stdout does
	# not take at once waits in the buffer: nothing is lost or reordered.
	local d=$BATS_FILE_TMPDIR
	sed -n 1,6p "$d/raw.lines" >"$T/in"
	status=0
	pp -k -j2 -- "$WORKERS_BIN/lineecho" <"$T/in" 2>"$T/err" | { sleep 1; cat; } >"$T/out" || status=$?
	assert_status 0
	assert_files_equal "$T/in" "$T/out"
	assert_stderr_empty
}

@test "a too-long record that ends a file without its newline is skipped to that file's end only" {
	head -c 300 /dev/zero | tr '\0' a >"$T/a"
	printf 'ok\n' >"$T/b"
	status=0
	pp --max-record 100 -k -a "$T/a" -a "$T/b" -- "$WORKERS_BIN/lineecho" </dev/null >"$T/out" 2>"$T/err" || status=$?
	assert_status 1
	assert_file_content "$T/out" 'ok\n'
	run cat "$T/err"
	assert_output "procpool: record 1: record longer than --max-record; input 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'"
}

@test "one 50 MB record from a file and from a pipe: procpool's own peak RSS stays under 1.5x the record" {
	# The record is held once (mapped, or the buffer it was read into) and
	# written to the worker from there; its answer is short.
	[[ -z ${ASAN_OPTIONS:-} ]] || skip "a sanitizer build keeps freed memory in quarantine"
	python3 -c 'import os, sys; sys.stdout.buffer.write(os.urandom(50000000).translate(bytes.maketrans(b"\n\0", b"ab")) + b"\n")' >"$T/in"
	for src in file pipe; do
		from "$src" "$T/in" -k --stats-json "$T/stats.json" -- \
			python3 -c 'import sys
for line in sys.stdin.buffer:
    print(len(line) - 1, flush=True)'
		assert_status 0
		assert_file_content "$T/out" '50000000\n'
		run jq -r '.self_maxrss_kib' "$T/stats.json"
		((output * 1024 < 75000000)) || fail "procpool's peak RSS from a $src: $output KiB"
	done
}

@test "records larger than the window's 16 MiB: every worker gets one at once, from a file and from a pipe" {
	# Two 20 MiB records, -j2: each worker, given its record, waits (up to
	# 30 s) until the other has one too. Were the second record read only
	# after the first finished, each would answer "alone".
	python3 -c '
import sys
for c in b"ab":
    sys.stdout.buffer.write(bytes([c]) * (20 << 20) + b"\n")' >"$T/in"
	local worker='
import os, sys, time
d = sys.argv[1]
for line in sys.stdin.buffer:
    open("%s/%d" % (d, os.getpid()), "w").close()
    t = time.time() + 30
    while len(os.listdir(d)) < 2 and time.time() < t:
        time.sleep(0.05)
    print("together" if len(os.listdir(d)) >= 2 else "alone", len(line), flush=True)'
	for src in file pipe; do
		rm -rf "$T/started" && mkdir "$T/started"
		from $src "$T/in" -k -j2 -- python3 -c "$worker" "$T/started"
		assert_status 0
		assert_file_content "$T/out" 'together 20971521\ntogether 20971521\n'
	done
}

@test "behind a stuck record, procpool reads 4 MiB ahead from a mapped file and 16 MiB from a pipe" {
	# 40 records of 1 MiB, -k -j2; the first one's worker waits until the
	# other has read all it was given for 1 s, and notes how many records
	# the workers have read by then: what procpool read ahead, bar those
	# queued in the stuck worker's pipe.
	python3 -c '
import sys
sys.stdout.buffer.write(b"a" * (1 << 20) + b"\n" + (b"x" * (1 << 20) + b"\n") * 39)' >"$T/in"
	local worker='
import sys, time
log, seen = sys.argv[1], sys.argv[2]
for line in sys.stdin.buffer:
    with open(log, "a") as f:
        f.write("read\n")
    if line[:1] == b"a":
        last, stable, t = -1, 0, time.time() + 30
        while stable < 5 and time.time() < t:
            time.sleep(0.2)
            n = len(open(log).readlines())
            stable, last = (stable + 1 if n == last else 0), n
        open(seen, "w").write("%d\n" % last)
    print(len(line), flush=True)'
	local src
	for src in file pipe; do
		rm -f "$T/log"
		from $src "$T/in" -k -j2 -- python3 -c "$worker" "$T/log" "$T/seen.$src"
		assert_status 0
		assert_equal "$(uniq -c <"$T/out" | awk '{print $1, $2}')" '40 1048577'
	done
	(($(cat "$T/seen.file") <= 5)) || fail "from a file the workers read $(cat "$T/seen.file") records"
	(($(cat "$T/seen.pipe") >= 12)) || fail "from a pipe the workers read $(cat "$T/seen.pipe") records"
}
