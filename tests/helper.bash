# tests/helper.bash: shared setup for procpool's bats suites.
#
# Each .bats file does `load '../helper'`. This file provides:
#   $PROCPOOL     binary under test (default build/procpool)
#   $WORKERS_BIN  compiled C workers (default build/tests/workers)
#   $WORKERS      script workers (tests/workers)
#   $T            a fresh temp dir per test, removed in teardown
#   pp ARG...     procpool under `timeout`, so a hang fails instead of stalling
#   ppio IN ARG...  pp with stdin from IN, stdout to $T/out, stderr to $T/err;
#                 sets $status (never aborts the test)
#   gen, expect_*  seeded input generators and reference transforms
#   wait_for SECS CMD...  poll CMD until it succeeds, fail at the deadline
#   assert_files_equal, assert_status, assert_stderr_empty, vlog_* helpers
# Everything runs under LC_ALL=C so sort and grep work on bytes.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

export LC_ALL=C
ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
: "${PROCPOOL:=$ROOT/build/procpool}"
: "${WORKERS_BIN:=$ROOT/build/tests/workers}"
WORKERS=$ROOT/tests/workers
# Seconds before a procpool run counts as hung (timeout exits 124).
: "${PP_TIMEOUT:=60}"

setup() {
	[[ -x $PROCPOOL ]] || fail "procpool not found at $PROCPOOL (build it first)"
	[[ -x $WORKERS_BIN/upper ]] || fail "workers not found in $WORKERS_BIN (build first)"
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/procpool-test.XXXXXX")
	BG_PIDS=()
}

teardown() {
	local pid f
	# Background procpools this test started and did not wait for.
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	# Workers that recorded themselves with pidfile.sh and outlived the test.
	for f in "$T"/pids/*; do
		if [[ -e $f ]]; then kill -KILL "${f##*/}" 2>/dev/null || true; fi
	done
	rm -rf "$T"
}

# pp ARG...: run procpool, killed if it runs longer than $PP_TIMEOUT. A
# hang is reported on stderr and sets PP_HUNG=1 (procpool may exit 124 on
# its own, so timeout's status alone cannot tell).
pp() {
	local start=$SECONDS st=0
	PP_HUNG=0
	timeout -k 5 "$PP_TIMEOUT" "$PROCPOOL" "$@" || st=$?
	if ((st == 124 && SECONDS - start >= PP_TIMEOUT)); then
		PP_HUNG=1
		echo "procpool hung, killed after ${PP_TIMEOUT}s: procpool $*" >&2
	fi
	return "$st"
}

# ppio IN ARG...: pp with stdin from file IN, stdout to $T/out, stderr to
# $T/err; sets $status. Files keep NULs and trailing newlines intact.
ppio() {
	local in=$1
	shift
	status=0
	pp "$@" <"$in" >"$T/out" 2>"$T/err" || status=$?
	if ((PP_HUNG)); then
		fail "procpool hung (killed after ${PP_TIMEOUT}s): procpool $*"
	fi
}

# pp_bg IN ARG...: start procpool in the background (stdin from IN, which
# may be a FIFO; stdout $T/out, stderr $T/err); its pid is in $PP_PID.
pp_bg() {
	local in=$1
	shift
	# 3>&-: bats' own output fd must not leak into long-lived processes.
	# A script's '&' starts a job with SIGINT ignored, and procpool keeps
	# it so (as nohup expects); a user at a terminal has it by default.
	env --default-signal=INT "$PROCPOOL" "$@" <"$in" >"$T/out" 2>"$T/err" 3>&- &
	PP_PID=$!
	BG_PIDS+=("$PP_PID")
}

# pp_wait: wait (with a deadline) for the procpool started by pp_bg; sets
# $status to its exit status.
pp_wait() {
	wait_for "$PP_TIMEOUT" pid_is_gone_or_zombie "$PP_PID"
	status=0
	wait "$PP_PID" || status=$?
	# Reaped: teardown must not signal this pid (it may be reused).
	local pid keep=()
	for pid in "${BG_PIDS[@]}"; do
		[[ $pid == "$PP_PID" ]] || keep+=("$pid")
	done
	BG_PIDS=("${keep[@]}")
}

