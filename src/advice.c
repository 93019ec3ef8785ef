/* advice: the program behind wrappers, and its flushing fix; see advice.h. */
#include "advice.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A wrapper, how many of its options take a value in the next word, and
 * whether a first non-option word is its own (timeout's DURATION, taskset's
 * mask) rather than the program. */
struct wrapper {
	const char *name;
	const char *valued; /* short options that take the next word */
	int own_words;      /* non-option words before the program */
};

static const struct wrapper wrappers[] = {
	{"env", "uSC", 0},     {"stdbuf", "ioe", 0}, {"nice", "n", 0},
	{"timeout", "sk", 1},  {"setsid", "", 0},    {"taskset", "", 1},
	{"nohup", "", 0},      {"ionice", "cnp", 0}, {"chrt", "", 1},
	{"numactl", "CNmpi", 0}, {"exec", "a", 0},   {"command", "", 0},
	{"time", "fo", 0},
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static const struct wrapper *find_wrapper(const char *name)
{
	for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
		if (strcmp(wrappers[i].name, name) == 0)
			return &wrappers[i];
	return NULL;
}

/* Skip one wrapper's own words; returns the index of the next program. */
static int skip_wrapper(char *const argv[], int i, const struct wrapper *wr)
{
	int own = wr->own_words;
	bool is_env = strcmp(wr->name, "env") == 0;
	bool is_taskset = strcmp(wr->name, "taskset") == 0;
	for (i++; argv[i]; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			return i + 1 + (own > 0 ? own : 0);
		if (a[0] == '-' && a[1]) {
			/* -n 5, or --opt=value; taskset -c takes the list */
			if (a[1] != '-' && !a[2] && (strchr(wr->valued, a[1]) || (is_taskset && a[1] == 'c'))) {
				if (is_taskset)
					own = 0, i++; /* -c LIST replaces the mask */
				else
					i++;
			}
			continue;
		}
		if (is_env && strchr(a, '='))
			continue; /* NAME=value */
		if (own > 0) {
			own--;
			continue;
		}
		return i;
	}
	return i;
}

/* sh -c 'prog args...': the script's first word, when it is a plain word. */
static void script_program(const char *script, char *dst, size_t len)
{
	size_t n = strcspn(script, " \t\n;|&<>()'\"$`\\");
	static const char *const keywords[] = {"while", "for", "until", "if", "case", "exec",
					       "read", "{", "!", ""};
	char word[64];
	snprintf(word, sizeof word, "%.*s", (int)(n < sizeof word ? n : sizeof word - 1), script);
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (strcmp(word, keywords[i]) == 0) {
			snprintf(dst, len, "a program in the script");
			return;
		}
	snprintf(dst, len, "%s", base_name(word));
}

static bool is_shell(const char *name)
{
	static const char *const shells[] = {"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash"};
	for (size_t i = 0; i < sizeof shells / sizeof shells[0]; i++)
		if (strcmp(name, shells[i]) == 0)
			return true;
	return false;
}

static const char *fix_for(const char *prog)
{
	static const struct {
		const char *prefix;
		const char *fix;
	} fixes[] = {
		{"python", "run it as python3 -u, or set PYTHONUNBUFFERED=1"},
		{"perl", "set $| = 1 in the script (perl -e 'BEGIN { $| = 1 } ...')"},
		{"sed", "run sed -u"},
		{"mawk", "run mawk -W interactive, or call fflush() after each print"},
		{"awk", "call fflush() after each print (mawk: -W interactive)"},
		{"gawk", "call fflush() after each print"},
		{"jq", "run jq --unbuffered"},
		{"grep", "run grep --line-buffered (and note that grep answers only the lines "
			 "that match: a worker must answer every task)"},
		{"ruby", "set $stdout.sync = true in the script"},
		{"tr", "run it as stdbuf -oL tr"},
		{"cut", "run it as stdbuf -oL cut"},
	};
	for (size_t i = 0; i < sizeof fixes / sizeof fixes[0]; i++)
		if (strncmp(prog, fixes[i].prefix, strlen(fixes[i].prefix)) == 0)
			return fixes[i].fix;
	return NULL;
}

void advice_for(char *const argv[], struct advice *a)
{
	int i = 0;
	const struct wrapper *wr;
	while (argv[i] && (wr = find_wrapper(base_name(argv[i]))))
		i = skip_wrapper(argv, i, wr);
	const char *prog = argv[i] ? base_name(argv[i]) : base_name(argv[0]);
	if (argv[i] && is_shell(prog) && argv[i + 1] && strcmp(argv[i + 1], "-c") == 0 &&
	    argv[i + 2])
		script_program(argv[i + 2], a->program, sizeof a->program);
	else
		snprintf(a->program, sizeof a->program, "%s", prog);
	a->fix = fix_for(a->program);
}
