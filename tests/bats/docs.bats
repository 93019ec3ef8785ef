#!/usr/bin/env bats
# Documentation and shell integration: --help and --version, the man page,
# tests/check-docs (and that it does catch what it claims to), and the bash,
# zsh and fish completions.

load '../helper'

BASH_COMPLETION=/usr/share/bash-completion/bash_completion

# complete_bash LINE: run the bash completion for LINE (cursor at the end) as
# bash would, splitting words on blanks and on "=" (COMP_WORDBREAKS); prints
# COMPREPLY sorted, one per line.
complete_bash() {
	bash --norc --noprofile -c '
		source "$1" >/dev/null 2>&1
		source "$2" || exit 1
		line=$3
		COMP_LINE=$line COMP_POINT=${#line}
		read -ra COMP_WORDS <<<"${line//=/ = }"
		[[ $line == *" " || $line == *= ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		compopt() { :; } # only works inside a real completion
		_procpool procpool "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' \
		_ "$BASH_COMPLETION" "$ROOT/completions/procpool.bash" "$1"
}

need_bash_completion() {
	[[ -r $BASH_COMPLETION ]] || skip "bash-completion is not installed"
}

# copy_docs DIR: the files check-docs reads, copied under DIR to be broken.
copy_docs() {
	mkdir -p "$1/tests" "$1/man"
	cp "$ROOT/tests/check-docs" "$1/tests/"
	cp "$ROOT/man/procpool.1" "$1/man/"
	cp -r "$ROOT/completions" "$1/"
}

@test "--version prints 'procpool X.Y.Z' and exits 0" {
	run --separate-stderr pp --version
	assert_success
	assert_output --regexp '^procpool [0-9]+\.[0-9]+\.[0-9]+$'
	assert_equal "$stderr" ""
}

@test "--help and -h print the usage on stdout and exit 0" {
	local opt
	for opt in --help -h; do
		run --separate-stderr pp "$opt"
		assert_success
		assert_line --index 0 'Usage: procpool [OPTION]... [--] COMMAND [ARG]...'
		assert_output --partial 'procpool(1)'
		assert_equal "$stderr" ""
	done
}

@test "tests/check-docs passes: options documented and completed, man page lint-clean" {
	run "$ROOT/tests/check-docs"
	assert_success
	assert_output --partial 'check-docs: ok'
}

@test "check-docs fails naming an option the man page lacks" {
	copy_docs "$T/tree"
	# Drop the entry for --tag (its .It line and the text under it).
	sed -i '/^\.It Fl \\-tag$/,/^\.It /{/^\.It Fl \\-tag$/d;/^\.It /!d}' "$T/tree/man/procpool.1"
	sed -i 's/\\-tag/\\-gat/g' "$T/tree/man/procpool.1"
	PROCPOOL=$PROCPOOL run "$T/tree/tests/check-docs"
	assert_failure 1
	assert_output --partial 'man/procpool.1: --tag has no entry'
	refute_output --partial -- '--jobs'
}

@test "check-docs fails naming an option a completion lacks" {
	copy_docs "$T/tree"
	sed -i 's/ tag / /' "$T/tree/completions/procpool.bash"
	sed -i '/--tag\[/d' "$T/tree/completions/_procpool"
	sed -i '/-l tag /d' "$T/tree/completions/procpool.fish"
	PROCPOOL=$PROCPOOL run "$T/tree/tests/check-docs"
	assert_failure 1
	assert_output --partial 'completions/procpool.bash'
	assert_output --partial 'completions/_procpool: no --tag'
	assert_output --partial 'completions/procpool.fish'
}

@test "check-docs fails on a man page lint warning" {
	copy_docs "$T/tree"
	printf '.Sh NOTES\n.Xr\n' >>"$T/tree/man/procpool.1"
	PROCPOOL=$PROCPOOL run "$T/tree/tests/check-docs"
	assert_failure 1
	assert_output --regexp '(mandoc|groff)'
}

@test "check-docs fails on a --help line wider than 80 columns" {
	copy_docs "$T/tree"
	printf '#!/bin/sh\n"%s" "$@"\nprintf "%%081d\\n" 0\n' "$PROCPOOL" >"$T/wide"
	chmod +x "$T/wide"
	PROCPOOL=$T/wide run "$T/tree/tests/check-docs"
	assert_failure 1
	assert_output --partial 'columns wide (80 at most)'
}

@test "man page: renders with the sections procpool(1) promises" {
	command -v mandoc >/dev/null || skip "no mandoc"
	run bash -c 'mandoc -Tascii "$1" | col -b' _ "$ROOT/man/procpool.1"
	assert_success
	local s
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS 'THE WORKER PROTOCOL' SLOTS FRAMING 'JSON RESULTS' \
		SCALING FAILURES 'EXIT STATUS' ENVIRONMENT EXAMPLES 'SEE ALSO'; do
		assert_line "$s"
	done
	assert_output --partial 'xargs(1)'
	assert_output --partial 'parallel(1)'
}

@test "bash completion: procpool --ti<TAB> completes --timeout" {
	need_bash_completion
	run complete_bash 'procpool --ti'
	assert_success
	assert_output -- '--timeout'
}

@test "bash completion: procpool --wire <TAB> offers line and base64" {
	need_bash_completion
	run complete_bash 'procpool --wire '
	assert_success
	assert_output $'base64\nline'
	run complete_bash 'procpool -k --wire=b'
	assert_output 'base64'
	run complete_bash 'procpool -kw '
	assert_output $'base64\nline'
}

@test "bash completion: option values (durations, --depth, --halt, files)" {
	need_bash_completion
	run complete_bash 'procpool --timeout 2'
	assert_output $'250ms\n2s'
	run complete_bash 'procpool --kill-grace='
	assert_line '250ms'
	run complete_bash 'procpool -i 1'
	assert_line '10s'
	run complete_bash 'procpool --depth a'
	assert_output 'auto'
	run complete_bash 'procpool --halt '
	assert_output $'never\nnow,fail=\nsoon,fail='
	mkdir "$T/d"
	touch "$T/d/tasks.txt" "$T/d/log.tsv"
	cd "$T/d"
	run complete_bash 'procpool -a '
	assert_output $'log.tsv\ntasks.txt'
	run complete_bash 'procpool --joblog lo'
	assert_output 'log.tsv'
}

@test "bash completion: every option after --, nothing of procpool's after COMMAND" {
	need_bash_completion
	run complete_bash 'procpool --'
	assert_line -- '--keep-order'
	assert_line -- '--resume-failed'
	# At COMMAND: command names.
	run complete_bash 'procpool -j 2 --timeout 1s ech'
	assert_line 'echo'
	run complete_bash 'procpool -k -- ech'
	assert_line 'echo'
	# After COMMAND: the command's own completion (files for cat), never
	# procpool's options.
	mkdir "$T/d"
	touch "$T/d/file1"
	cd "$T/d"
	run complete_bash 'procpool -k cat '
	assert_output 'file1'
	run complete_bash 'procpool -kj4 cat --'
	refute_line -- '--keep-order'
	run complete_bash 'procpool --jobs=2 cat --'
	refute_line -- '--keep-order'
}

@test "zsh completion: syntax and #compdef" {
	command -v zsh >/dev/null || skip "no zsh"
	run zsh -n "$ROOT/completions/_procpool"
	assert_success
	run head -1 "$ROOT/completions/_procpool"
	assert_output '#compdef procpool'
}

@test "fish completion: syntax, options, values and COMMAND" {
	command -v fish >/dev/null || skip "no fish"
	run fish -n "$ROOT/completions/procpool.fish"
	assert_success
	fish_complete() {
		fish -c 'source $argv[1]; and complete -C$argv[2]' \
			"$ROOT/completions/procpool.fish" "$1" | cut -f1 | sort
	}
	run fish_complete 'procpool --ti'
	assert_output -- '--timeout'
	run fish_complete 'procpool --wire '
	assert_output $'base64\nline'
	run fish_complete 'procpool -k ech'
	assert_line 'echo'
	# After COMMAND, its own completion (cat has -n but no -k).
	run fish_complete 'procpool -k cat -'
	assert_line -- '-n'
	refute_line -- '-k'
}
