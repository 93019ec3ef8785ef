#!/usr/bin/env bats
# Worker slots: each live worker has a slot number, 0-based, unique among
# the live ones, the lowest free, reused by its replacement once the old
# worker is gone; as PROCPOOL_SLOT, PROCPOOL_JOBS and {%} in COMMAND's
# arguments, and optionally one CPU per slot. And --max-tasks-jitter.

load '../helper'

# SLOT_WORKER: answers each task with "SLOT PID TASK".
SLOT_WORKER='while read -r l; do echo "$PROCPOOL_SLOT $$ $l"; done'

@test "slots stay within -j and no two live workers share one, across --max-tasks replacements and crashes" {
	seq 300 >"$T/in"
	# Every third worker dies on its 5th task (its task runs again); the
	# others are replaced after 7 tasks.
	ppio "$T/in" -v -j3 --depth 1 --max-tasks 7 --retries 20 -- sh -c '
		n=0
		while read -r l; do
			n=$((n + 1))
			[ $n = 5 ] && [ $(($$ % 3)) = 0 ] && exit 1
			echo "$PROCPOOL_SLOT $$ $l"
		done'
	assert_status 0
	assert_equal "$(awk '{print $3}' "$T/out" | sort -n | uniq | wc -l)" 300
	(($(grep -c 'retrying' "$T/err") >= 1)) || fail "no worker crashed"
	# Replay the -v log: a worker holds its slot from its start to its exit.
	awk '
		/ started \(/ { pid = $4; slot = $NF; sub(/\)/, "", slot); if (slot in live) bad = bad " slot " slot " twice"; live[slot] = pid; owner[pid] = slot; if (slot + 0 >= 3) bad = bad " slot " slot " >= -j" }
		/ (exited with status|killed by signal) / { pid = $4; delete live[owner[pid]] }
		END { print bad ? bad : "ok" }' "$T/err" >"$T/check"
	assert_file_content "$T/check" 'ok\n'
	# Each answer came from a worker in the slot the log gave it.
	awk '{print $1}' "$T/out" | sort -u >"$T/slots"
	assert_file_content "$T/slots" '0\n1\n2\n'
	(($(grep -c ' started (' "$T/err") >= 40)) || fail "workers were not replaced"
}

@test "a replacement takes the slot of the worker it replaces" {
	seq 20 >"$T/in"
	ppio "$T/in" -k -j1 --depth 1 --max-tasks 4 -- sh -c "$SLOT_WORKER"
	assert_status 0
	# Five workers in turn, every one in slot 0.
	assert_equal "$(awk '{print $1}' "$T/out" | sort -u)" 0
	assert_equal "$(awk '{print $2}' "$T/out" | sort -u | wc -l)" 5
}

@test "{%} in COMMAND's arguments is the slot; PROCPOOL_JOBS is the -j cap" {
	printf 'a\nb\n' >"$T/in"
	ppio "$T/in" -k -j2 --depth 1 -- sh -c 'while read -r l; do echo "$0 $PROCPOOL_JOBS $l"; sleep 0.2; done' 'cuda:{%}x{%}'
	assert_status 0
	sort "$T/out" >"$T/sorted"
	assert_file_content "$T/sorted" 'cuda:0x0 2 a\ncuda:1x1 2 b\n'
}

@test "--pin-slots with --cpus: slot k runs on the k-th CPU of the list alone" {
	(($(nproc) >= 2)) || skip "needs 2 CPUs"
	printf 'a\nb\n' >"$T/in"
	ppio "$T/in" -j2 --depth 1 --cpus 0-1 --pin-slots -- sh -c \
		'while read -r l; do echo "$PROCPOOL_SLOT $(awk "/^Cpus_allowed_list/ {print \$2}" /proc/self/status)"; sleep 0.2; done'
	assert_status 0
	sort "$T/out" >"$T/sorted"
	assert_file_content "$T/sorted" '0 0\n1 1\n'
	# Without --pin-slots every worker gets the whole list.
	ppio "$T/in" -j2 --depth 1 --cpus 0-1 -- sh -c \
		'while read -r l; do echo "$(awk "/^Cpus_allowed_list/ {print \$2}" /proc/self/status)"; sleep 0.2; done'
	assert_file_content "$T/out" '0-1\n0-1\n'
}

@test "--pin-slots needs --cpus; --max-tasks-jitter needs --max-tasks" {
	run "$PROCPOOL" --pin-slots -- cat
	assert_equal "$status" 125
	assert_line --index 0 'procpool: --pin-slots needs --cpus LIST'
	run "$PROCPOOL" --max-tasks-jitter 5 -- cat
	assert_equal "$status" 125
	assert_line --index 0 'procpool: --max-tasks-jitter needs --max-tasks N'
}

@test "--max-tasks-jitter: workers retire after N to N+J tasks, not all after the same" {
	seq 400 >"$T/in"
	ppio "$T/in" -v -j1 --depth 1 --max-tasks 5 --max-tasks-jitter 20 -- sh -c "$SLOT_WORKER"
	assert_status 0
	sed -nE 's/.* retired after ([0-9]+) tasks$/\1/p' "$T/err" >"$T/counts"
	(($(wc -l <"$T/counts") >= 15)) || fail "too few retirements: $(wc -l <"$T/counts")"
	awk '$1 < 5 || $1 > 25 {print "out of range: " $1}' "$T/counts" >"$T/bad"
	assert_file_content "$T/bad" ''
	(($(sort -u "$T/counts" | wc -l) >= 3)) || fail "retirements not spread: $(sort -u "$T/counts" | tr '\n' ' ')"
}

@test "--stats-json: tasks and workers per slot" {
	seq 10 >"$T/in"
	ppio "$T/in" -j1 --depth 1 --max-tasks 5 --stats-json "$T/s.json" -- sh -c "$SLOT_WORKER"
	assert_status 0
	run jq -c .slots "$T/s.json"
	assert_output '[{"slot":0,"workers":2,"tasks":10}]'
}
