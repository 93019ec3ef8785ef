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

# tasks_of NAME: the tasks column (records each run took) of row NAME.
tasks_of() {
	row "$1" | sed -nE 's/^[a-z ,-]+-j[0-9]+ +([0-9]+) +[0-9]+ \(.*/\1/p'
}

# assert_tasks_between NAME LO HI: row NAME ran LO to HI tasks.
assert_tasks_between() {
	local n
	n=$(tasks_of "$1")
	[[ $n =~ ^[0-9]+$ ]] && ((n >= $2 && n <= $3)) ||
		fail "'$1' ran '$n' tasks, not $2 to $3: $(cat "$T/out")"
}

@test "--bench: a header, one row per configuration, identical results, exit 0" {
	seq 40 >"$T/in"
	ppio "$T/in" --bench --bench-runs 2 --bench-jobs 1,2 -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_stderr_empty
	run cat "$T/out"
	assert_line --index 0 "procpool --bench: 40 tasks, 2 runs each; median (min-max)"
	assert_line --index 1 "command: $WORKERS_BIN/upper"
	assert_line --index 2 --regexp '^configuration +tasks +tasks/s +p50 +p99 +cpu/task +speedup +results$'
	assert_equal "${#lines[@]}" 7
	# Names, in order, and the verdict at the end of each row.
	run sh -c "sed -n '5,\$p' '$T/out' | sed -E 's/ {2,}.* ([A-Za-z]+)\$/|\\1/'"
	assert_output "process per task, -j1|reference
process per task, -j2|identical
one reused worker, -j1|identical
pool, -j2|identical"
	# Each row: tasks, rate (min-max), p50, p99, cpu per task, speedup.
	run grep -cvE '^[a-z ,-]+[0-9] +40 +[0-9]+ \([0-9]+-[0-9]+\) +[0-9.]+[mun]?s +[0-9.]+[mun]?s +[0-9.]+[mun]?s +[0-9]+\.[0-9]x  [a-z]+$' <(sed -n '5,$p' "$T/out")
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
	run sh -c "sed -n '5,\$p' '$T/out' | grep -c ' TASKS FAILED\$'"
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
want([c["tasks"] for c in confs] == [30] * 4, "tasks %s" % [c["tasks"] for c in confs])
want([c["interrupted"] for c in confs] == [False] * 4, "interrupted")
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

@test "--bench: a slow start-up makes per-task rows run a sample; the reused worker runs every task" {
	seq 200 >"$T/in"
	# 0.1s per start: 200 processes would take 20s a run.
	ppio "$T/in" --bench --bench-runs 2 --bench-jobs 1 -- "$WORKERS/f_slowstart.sh" 0.1
	assert_status 0
	# About a second's worth; the bounds only show that a sample ran.
	assert_tasks_between 'process per task, -j1' 1 50
	run tasks_of 'one reused worker, -j1'
	assert_output 200
	# The sample's results are checked against the same records' results.
	run row 'process per task, -j1'
	assert_output --regexp ' reference$'
	run row 'one reused worker, -j1'
	assert_output --regexp ' identical$'
	run tail -2 "$T/out"
	assert_output "sampled: a row with fewer tasks than the input ran only its first ones (a whole run would be slow);
results are compared with the reference on the tasks both ran"
}

@test "--bench: slow tasks make every row run a sample" {
	seq 300 >"$T/in"
	# 50ms a task: 15s a run at -j1.
	ppio "$T/in" --bench --bench-runs 1 --bench-jobs 1 -- "$WORKERS_BIN/sleepy" 0.05
	assert_status 0
	assert_tasks_between 'process per task, -j1' 1 100
	assert_tasks_between 'one reused worker, -j1' 1 100
	run row 'one reused worker, -j1'
	assert_output --regexp ' identical$'
}

@test "--bench: one process per task runs 300 tasks at most" {
	seq 400 >"$T/in"
	ppio "$T/in" --bench --bench-runs 1 --bench-jobs 1,2 -- "$WORKERS_BIN/upper"
	assert_status 0
	assert_tasks_between 'process per task, -j1' 1 300
	assert_tasks_between 'process per task, -j2' 1 300
	run tasks_of 'pool, -j2'
	assert_output 400
	run grep -c ' identical$' "$T/out"
	assert_output 3
}

@test "--bench: a sampled reference still shows a worker that answers differently when reused" {
	seq 100 >"$T/in"
	ppio "$T/in" --bench --bench-runs 1 --bench-jobs 1 -- sh -c 'sleep 0.1; exec "$0"' "$WORKERS_BIN/f_counter"
	assert_status 1
	assert_tasks_between 'process per task, -j1' 1 99
	run row 'one reused worker, -j1'
	assert_output --regexp ' 100 .* DIFFERENT$'
}

@test "--bench refuses options it cannot apply: exit 125, one line naming the option" {
	seq 3 >"$T/in"
	local -a cases=(
		"--joblog $T/log|--joblog cannot be used with --bench: --bench runs every task many times (--bench-json FILE records every run)"
		"--joblog $T/log --resume|--resume cannot be used with --bench: it skips tasks, and every configuration must run the same ones"
		"--joblog $T/log --resume-failed|--resume-failed cannot be used with --bench: it skips tasks, and every configuration must run the same ones"
		"--halt soon,fail=1|--halt cannot be used with --bench: a configuration stopped early cannot be compared with the others"
		"--progress|--progress cannot be used with --bench: --bench makes many short runs (-v names each configuration as it starts)"
		"--stats|--stats cannot be used with --bench: the --bench table shows the statistics of every configuration"
		"--stats-json $T/s.json|--stats-json cannot be used with --bench: --bench-json FILE writes the measurements of every run"
		"--total 3|--total cannot be used with --bench: it is for --progress, and --bench counts its input itself"
	)
	local case opts
	for case in "${cases[@]}"; do
		read -ra opts <<<"${case%%|*}"
		ppio "$T/in" --bench "${opts[@]}" -- "$WORKERS/pidfile.sh" "$(pidfiles_dir)"
		assert_status 125
		assert_file_content "$T/err" 'procpool: %s\n' "${case#*|}"
		[[ ! -s $T/out ]] || fail "${opts[*]}: output $(cat "$T/out")"
		[[ ! -e $T/log && ! -e $T/s.json ]] || fail "${opts[*]}: wrote a file"
		[[ -z $(ls "$T/pids") ]] || fail "${opts[*]}: started a worker"
	done
}

@test "--bench applies --retries: a worker dying at its 3rd task fails tasks without it, not with it" {
	seq 10 >"$T/in"
	ppio "$T/in" --bench --bench-runs 1 --bench-jobs 1 --depth 1 -- "$WORKERS_BIN/f_crashk" 3
	assert_status 1
	run row 'one reused worker, -j1'
	assert_output --regexp ' TASKS FAILED$'
	ppio "$T/in" --bench --bench-runs 1 --bench-jobs 1 --depth 1 --retries 1 -- "$WORKERS_BIN/f_crashk" 3
	assert_status 0
	run row 'one reused worker, -j1'
	assert_output --regexp ' identical$'
}

@test "--bench applies -0 and --min" {
	printf 'a\0b\0c\0' >"$T/in"
	ppio "$T/in" --bench -0 --bench-runs 1 --bench-jobs 1 -- "$WORKERS_BIN/upper"
	assert_status 0
	run head -1 "$T/out"
	assert_output "procpool --bench: 3 tasks, 1 run each; median (min-max)"
	# One task, -m 2: the pool starts its second worker anyway.
	echo x >"$T/in"
	ppio "$T/in" --bench -v -m 2 --bench-runs 1 --bench-jobs 2 -- "$WORKERS_BIN/upper"
	assert_status 0
	run sh -c "sed -n '/bench: pool, -j2\$/,\$p' '$T/err' | grep -cE ' worker [0-9]+ started'"
	assert_output 2
}

@test "--bench: the command on one line, quoted as a shell needs it" {
	seq 3 >"$T/in"
	local script=$'while IFS= read -r l; do\n\tprintf \'%s\\n\' "$l"\ndone'
	ppio "$T/in" --bench --bench-runs 1 --bench-jobs 1 -- sh -c "$script" "it's" 'a b' '*' '' $'\x01'
	assert_status 0
	run sed -n 2p "$T/out"
	assert_output "command: sh -c \$'while IFS= read -r l; do\\n\\tprintf \\'%s\\\\n\\' \"\$l\"\\ndone' 'it'\\''s' 'a b' '*' '' \$'\\x01'"
	# A shell reads it back as the same arguments.
	local -a args
	eval "args=(${output#command: })"
	assert_equal "${#args[@]}" 8
	assert_equal "${args[2]}" "$script"
	assert_equal "${args[3]}" "it's"
	assert_equal "${args[4]}" 'a b'
	assert_equal "${args[5]}" '*'
	assert_equal "${args[6]}" ''
	assert_equal "${args[7]}" $'\x01'
	assert_equal "$(wc -l <"$T/out")" 6
	# A long command is cut.
	ppio "$T/in" --bench --bench-runs 1 --bench-jobs 1 -- sh -c cat "$(printf 'x%.0s' {1..300})"
	run sed -n 2p "$T/out"
	assert_output --regexp '^command: sh -c cat x+\.\.\.$'
	((${#output} <= 110)) || fail "${#output} columns: $output"
}

# interrupt SIG STATUS: --bench on slow tasks gets SIG once the second
# configuration has started; it exits with STATUS, and its table holds the
# first row and the interrupted one.
interrupt() {
	seq 50 >"$T/in"
	pp_bg "$T/in" --bench -v --bench-runs 1 --bench-jobs 1,2 -- "$WORKERS_BIN/sleepy" 0.2
	wait_for 30 grep -q 'bench: process per task, -j2$' "$T/err"
	kill "-$1" "$PP_PID"
	pp_wait
	assert_status "$2"
	run sed -n '5,$p' "$T/out"
	assert_line --index 0 --regexp '^process per task, -j1 .* reference$'
	assert_line --index 1 --regexp '^process per task, -j2 .* interrupted$'
	assert_equal "$(grep -cE '^(one reused worker|pool), ' "$T/out")" 0
	run tail -1 "$T/out"
	assert_output "interrupted by $1 during 'process per task, -j2': the table shows what had completed"
}

@test "--bench: SIGINT prints the table of what completed, exit 130" {
	interrupt SIGINT 130
}

@test "--bench: SIGTERM prints the table of what completed, exit 143" {
	interrupt SIGTERM 143
}
