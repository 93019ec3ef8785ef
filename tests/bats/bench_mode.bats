#!/usr/bin/env bats
# --bench: the same tasks run as a process per task (-j1 and the largest
# --bench-jobs), through one reused worker, and through pools; a table on
# stdout compares speed and whether every configuration wrote the same
# results as the first (the reference).

load '../helper'

# row NAME: the table row for configuration NAME (from $T/out).
row() {
	grep -E "^$1 {2,}" "$T/out"
}

@test "--bench: a header, one row per configuration, identical results, exit 0" {
	seq 40 >"$T/in"
	ppio "$T/in" --bench --bench-runs 2 --bench-jobs 1,2 -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_stderr_empty
	run cat "$T/out"
	assert_line --index 0 "procpool --bench: 40 tasks through '$WORKERS_BIN/upper', 2 runs each; median (min-max)"
	assert_line --index 1 --regexp '^configuration +tasks/s +p50 +p99 +cpu +speedup +results$'
	assert_equal "${#lines[@]}" 6
	# Names, in order, and the verdict at the end of each row.
	run sh -c "sed -n '4,\$p' '$T/out' | sed -E 's/ {2,}.* ([A-Za-z]+)\$/|\\1/'"
	assert_output "process per task, -j1|reference
process per task, -j2|identical
one reused worker, -j1|identical
pool, -j2|identical"
	# Each row: rate (min-max), p50, p99, cpu, speedup.
	run grep -cvE '^[a-z ,-]+[0-9] +[0-9]+ \([0-9]+-[0-9]+\) +[0-9.]+[mun]?s +[0-9.]+[mun]?s +[0-9.]+[mun]?s +[0-9]+\.[0-9]x  [a-z]+$' <(sed -n '4,$p' "$T/out")
	assert_output 0
	run row 'process per task, -j1'
	assert_output --partial ' 1.0x  reference'
}

@test "--bench: a worker that answers differently when reused shows DIFFERENT, exit 1" {
	seq 20 >"$T/in"
	ppio "$T/in" --bench --bench-runs 2 --bench-jobs 1,2 -- "$WORKERS_BIN/f_counter"
	assert_status 1
	run row 'process per task, -j1'
	assert_output --regexp ' reference$'
	run row 'process per task, -j2'
	assert_output --regexp ' identical$'
	run row 'one reused worker, -j1'
	assert_output --regexp ' DIFFERENT$'
	run row 'pool, -j2'
	assert_output --regexp ' DIFFERENT$'
	run tail -2 "$T/out"
	assert_output "
not every configuration wrote the same results: a worker that answers differently when reused, or tasks that failed, is worth a look"
}

@test "--bench: failing tasks show TASKS FAILED, exit 1" {
	printf 'a\nexit 3\nb\n' >"$T/in"
	ppio "$T/in" --bench --bench-runs 1 --bench-jobs 2 -- "$WORKERS_BIN/f_faulty"
	assert_status 1
	run sh -c "sed -n '4,\$p' '$T/out' | grep -c ' TASKS FAILED\$'"
	# process per task -j1 and -j2, pool -j2.
	assert_output 3
	run tail -1 "$T/out"
	assert_output --partial "not every configuration wrote the same results"
}

@test "--bench-json: configurations[].runs[] with wall_ns, cpu_ns, p50_ns, p99_ns, failed, identical" {
	seq 30 >"$T/in"
	ppio "$T/in" --bench --bench-runs 2 --bench-jobs 1,2 --bench-json "$T/b.json" -- "$WORKERS_BIN/upper"
	assert_status 0
	run python3 - "$T/b.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
problems = []
def want(cond, what):
    if not cond:
        problems.append(what)
want(d.get("tasks") == 30, "tasks %s" % d.get("tasks"))
confs = d["configurations"]
want([c["name"] for c in confs] == ["process per task, -j1", "process per task, -j2",
                                    "one reused worker, -j1", "pool, -j2"],
     "names %s" % [c["name"] for c in confs])
want([c["jobs"] for c in confs] == [1, 2, 1, 2], "jobs")
want([c["per_task"] for c in confs] == [True, True, False, False], "per_task")
for c in confs:
    want(len(c["runs"]) == 2, "%s: %d runs" % (c["name"], len(c["runs"])))
    for r in c["runs"]:
        want(set(r) == {"wall_ns", "cpu_ns", "p50_ns", "p99_ns", "failed", "identical"},
             "%s: keys %s" % (c["name"], sorted(r)))
        want(r["wall_ns"] > 0 and r["cpu_ns"] >= 0, "%s: times %s" % (c["name"], r))
        want(0 < r["p50_ns"] <= r["p99_ns"], "%s: percentiles %s" % (c["name"], r))
        want(r["failed"] == 0 and r["identical"] is True, "%s: %s" % (c["name"], r))
print("\n".join(problems))
EOF
	assert_output ""
}

@test "--bench-json records DIFFERENT runs as identical: false" {
	seq 10 >"$T/in"
	ppio "$T/in" --bench --bench-runs 1 --bench-jobs 1 --bench-json "$T/b.json" -- "$WORKERS_BIN/f_counter"
	assert_status 1
	run python3 -c '
import json, sys
for c in json.load(open(sys.argv[1]))["configurations"]:
    print(c["name"], [r["identical"] for r in c["runs"]])
' "$T/b.json"
	assert_output "process per task, -j1 [True]
one reused worker, -j1 [False]"
}