# pid_is_gone PID: true if no process PID exists (a zombie still counts
# as existing: it has not been reaped).
pid_is_gone() {
	! kill -0 "$1" 2>/dev/null
}

# pid_is_gone_or_zombie PID: true once PID has exited, reaped or not.
pid_is_gone_or_zombie() {
	pid_is_gone "$1" && return 0
	[[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]
}

# wait_for SECS CMD...: run CMD every 50ms until it succeeds; fail the test
# if it has not succeeded after SECS seconds (integer).
wait_for() {
	local limit=$1
	shift
	local deadline=$((SECONDS + limit))
	until "$@"; do
		if ((SECONDS > deadline)); then
			fail "gave up after ${limit}s waiting for: $*"
			return 1
		fi
		sleep 0.05
	done
}

# assert_status N: $status is N; on failure show procpool's stderr.
assert_status() {
	if [[ $status != "$1" ]]; then
		fail "$(printf 'expected exit status %s, got %s\nstderr (head):\n%s' \
			"$1" "$status" "$(head -c 2000 "$T/err" 2>/dev/null)")"
	fi
}

# assert_stderr_empty: procpool wrote nothing to $T/err.
assert_stderr_empty() {
	if [[ -s $T/err ]]; then
		fail "$(printf 'expected empty stderr, got:\n%s' "$(head -c 2000 "$T/err")")"
	fi
}

# assert_files_equal EXPECTED ACTUAL [WHAT]: byte-identical files; on
# failure show where they first differ and the differing lines.
assert_files_equal() {
	local what=${3:-output}
	cmp -s "$1" "$2" && return 0
	fail "$(
		echo "$what differs from expected ($1 vs $2)"
		echo "sizes: expected $(wc -c <"$1"), actual $(wc -c <"$2") bytes"
		cmp "$1" "$2" 2>&1 | head -1
		diff -a "$1" "$2" | head -c 1500 | cat -v | head -20
		echo "stderr (head):"
		head -c 1000 "$T/err" 2>/dev/null
	)"
}

# assert_file_content FILE PRINTF-FORMAT [ARG...]: FILE holds exactly the
# bytes printf would produce (so \0 and \t are easy to write).
assert_file_content() {
	local file=$1
	shift
	# shellcheck disable=SC2059
	printf -- "$@" >"$T/expected"
	assert_files_equal "$T/expected" "$file"
}

# assert_same_multiset EXPECTED ACTUAL [-z]: same multiset of lines (or NUL records).
assert_same_multiset() {
	sort ${3:+"$3"} "$1" >"$T/sorted.expected"
	sort ${3:+"$3"} "$2" >"$T/sorted.actual"
	assert_files_equal "$T/sorted.expected" "$T/sorted.actual" "sorted output"
}

