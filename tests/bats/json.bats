#!/usr/bin/env bats
# --json: one JSON object per line for every task, failed ones in-band.
# Every line parses (jq, and python3's strict json module), every key is
# there with its type, text stays text and other bytes come back exactly
# through the documented jq recipe, -k keeps input order, -0 and -b still
# give JSON lines.

load '../helper'

KEYS='["attempts","error","host","input","input_base64","output","output_base64","pid","runtime","seq","slot","start","status"]'

# jq_all FILTER: FILTER holds for every line of $T/out (and there is one).
jq_all() {
	run jq -se "length > 0 and all(.[]; $1)" "$T/out"
	assert_success
	assert_output true
}

# Every line of $T/out is one JSON object for python3's strict parser, and
# the whole output is valid UTF-8.
assert_json_lines() {
	run python3 -c '
import json, sys
data = open(sys.argv[1], "rb").read()
assert data.endswith(b"\n"), "no final newline"
for n, line in enumerate(data.decode("utf-8").split("\n")[:-1], 1):
    obj = json.loads(line)
    assert isinstance(obj, dict), "line %d is not an object" % n
print("ok")' "$T/out"
	assert_output ok
}

# The exact bytes of each output (or input, with input), one base64 line a
# task: the recipe the documentation gives.
recipe() {
	jq -r ".${1:-output}_base64 // (.${1:-output} | @base64)" "$T/out"
}

@test "json: every line is an object with every key, typed; text results as strings" {
	printf 'a\nhello world\n\n' >"$T/in"
	t0=$(date +%s)
	ppio "$T/in" --json -k -v -j2 -- "$WORKERS_BIN/upper"
	t1=$(date +%s)
	assert_status 0
	assert_json_lines
	run wc -l <"$T/out"
	assert_output 3
	jq_all "(keys == $KEYS) and .status == \"ok\" and .error == null and .attempts == 1
		and (.seq | type) == \"number\" and (.slot | type) == \"number\" and .slot >= 0 and .slot < 2
		and (.pid | type) == \"number\" and .host == \":\"
		and (.start | type) == \"number\" and .start >= $t0 - 1 and .start <= $t1 + 1
		and (.runtime | type) == \"number\" and .runtime >= 0 and .runtime <= $t1 - $t0 + 1
		and (.input | type) == \"string\" and .input_base64 == null
		and (.output | type) == \"string\" and .output_base64 == null"
	run jq -c 'del(.pid, .slot, .start, .runtime)' "$T/out"
	assert_output - <<'EOF'
{"seq":1,"status":"ok","error":null,"attempts":1,"host":":","input":"a","input_base64":null,"output":"A","output_base64":null}
{"seq":2,"status":"ok","error":null,"attempts":1,"host":":","input":"hello world","input_base64":null,"output":"HELLO WORLD","output_base64":null}
{"seq":3,"status":"ok","error":null,"attempts":1,"host":":","input":"","input_base64":null,"output":"","output_base64":null}
EOF
	# Each pid is one of the workers -v saw start.
	for pid in $(jq .pid "$T/out"); do
		vlog_pids 'started \([0-9]+ alive, slot [0-9]+\)' | grep -qx "$pid" || fail "pid $pid is no worker"
	done
}

@test "json: start and runtime are the task's own, in seconds" {
	printf '300 slow\n' >"$T/in"
	ppio "$T/in" --json -- "$WORKERS_BIN/msdelay"
	assert_status 0
	# A task that sleeps 300 ms takes at least that (generous above).
	jq_all '.runtime >= 0.3 and .runtime < 30 and .output == "300 slow"'
	# start has 3 decimals, runtime 6, as the text says.
	run grep -cE '"start":[0-9]+\.[0-9]{3},"runtime":[0-9]+\.[0-9]{6},' "$T/out"
	assert_output 1
}

@test "json: escapes and bytes that are not UTF-8, through the jq recipe" {
	printf 'caf\xc3\xa9 "q" \\\ttab\x01\n\xff\xfeA\n\xe2\x80\xa8\n' >"$T/in"
	ppio "$T/in" --json -k -- "$WORKERS_BIN/lineecho"
	assert_status 0
	assert_json_lines
	# As written: the short escapes, \u00XX for other controls, U+2028 escaped.
	run grep -cF '"input":"caf'$'\xc3\xa9'' \"q\" \\\ttab\u0001","input_base64":null' "$T/out"
	assert_output 1
	run grep -cF '"input":"\u2028","input_base64":null' "$T/out"
	assert_output 1
	run jq -c 'select(.seq == 2) | [.input, .input_base64, .output, .output_base64]' "$T/out"
	assert_output '[null,"//5B",null,"//5B"]'
	# The recipe gives back every record's exact bytes.
	while IFS= read -r line; do printf '%s' "$line" | base64 -d; echo; done < <(recipe input) >"$T/back"
	assert_files_equal "$T/in" "$T/back" "records read back"
}

