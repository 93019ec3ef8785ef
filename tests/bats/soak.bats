#!/usr/bin/env bats
# Soak: 3000 random tasks through f_soak, which (by a hash of the task)
# crashes on some tasks every time, crashes on others only the first time,
# and hangs on a few (--timeout 1s). With --retries 1, every record must end
# exactly once: its result on stdout, or one final "record N:" failure line
# on stderr, as predicted from the hash; and the joblog has exactly one row
# per record. SOAK_SEED picks other inputs (the seed is shown on failure).

load '../helper'

: "${SOAK_SEED:=20240611}"

# soak_input SEED COUNT: COUNT unique tasks "tN-WORD" (WORD random letters).
soak_input() {
	python3 - "$1" "$2" <<'EOF'
import random, sys
r = random.Random(int(sys.argv[1]))
for i in range(1, int(sys.argv[2]) + 1):
    word = "".join(r.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(r.randint(0, 30)))
    print("t%d-%s" % (i, word))
EOF
}

# soak_check ORDERED STATUS: check $T/out, $T/err (and $T/log if present)
# against what f_soak does with each record of $T/in. Prints problems.
soak_check() {
	python3 - "$1" "$2" "$T/in" "$T/out" "$T/err" "$T/log" <<'EOF'
import collections, os, re, sys
ordered, status = sys.argv[1] == "ordered", int(sys.argv[2])
inp, out, err, log = sys.argv[3:]

def fnv1a(b):
    h = 2166136261
    for c in b:
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h

def kind(task):
    h = fnv1a(task)
    if h % 100 == 0:
        return "crash"
    if h % 400 == 7:
        return "hang"
    if h % 60 == 1:
        return "flaky"
    return "ok"

tasks = open(inp, "rb").read().split(b"\n")[:-1]
kinds = [kind(t) for t in tasks]
problems = []
def want(cond, what):
    if not cond and len(problems) < 20:
        problems.append(what)

# stdout: the results of the ok and flaky records, each once.
expected = [b"ok " + t for t, k in zip(tasks, kinds) if k in ("ok", "flaky")]
got = open(out, "rb").read().split(b"\n")[:-1]
if ordered:
    want(got == expected, "stdout is not the expected results in order "
         "(%d lines, expected %d)" % (len(got), len(expected)))
else:
    c_got, c_exp = collections.Counter(got), collections.Counter(expected)
    want(c_got == c_exp, "stdout multiset differs: missing %s, extra %s" % (
        list((c_exp - c_got).elements())[:5], list((c_got - c_exp).elements())[:5]))

# stderr: one retry line per crash, hang and flaky record; one final line
# per crash and hang record; nothing else.
retry = re.compile(rb"^procpool: record (\d+): (.*); retrying \(attempt 2 of 2\); input '(.*)'$")
final = re.compile(rb"^procpool: record (\d+): (.*); input '(.*)'$")
crash_cause = re.compile(rb"^worker \d+ killed by signal SIGSEGV$")
hang_cause = re.compile(rb"^timed out after 1s \(worker \d+ killed by signal SIG(TERM|KILL)\)$")
retries, finals = collections.Counter(), collections.Counter()
for line in open(err, "rb").read().split(b"\n")[:-1]:
    m = retry.match(line) or final.match(line)
    if not m:
        want(False, "unexpected stderr line: %r" % line)
        continue
    n = int(m.group(1))
    if not 1 <= n <= len(tasks):
        want(False, "record number out of range: %r" % line)
        continue
    k = kinds[n - 1]
    cause_ok = (hang_cause if k == "hang" else crash_cause).match(m.group(2))
    want(cause_ok, "record %d (%s): unexpected cause: %r" % (n, k, line))
    want(tasks[n - 1].startswith(m.group(3)[:20]), "record %d: wrong input shown: %r" % (n, line))
    (retries if m.re is retry else finals)[n] += 1
for n, k in enumerate(kinds, 1):
    want(retries[n] == (0 if k == "ok" else 1),
         "record %d (%s): %d retry lines" % (n, k, retries[n]))
    want(finals[n] == (1 if k in ("crash", "hang") else 0),
         "record %d (%s): %d final failure lines" % (n, k, finals[n]))

n_failed = sum(k in ("crash", "hang") for k in kinds)
want(status == min(n_failed, 101), "exit status %d, expected %d" % (status, min(n_failed, 101)))

# joblog: exactly one row per record, with the predicted outcome.
if os.path.exists(log):
    rows = open(log, "rb").read().split(b"\n")
    want(rows[0] == b"Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand"
         b"\tSlot\tAttempts\tOutcome", "joblog header")
    seen = collections.Counter()
    want_outcome = {"ok": (b"1", b"ok"), "flaky": (b"2", b"ok"),
                    "crash": (b"2", b"signal SIGSEGV"), "hang": (b"2", b"timeout")}
    for row in rows[1:-1]:
        f = row.split(b"\t")
        want(len(f) == 12, "joblog row with %d fields: %r" % (len(f), row))
        if len(f) != 12:
            continue
        n = int(f[0])
        seen[n] += 1
        k = kinds[n - 1]
        want((f[10], f[11]) == want_outcome[k], "joblog row for record %d (%s): %r" % (n, k, row))
        want(f[8] == tasks[n - 1], "joblog row for record %d: input %r" % (n, f[8]))
    want(rows[-1] == b"", "joblog does not end with a newline")
    bad = [n for n in range(1, len(tasks) + 1) if seen[n] != 1]
    want(not bad, "records without exactly one joblog row: %s" % bad[:10])

counts = collections.Counter(kinds)
want(counts["crash"] >= 5 and counts["flaky"] >= 5 and counts["hang"] >= 1,
     "the input exercises too little: %s" % dict(counts))
print("\n".join(problems))
EOF
}

@test "soak: 3000 random tasks, crashes, flaky crashes and hangs; --retries 1 -k --joblog" {
	soak_input "$SOAK_SEED" 3000 >"$T/in"
	mkdir "$T/marks"
	ppio "$T/in" -k -j 3 --retries 1 --timeout 1s --kill-grace 1s --joblog "$T/log" -- \
		"$WORKERS_BIN/f_soak" "$T/marks"
	run soak_check ordered "$status"
	[[ -z $output ]] || fail "SOAK_SEED=$SOAK_SEED:
$output"
}

@test "soak: the same without -k on 4 workers: the same multiset of results" {
	soak_input "$((SOAK_SEED + 1))" 3000 >"$T/in"
	mkdir "$T/marks"
	ppio "$T/in" -j 4 --retries 1 --timeout 1s --kill-grace 1s -- "$WORKERS_BIN/f_soak" "$T/marks"
	run soak_check unordered "$status"
	[[ -z $output ]] || fail "SOAK_SEED=$((SOAK_SEED + 1)):
$output"
}