# gen SEED COUNT KIND [final]: write COUNT random records to stdout,
# deterministic in SEED. With final=0 the last terminator is dropped.
# KIND:
#   text   printable ASCII lines (incl. spaces, tabs), ~15% empty
#   bytes  any byte but \n and NUL (CR, controls, 0x80-0xff included)
#   bytes0 any byte but \n (NUL included)
#   long   lines of 1 MiB of letters, with a few short ones between
#   b64    lines that are base64 of random binary (any byte), some empty
#   bin0   NUL-terminated records of any byte but NUL (\n included)
gen() {
	python3 - "$@" <<'EOF'
import base64, random, sys
seed, count, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
final = len(sys.argv) < 5 or sys.argv[4] != "0"
r = random.Random(seed)
out = sys.stdout.buffer

def size(cap):
    x = r.random()
    if x < 0.12: return 0
    if x < 0.95: return r.randint(1, 60)
    return r.randint(61, cap)

def rand_bytes(n, banned):
    allowed = [b for b in range(256) if b not in banned]
    return bytes(r.choice(allowed) for _ in range(n))

printable = [c for c in range(0x20, 0x7f)] + [9]
recs, sep = [], b"\n"
for i in range(count):
    if kind == "text":
        recs.append(bytes(r.choice(printable) for _ in range(size(300))))
    elif kind == "bytes":
        recs.append(rand_bytes(size(300), {0, 10}))
    elif kind == "bytes0":
        recs.append(rand_bytes(size(300), {10}))
    elif kind == "long":
        n = 1 << 20 if i % 2 == 0 else r.randint(0, 20)
        recs.append(bytes(r.choice(b"abcdefgHIJ xyz") for _ in range(64)) * (n // 64) + b"q" * (n % 64))
    elif kind == "b64":
        recs.append(base64.b64encode(rand_bytes(size(3000), set())))
    elif kind == "bin0":
        sep = b"\0"
        recs.append(rand_bytes(size(3000), {0}))
    else:
        sys.exit("gen: unknown kind " + kind)
data = b"".join(rec + sep for rec in recs)
if not final and data:
    data = data[:-1]
out.write(data)
EOF
}

# expect_rev SEP < IN: each record (split on SEP: "nl" or "nul", the last
# one possibly unterminated) with its bytes reversed, each followed by SEP.
expect_rev() {
	python3 -c '
import sys
sep = b"\n" if sys.argv[1] == "nl" else b"\0"
data = sys.stdin.buffer.read()
recs = data.split(sep)
if data.endswith(sep) or not data:
    recs.pop()
sys.stdout.buffer.write(b"".join(rec[::-1] + sep for rec in recs))
' "$1"
}

# cpus: number of online CPUs, as procpool's default --jobs sees it.
cpus() {
	getconf _NPROCESSORS_ONLN
}

# Verbose log (-v) helpers, reading $T/err.
VLOG_PREFIX='^procpool: [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} worker [0-9]+ '

# vlog_count EVENT-REGEX: number of -v lines whose event matches.
vlog_count() {
	grep -cE "${VLOG_PREFIX}$1\$" "$T/err" || true
}

# vlog_pids EVENT-REGEX: worker pids of the -v lines whose event matches.
vlog_pids() {
	grep -E "${VLOG_PREFIX}$1\$" "$T/err" | awk '{print $4}' || true
}

# vlog_count_at_least N EVENT-REGEX: for wait_for.
vlog_count_at_least() {
	(($(vlog_count "$2") >= $1))
}

# assert_vlog_count N EVENT-REGEX: exactly N such -v lines.
assert_vlog_count() {
	local n
	n=$(vlog_count "$2")
	if ((n != $1)); then
		fail "$(printf 'expected %s -v lines matching "%s", got %s; stderr:\n%s' \
			"$1" "$2" "$n" "$(head -c 3000 "$T/err")")"
	fi
}

# max_alive: the largest N in "(N alive)" among the -v lines.
max_alive() {
	grep -oE '\([0-9]+ alive(, slot [0-9]+)?\)$' "$T/err" | sed -E 's/, slot [0-9]+//' | tr -dc '0-9\n' | sort -n | tail -1
}

# pidfiles_dir: a fresh directory for pidfile.sh; prints its path.
pidfiles_dir() {
	mkdir -p "$T/pids"
	echo "$T/pids"
}

# assert_workers_gone DIR: every pid recorded by pidfile.sh in DIR names no
# process (not running, not an unreaped zombie). Expects at least one.
assert_workers_gone() {
	local f pid n=0 alive=()
	for f in "$1"/*; do
		[[ -e $f ]] || continue
		pid=${f##*/}
		n=$((n + 1))
		if ! pid_is_gone "$pid"; then
			alive+=("$pid($(awk '{print "state " $3 ", ppid " $4}' "/proc/$pid/stat" 2>/dev/null))")
		fi
	done
	((n > 0)) || fail "no worker recorded its pid in $1"
	((${#alive[@]} == 0)) || fail "workers still exist after procpool exited: ${alive[*]}
(state Z with ppid 1: the worker exited but procpool never reaped it and
this container's init does not either; any other state: still running)"
}