@test "json: a failed task is a line with status failed and its error, in -k order" {
	printf 'a\ncrash\nb\n' >"$T/in"
	ppio "$T/in" --json -k -j1 -- "$WORKERS_BIN/f_faulty"
	assert_status 1
	assert_json_lines
	run jq -r '[.seq, .status, .input, (.output | tostring)] | @tsv' "$T/out"
	assert_output - <<'EOF'
1	ok	a	a
2	failed	crash	null
3	ok	b	b
EOF
	run jq -c 'select(.status == "failed") |
		[(.error | test("SIGSEGV")), .attempts, .output_base64, (.pid | type)]' "$T/out"
	assert_output '[true,1,null,"number"]'
}

@test "json: a record that cannot travel fails in-band, with no worker" {
	printf 'aGk=\nnot base64!\n' >"$T/in"
	ppio "$T/in" --json -b -k -- "$WORKERS_BIN/lineecho"
	assert_status 1
	run jq -c '[.seq, .status, .input, .attempts, (.pid | type), (.slot | type)]' "$T/out"
	assert_output - <<'EOF'
[1,"ok","hi",1,"number","number"]
[2,"failed","not base64!",0,"null","null"]
EOF
	run jq -r 'select(.seq == 2) | .error' "$T/out"
	assert_output --partial 'invalid base64'
}

@test "json: -k writes the records in input order" {
	printf '%s\n' '400 a' '300 b' '200 c' '100 d' '0 e' >"$T/in"
	ppio "$T/in" --json -k -j5 -- "$WORKERS_BIN/msdelay"
	assert_status 0
	run jq -r '"\(.seq) \(.output)"' "$T/out"
	assert_output $'1 400 a\n2 300 b\n3 200 c\n4 100 d\n5 0 e'
}

@test "json: -b binary records and answers round-trip through the jq recipe" {
	{
		gen 11 200 b64
		printf 'hello\n' | base64 -w0
		echo
	} >"$T/in"
	ppio "$T/in" --json -b -k -- "$WORKERS_BIN/lineecho"
	assert_status 0
	assert_json_lines
	recipe input >"$T/inputs"
	assert_files_equal "$T/in" "$T/inputs" "inputs read back"
	recipe output >"$T/outputs"
	assert_files_equal "$T/in" "$T/outputs" "outputs read back"
	# Both forms came up: binary in base64, text as a string.
	run jq -s '[map(select(.output_base64 != null)), map(select(.output != null))] |
		map(length > 0) | all' "$T/out"
	assert_output true
	run jq 'select(.seq == 201) | .output' "$T/out"
	assert_output '"hello\n"'
	# One task's output as a file, as the man page shows it.
	for seq in 1 201; do
		jq -j "select(.seq == $seq) | .output_base64 // (.output | @base64)" "$T/out" |
			base64 -d >"$T/one"
		sed -n "${seq}p" "$T/in" | base64 -d >"$T/want"
		assert_files_equal "$T/want" "$T/one" "output of record $seq"
	done

	# The same as -b writes without --json; through another worker too.
	ppio "$T/in" -b -k -- python3 "$WORKERS/b64rev.py"
	mv "$T/out" "$T/plain"
	ppio "$T/in" --json -b -k -- python3 "$WORKERS/b64rev.py"
	recipe output >"$T/outputs"
	assert_files_equal "$T/plain" "$T/outputs" "-b --json outputs vs -b"
}

@test "json: with -0, JSON lines all the same" {
	printf 'one\ntwo\0three\0' >"$T/in"
	ppio "$T/in" --json -0 -k -w base64 -- "$WORKERS_BIN/lineecho"
	assert_status 0
	assert_equal "$(tr -cd '\0' <"$T/out" | wc -c)" 0
	run jq -c '[.input, .output]' "$T/out"
	assert_output - <<'EOF'
["one\ntwo","one\ntwo"]
["three","three"]
EOF
}
