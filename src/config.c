/* config: option parsing and validation; see config.h. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "host.h"
#include "remote.h"

#define DEFAULT_MAX_RECORD (64u << 20)

const char config_usage[] =
	"Usage: procpool [OPTION]... [--] COMMAND [ARG]...\n"
	"Run each input record as a task on a self-scaling pool of long-lived\n"
	"workers running COMMAND; one answer line per task line (see procpool(1)).\n"
	"\n"
	"Input and output:\n"
	"  -a, --arg-file FILE     read tasks from FILE instead of stdin (- is stdin);\n"
	"                          given again, the files are read one after another\n"
	"  -0, --null              records end with NUL on input and output\n"
	"  -b, --base64            input lines and results are base64\n"
	"  -w, --wire line|base64  how tasks travel to workers (base64 with -b)\n"
	"  -k, --keep-order        write results in input order\n"
	"      --tag               prefix each result with its input and a TAB\n"
	"      --json              write each ended task as a JSON object on a line\n"
	"      --error-prefix STR  an answer that starts with STR fails its task\n"
	"      --answer-end LINE   answers are the lines a worker writes before LINE\n"
	"      --max-record SIZE   longest record accepted (default 64M)\n"
	"\n"
	"Pool:\n"
	"  -j, --jobs N|N%|auto    most workers at once (default: online CPUs); auto:\n"
	"                          as many as raise throughput, found by trying\n"
	"      --max-jobs N        the most -j auto tries (default 32 per CPU)\n"
	"  -m, --min N             workers kept warm (default 1)\n"
	"  -i, --idle-timeout DUR  retire workers idle this long (default 10s)\n"
	"      --depth N|auto      tasks in flight per worker (default auto)\n"
	"      --max-tasks N       replace a worker after N tasks\n"
	"      --max-tasks-jitter N  up to N more tasks per worker, to spread them\n"
	"      --nice N            run workers N steps nicer\n"
	"      --cpus LIST         pin workers to CPUs, e.g. 0-3,6 (Linux)\n"
	"      --pin-slots         with --cpus: slot k on the k-th CPU of LIST alone\n"
	"      --mem-limit SIZE    cap each worker's address space\n"
	"      --no-unbuffered-env do not set PYTHONUNBUFFERED=1 for the workers\n"
	"\n"
	"Many machines:\n"
	"  -S, --sshlogin LOGIN    run workers on LOGIN too: [N/][user@]host[:port],\n"
	"                          at most N there (default: its CPUs); : is this\n"
	"                          machine (-j); comma-separated, or given again\n"
	"      --sshloginfile FILE one --sshlogin entry a line (# comments)\n"
	"      --ssh CMD           how to reach a host (default ssh); {host} is the\n"
	"                          host, else it goes last, e.g. 'srun -w {host}'\n"
	"      --host-retry DUR    try a host that failed again after DUR (default 30s)\n"
	"\n"
	"Failures:\n"
	"      --retries N         run a task again after its worker died (default 0)\n"
	"      --timeout DUR       fail a task that takes longer (default: none)\n"
	"      --kill-grace DUR    SIGTERM to SIGKILL delay (default 2s)\n"
	"      --start-timeout DUR stop a worker not ready after DUR (default 60s)\n"
	"      --ready LINE        send a worker nothing until it writes LINE\n"
	"      --stop-timeout DUR  after a signal, wait DUR for tasks (default 10s)\n"
	"      --halt WHEN,fail=N  stop after N (or N%) failures; WHEN: soon|now\n"
	"      --joblog FILE       append one TSV row per finished task\n"
	"      --resume            skip tasks the joblog records as ended\n"
	"      --resume-failed     like --resume, but run failed tasks again\n"
	"\n"
	"Watching:\n"
	"  -v, --verbose           log worker starts and exits on stderr\n"
	"      --no-hints          no advice about workers that buffer or skip answers\n"
	"      --progress          show progress on stderr\n"
	"      --total N           number of tasks, for --progress's ETA\n"
	"      --stats             print statistics on stderr at exit\n"
	"      --stats-json FILE   write statistics as JSON to FILE\n"
	"      --bench             compare per-task, single and pooled runs\n"
	"      --bench-jobs LIST   pool sizes for --bench (default 1,2,CPUs)\n"
	"      --bench-runs N      repeats per --bench configuration (default 3)\n"
	"      --bench-json FILE   write --bench measurements as JSON\n"
	"  -h, --help              show this help\n"
	"  -V, --version           show the version\n"
	"\n"
	"DUR: 250ms, 3s, 2m, 1h or seconds.  SIZE: bytes or with k, M, G, T.\n"
	"Exit: 0 all ok, 1-100 tasks failed (101: more), 124 fatal error,\n"
	"125 usage, 126 cannot execute, 127 not found, 128+N killed by signal N.\n";

enum {
	OPT_TAG = 256, OPT_JSON, OPT_ERROR_PREFIX, OPT_ANSWER_END, OPT_MAX_RECORD, OPT_DEPTH, OPT_MAX_TASKS, OPT_MAX_TASKS_JITTER, OPT_NICE,
	OPT_CPUS, OPT_PIN_SLOTS, OPT_MAX_JOBS,
	OPT_MEM_LIMIT, OPT_RETRIES, OPT_TIMEOUT, OPT_KILL_GRACE, OPT_START_TIMEOUT, OPT_READY,
	OPT_STOP_TIMEOUT, OPT_NO_HINTS, OPT_NO_UNBUFFERED_ENV, OPT_HALT, OPT_JOBLOG,
	OPT_RESUME, OPT_RESUME_FAILED, OPT_PROGRESS, OPT_TOTAL, OPT_STATS,
	OPT_STATS_JSON, OPT_BENCH, OPT_BENCH_JOBS, OPT_BENCH_RUNS, OPT_BENCH_JSON,
	OPT_SSHLOGINFILE, OPT_SSH, OPT_HOST_RETRY,
};

static const struct option options[] = {
	{"arg-file", required_argument, NULL, 'a'},
	{"null", no_argument, NULL, '0'},
	{"base64", no_argument, NULL, 'b'},
	{"wire", required_argument, NULL, 'w'},
	{"keep-order", no_argument, NULL, 'k'},
	{"tag", no_argument, NULL, OPT_TAG},
	{"json", no_argument, NULL, OPT_JSON},
	{"error-prefix", required_argument, NULL, OPT_ERROR_PREFIX},
	{"answer-end", required_argument, NULL, OPT_ANSWER_END},
	{"max-record", required_argument, NULL, OPT_MAX_RECORD},
	{"jobs", required_argument, NULL, 'j'},
	{"min", required_argument, NULL, 'm'},
	{"idle-timeout", required_argument, NULL, 'i'},
	{"depth", required_argument, NULL, OPT_DEPTH},
	{"max-jobs", required_argument, NULL, OPT_MAX_JOBS},
	{"max-tasks", required_argument, NULL, OPT_MAX_TASKS},
	{"max-tasks-jitter", required_argument, NULL, OPT_MAX_TASKS_JITTER},
	{"pin-slots", no_argument, NULL, OPT_PIN_SLOTS},
	{"nice", required_argument, NULL, OPT_NICE},
	{"cpus", required_argument, NULL, OPT_CPUS},
	{"mem-limit", required_argument, NULL, OPT_MEM_LIMIT},
	{"retries", required_argument, NULL, OPT_RETRIES},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"kill-grace", required_argument, NULL, OPT_KILL_GRACE},
	{"start-timeout", required_argument, NULL, OPT_START_TIMEOUT},
	{"ready", required_argument, NULL, OPT_READY},
	{"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
	{"halt", required_argument, NULL, OPT_HALT},
	{"joblog", required_argument, NULL, OPT_JOBLOG},
	{"resume", no_argument, NULL, OPT_RESUME},
	{"resume-failed", no_argument, NULL, OPT_RESUME_FAILED},
	{"verbose", no_argument, NULL, 'v'},
	{"no-hints", no_argument, NULL, OPT_NO_HINTS},
	{"no-unbuffered-env", no_argument, NULL, OPT_NO_UNBUFFERED_ENV},
	{"sshlogin", required_argument, NULL, 'S'},
	{"sshloginfile", required_argument, NULL, OPT_SSHLOGINFILE},
	{"ssh", required_argument, NULL, OPT_SSH},
	{"host-retry", required_argument, NULL, OPT_HOST_RETRY},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"total", required_argument, NULL, OPT_TOTAL},
	{"stats", no_argument, NULL, OPT_STATS},
	{"stats-json", required_argument, NULL, OPT_STATS_JSON},
	{"bench", no_argument, NULL, OPT_BENCH},
	{"bench-jobs", required_argument, NULL, OPT_BENCH_JOBS},
	{"bench-runs", required_argument, NULL, OPT_BENCH_RUNS},
	{"bench-json", required_argument, NULL, OPT_BENCH_JSON},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

/* Leading '+': stop at COMMAND so its own options stay its own.
 * Leading ':': report a missing value apart from an unknown option. */
static const char shortopts[] = "+:a:0bw:kj:m:i:S:vhV";

int config_count(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static const char *memrchr_dot(const char *s, size_t n)
{
	while (n-- > 0)
		if (s[n] == '.')
			return s + n;
	return NULL;
}

/* A decimal number with an optional fraction, then a unit suffix. */
static int number_with_unit(const char *s, double *v, const char **unit)
{
	char *end;

	/* Plain decimals only: strtod would also take "0x10" and "1e3". */
	size_t digits = strspn(s, "0123456789.");
	if (digits == 0 || memchr(s, '.', digits) != memrchr_dot(s, digits))
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (end != s + digits)
		return -1;
	if (errno || end == s || *v < 0)
		return -1;
	*unit = end;
	return 0;
}

int config_duration(const char *s, int64_t *ns)
{
	static const struct { const char *name; double ns; } units[] = {
		{"", 1e9}, {"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"m", 60e9}, {"h", 3600e9},
	};
	double v;
	const char *unit;

	if (number_with_unit(s, &v, &unit) < 0)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(unit, units[i].name) == 0) {
			double t = v * units[i].ns;
			if (t > 9e18)
				return -1;
			*ns = (int64_t)t;
			return 0;
		}
	return -1;
}

int config_size(const char *s, uint64_t *bytes)
{
	static const struct { char name; double mult; } units[] = {
		{'\0', 1}, {'k', 1024.0}, {'K', 1024.0}, {'m', 1048576.0}, {'M', 1048576.0},
		{'g', 1073741824.0}, {'G', 1073741824.0}, {'t', 1099511627776.0},
		{'T', 1099511627776.0},
	};
	double v;
	const char *unit;

	if (number_with_unit(s, &v, &unit) < 0)
		return -1;
	/* Accept "64M", "64MB", "64MiB" alike. */
	if (unit[0] && strcmp(unit + 1, "") && strcmp(unit + 1, "B") && strcmp(unit + 1, "iB"))
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (unit[0] == units[i].name) {
			double b = v * units[i].mult;
			if (b > 1.8e19 || (unit[0] == '\0' && v != (double)(uint64_t)v))
				return -1;
			*bytes = (uint64_t)b;
			return 0;
		}
	return -1;
}

int config_cpu_list(const char *s, unsigned *highest)
{
	unsigned top = 0;

	do {
		char *end;
		if (*s < '0' || *s > '9')
			return -1;
		unsigned long lo = strtoul(s, &end, 10), hi = lo;
		if (*end == '-') {
			s = end + 1;
			if (*s < '0' || *s > '9')
				return -1;
			hi = strtoul(s, &end, 10);
		}
		if (hi < lo || hi >= 4096)
			return -1;
		if (hi > top)
			top = (unsigned)hi;
		s = end;
	} while (*s == ',' && *++s);
	if (*s || s[-1] == ',')
		return -1;
	*highest = top;
	return 0;
}

/* The first bytes of what the user typed, escaped for a message. */
#define SHOWN_MAX 40
static const char *shown(char buf[ESCAPE_SIZE(SHOWN_MAX)], const char *s, size_t n)
{
	escape_text(buf, SHOWN_MAX, s, n);
	return buf;
}

static const char *long_name(int code)
{
	for (const struct option *o = options; o->name; o++)
		if (o->val == code)
			return o->name;
	return "?";
}

static int parse_jobs(const char *s, unsigned ncpus, unsigned *jobs)
{
	uint64_t n;
	size_t len = strlen(s);

	if (len > 1 && s[len - 1] == '%') {
		char digits[32];
		if (len > sizeof digits)
			return -1;
		memcpy(digits, s, len - 1);
		digits[len - 1] = '\0';
		if (config_count(digits, 0, 100000, &n) < 0)
			return -1;
		n = n * ncpus / 100;
		*jobs = n ? (unsigned)n : 1;
		return 0;
	}
	if (config_count(s, 0, 100000, &n) < 0)
		return -1;
	*jobs = (unsigned)n;
	return 0;
}

static int parse_halt(struct config *c, const char *s)
{
	if (strcmp(s, "never") == 0) {
		c->halt = HALT_NEVER;
		return 0;
	}
	const char *rest;
	if (strncmp(s, "soon,fail=", 10) == 0) {
		c->halt = HALT_SOON;
		rest = s + 10;
	} else if (strncmp(s, "now,fail=", 9) == 0) {
		c->halt = HALT_NOW;
		rest = s + 9;
	} else {
		return -1;
	}
	char digits[32];
	size_t len = strlen(rest);
	if (len == 0 || len >= sizeof digits)
		return -1;
	memcpy(digits, rest, len + 1);
	c->halt_percent = digits[len - 1] == '%';
	if (c->halt_percent)
		digits[len - 1] = '\0';
	uint64_t n;
	if (config_count(digits, 1, c->halt_percent ? 100 : 1000000000, &n) < 0)
		return -1;
	c->halt_fail = (unsigned)n;
	return 0;
}

static int parse_bench_jobs(struct config *c, const char *s)
{
	c->nbench_jobs = 0;
	do {
		char *end;
		if (*s < '1' || *s > '9' || c->nbench_jobs == 16)
			return -1;
		unsigned long n = strtoul(s, &end, 10);
		if (n > 100000)
			return -1;
		c->bench_jobs[c->nbench_jobs++] = (unsigned)n;
		s = end;
	} while (*s == ',' && *++s);
	return *s || s[-1] == ',' ? -1 : 0;
}

static void set_defaults(struct config *c, unsigned ncpus)
{
	memset(c, 0, sizeof *c);
	c->sep = '\n';
	c->jobs = ncpus ? ncpus : 1;
	c->max_jobs = 32 * c->jobs;
	c->min = 1;
	c->idle_timeout = 10 * 1000000000LL;
	c->max_record = DEFAULT_MAX_RECORD;
	c->kill_grace = 2 * 1000000000LL;
	c->start_timeout = 60 * 1000000000LL;
	c->stop_timeout = 10 * 1000000000LL;
	c->ssh = "ssh";
	c->host_retry = 30 * 1000000000LL;
	c->bench_runs = 3;
}

/* What a bad value of an option should have been, for its message. */
static const char *expected(int code)
{
	static const struct { int code; const char *what; } table[] = {
		{'w', "line or base64"},
		{OPT_ERROR_PREFIX, "a string of one line, not empty"},
		{OPT_ANSWER_END, "a line, not empty"},
		{OPT_READY, "a line"},
		{'m', "a number from 0 to 100000"},
		{OPT_MAX_JOBS, "a number from 1 to 100000"},
		{'i', "a duration such as 250ms, 10s or 2m"},
		{OPT_DEPTH, "auto or a number from 1 to 65536"},
		{OPT_MAX_RECORD, "a size from 1 to 1T, such as 64M"},
		{OPT_MAX_TASKS, "a number of 1 or more"},
		{OPT_MAX_TASKS_JITTER, "a number of 0 or more"},
		{OPT_NICE, "a number from 0 to 39"},
		{OPT_CPUS, "CPU numbers and ranges below 4096, such as 0-3,6"},
		{OPT_MEM_LIMIT, "a size from 4k, such as 512M"},
		{OPT_RETRIES, "a number from 0 to 1000"},
		{OPT_TIMEOUT, "a duration above 0, such as 30s or 2m"},
		{OPT_KILL_GRACE, "a duration such as 500ms or 2s"},
		{OPT_TOTAL, "a number of 1 or more"},
		{OPT_BENCH_JOBS, "pool sizes from 1 to 100000, such as 1,2,8 (16 at most)"},
		{OPT_BENCH_RUNS, "a number from 1 to 1000"},
		{OPT_HOST_RETRY, "a duration above 0, such as 30s or 5m"},
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].code == code)
			return table[i].what;
	return "another value";
}

/* Append arg to the array *a of *n values (an option given again). The
 * array grows at 4, 8, 16...: the count alone tells when. */
static int push(const char ***a, unsigned *n, const char *arg, char *err, size_t errlen)
{
	if (*n == 0 || (*n >= 4 && (*n & (*n - 1)) == 0)) {
		const char **grown = realloc((void *)*a, (*n ? 2 * (size_t)*n : 4) * sizeof *grown);
		if (!grown) {
			escape_message(err, errlen, "out of memory");
			return -1;
		}
		*a = grown;
	}
	(*a)[(*n)++] = arg;
	return 0;
}

/* -a FILE: one more input file. */
static int add_arg_file(struct config *c, const char *arg, char *err, size_t errlen)
{
	for (unsigned i = 0; strcmp(arg, "-") == 0 && i < c->narg_files; i++)
		if (strcmp(c->arg_files[i], "-") == 0) {
			escape_message(err, errlen, "-a - given twice: stdin can be read only once");
			return -1;
		}
	return push(&c->arg_files, &c->narg_files, arg, err, errlen);
}

/* -S LIST: its entries must parse now; set-up parses them again. */
static int add_sshlogin(struct config *c, const char *arg, char *err, size_t errlen)
{
	struct hosts hs = HOSTS_INIT;
	int r = hosts_add_list(&hs, arg, err, errlen);
	hosts_free(&hs);
	return r < 0 ? -1 : push(&c->sshlogins, &c->nsshlogins, arg, err, errlen);
}

static int set_ssh(struct config *c, const char *arg, char *err, size_t errlen)
{
	struct remote_ssh rs;
	if (remote_ssh_parse(&rs, arg, err, errlen) < 0)
		return -1;
	remote_ssh_free(&rs);
	c->ssh = arg;
	return 0;
}

/* Apply one option. 0, or -1 with err filled. */
static int apply(struct config *c, int opt, const char *arg, unsigned ncpus, char *err,
		 size_t errlen)
{
	char value[ESCAPE_SIZE(SHOWN_MAX)];
	uint64_t n;
	int64_t d;
	unsigned top;

	switch (opt) {
	case 'a': return add_arg_file(c, arg, err, errlen);
	case 'S': return add_sshlogin(c, arg, err, errlen);
	case OPT_SSHLOGINFILE:
		return push(&c->sshloginfiles, &c->nsshloginfiles, arg, err, errlen);
	case OPT_SSH: return set_ssh(c, arg, err, errlen);
	case '0': c->sep = '\0'; return 0;
	case 'b': c->base64_io = true; return 0;
	case 'k': c->keep_order = true; return 0;
	case 'v': c->verbose++; return 0;
	case OPT_TAG: c->tag = true; return 0;
	case OPT_JSON: c->json = true; return 0;
	case OPT_ERROR_PREFIX:
	case OPT_ANSWER_END:
		if (!*arg || strchr(arg, '\n'))
			break;
		*(opt == OPT_ERROR_PREFIX ? &c->error_prefix : &c->answer_end) = arg;
		return 0;
	case OPT_RESUME: c->resume = true; return 0;
	case OPT_RESUME_FAILED: c->resume_failed = true; return 0;
	case OPT_PROGRESS: c->progress = true; return 0;
	case OPT_NO_HINTS: c->no_hints = true; return 0;
	case OPT_NO_UNBUFFERED_ENV: c->keep_buffering = true; return 0;
	case OPT_STATS: c->stats = true; return 0;
	case OPT_BENCH: c->bench = true; return 0;
	case OPT_JOBLOG: c->joblog = arg; return 0;
	case OPT_STATS_JSON: c->stats_json = arg; return 0;
	case OPT_BENCH_JSON: c->bench_json = arg; return 0;
	case 'w':
		if (strcmp(arg, "line") == 0)
			c->wire = WIRE_LINE;
		else if (strcmp(arg, "base64") == 0)
			c->wire = WIRE_BASE64;
		else
			break;
		return 0;
	case 'j':
		if ((c->jobs_auto = strcmp(arg, "auto") == 0))
			return 0;
		if (parse_jobs(arg, ncpus, &c->jobs) < 0) {
			escape_message(err, errlen, "invalid --jobs '%s': expected N, N%% or auto",
			     shown(value, arg, strlen(arg)));
			return -1;
		}
		if (c->jobs == 0) {
			escape_message(err, errlen, "invalid --jobs '%s': must be at least 1", arg);
			return -1;
		}
		return 0;
	case 'm':
		if (config_count(arg, 0, 100000, &n) < 0)
			break;
		c->min = (unsigned)n;
		return 0;
	case 'i':
		if (config_duration(arg, &c->idle_timeout) < 0)
			break;
		return 0;
	case OPT_DEPTH:
		if (strcmp(arg, "auto") == 0) {
			c->depth = 0;
			return 0;
		}
		if (config_count(arg, 1, 65536, &n) < 0)
			break;
		c->depth = (unsigned)n;
		return 0;
	case OPT_MAX_RECORD:
		if (config_size(arg, &n) < 0 || n < 1 || n > (1ull << 40))
			break;
		c->max_record = (size_t)n;
		return 0;
	case OPT_MAX_TASKS:
		if (config_count(arg, 1, UINT64_MAX, &c->max_tasks) < 0)
			break;
		return 0;
	case OPT_MAX_TASKS_JITTER:
		if (config_count(arg, 0, UINT32_MAX, &c->max_tasks_jitter) < 0)
			break;
		return 0;
	case OPT_PIN_SLOTS:
		c->pin_slots = true;
		return 0;
	case OPT_MAX_JOBS:
		if (config_count(arg, 1, 100000, &n) < 0)
			break;
		c->max_jobs = (unsigned)n;
		return 0;
	case OPT_NICE:
		if (config_count(arg, 0, 39, &n) < 0)
			break;
		c->nice = (int)n;
		return 0;
	case OPT_CPUS:
		if (config_cpu_list(arg, &top) < 0)
			break;
		c->cpus = arg;
		return 0;
	case OPT_MEM_LIMIT:
		if (config_size(arg, &c->mem_limit) < 0 || c->mem_limit < 4096)
			break;
		return 0;
	case OPT_RETRIES:
		if (config_count(arg, 0, 1000, &n) < 0)
			break;
		c->retries = (unsigned)n;
		return 0;
	case OPT_TIMEOUT:
		if (config_duration(arg, &c->timeout) < 0 || c->timeout <= 0)
			break;
		return 0;
	case OPT_HOST_RETRY:
		if (config_duration(arg, &c->host_retry) < 0 || c->host_retry <= 0)
			break;
		return 0;
	case OPT_START_TIMEOUT:
	case OPT_STOP_TIMEOUT:
		if (strcmp(arg, "none") == 0)
			d = 0;
		else if (config_duration(arg, &d) < 0 || d <= 0)
			break;
		*(opt == OPT_START_TIMEOUT ? &c->start_timeout : &c->stop_timeout) = d;
		return 0;
	case OPT_READY:
		if (strchr(arg, '\n'))
			break;
		c->ready_line = arg;
		return 0;
	case OPT_KILL_GRACE:
		if (config_duration(arg, &d) < 0)
			break;
		c->kill_grace = d;
		return 0;
	case OPT_HALT:
		if (parse_halt(c, arg) < 0) {
			escape_message(err, errlen, "invalid --halt '%s': expected never, soon,fail=N[%%] "
					  "or now,fail=N[%%]", shown(value, arg, strlen(arg)));
			return -1;
		}
		return 0;
	case OPT_TOTAL:
		if (config_count(arg, 1, UINT64_MAX, &c->total) < 0)
			break;
		return 0;
	case OPT_BENCH_JOBS:
		if (parse_bench_jobs(c, arg) < 0)
			break;
		return 0;
	case OPT_BENCH_RUNS:
		if (config_count(arg, 1, 1000, &n) < 0)
			break;
		c->bench_runs = (unsigned)n;
		return 0;
	}
	escape_message(err, errlen, "invalid --%s '%s': expected %s", long_name(opt),
	     shown(value, arg, strlen(arg)), expected(opt));
	return -1;
}

/* The index in options[] of an option's code (that of the end if none). */
static size_t option_index(int code)
{
	size_t i = 0;
	while (options[i].name && options[i].val != code)
		i++;
	return i;
}

/* --min above --jobs: an error when both were given; a -j left at its
 * default rises to --min (asking for 8 warm workers means 8 may run). With
 * other hosts, --min counts workers on all of them, and -j only here's. */
static int check_min(struct config *c, const bool *seen, char *err, size_t errlen)
{
	if (c->min <= c->jobs || c->nsshlogins || c->nsshloginfiles)
		return 0;
	if (c->jobs_auto) {
		escape_message(err, errlen, "--min %u is above --max-jobs %u", c->min, c->jobs);
		return -1;
	}
	if (seen[option_index('j')]) {
		escape_message(err, errlen, "--min %u is above --jobs %u", c->min, c->jobs);
		return -1;
	}
	c->jobs = c->min;
	return 0;
}

/* Rules between options, checked once all are known. */
static int validate(struct config *c, const bool *seen, char *err, size_t errlen)
{
	if (!seen[option_index('w')])
		c->wire = c->base64_io ? WIRE_BASE64 : WIRE_LINE;
	if (seen[option_index(OPT_MAX_JOBS)] && !c->jobs_auto) {
		escape_message(err, errlen, "--max-jobs needs -j auto");
		return -1;
	}
	if (c->jobs_auto && (c->nsshlogins || c->nsshloginfiles)) {
		escape_message(err, errlen, "-j auto cannot be used with -S or --sshloginfile, "
					    "where each host has its own cap");
		return -1;
	}
	if (c->jobs_auto && c->bench) {
		escape_message(err, errlen, "-j auto cannot be used with --bench, which measures "
					    "the sizes --bench-jobs lists");
		return -1;
	}
	if (c->jobs_auto)
		c->jobs = c->max_jobs; /* what every bound is sized for */
	if (check_min(c, seen, err, errlen) < 0)
		return -1;
	if (c->resume && c->resume_failed) {
		escape_message(err, errlen, "--resume and --resume-failed exclude each other");
		return -1;
	}
	if ((c->resume || c->resume_failed) && !c->joblog) {
		escape_message(err, errlen, "--%s needs --joblog FILE", c->resume ? "resume" : "resume-failed");
		return -1;
	}
	if (c->answer_end && c->wire == WIRE_BASE64) {
		escape_message(err, errlen, "--answer-end cannot be used with the base64 wire: a base64 answer "
				  "is one line, and may hold any bytes already");
		return -1;
	}
	if (c->max_tasks_jitter && !c->max_tasks) {
		escape_message(err, errlen, "--max-tasks-jitter needs --max-tasks N");
		return -1;
	}
	if (c->pin_slots && !c->cpus) {
		escape_message(err, errlen, "--pin-slots needs --cpus LIST");
		return -1;
	}
	if (c->bench && c->nbench_jobs == 0) {
		c->bench_jobs[c->nbench_jobs++] = 1;
		if (c->jobs > 2)
			c->bench_jobs[c->nbench_jobs++] = 2;
		if (c->jobs > 1)
			c->bench_jobs[c->nbench_jobs++] = c->jobs;
	}
	return 0;
}

/* A long option getopt_long did not take: "--jo" may abbreviate several
 * (getopt says no more than that it is not one). */
static void unknown_long(const char *arg, char *err, size_t errlen)
{
	char name[ESCAPE_SIZE(SHOWN_MAX)], names[200] = "";
	size_t len = strcspn(arg, "="), at = 0;
	unsigned n = 0;
	for (const struct option *o = options; o->name && len > 2; o++)
		if (strncmp(o->name, arg + 2, len - 2) == 0 && at < sizeof names)
			at += (size_t)snprintf(names + at, sizeof names - at, "%s--%s", n++ ? ", " : "",
					       o->name);
	if (n > 1)
		escape_message(err, errlen, "option '%s' is ambiguous (%s)", shown(name, arg, len), names);
	else
		escape_message(err, errlen, "unknown option '%s'", shown(name, arg, len));
}

/* A file option given twice: which file would the user expect written? */
static bool once_only(int code)
{
	return code == OPT_JOBLOG || code == OPT_STATS_JSON || code == OPT_BENCH_JSON ||
	       code == OPT_SSH;
}

/* getopt_long's complaint about the option at argv[optind - 1], in err. */
static void bad_option(int opt, const char *bad, char *err, size_t errlen)
{
	char letter = (char)optopt, name[ESCAPE_SIZE(SHOWN_MAX)];
	if (opt == ':') {
		escape_message(err, errlen, "option '--%s' needs a value", long_name(optopt));
	} else if (optopt && bad[0] == '-' && bad[1] == '-') {
		escape_message(err, errlen, "option '--%s' takes no value", long_name(optopt));
	} else if (optopt) {
		escape_message(err, errlen, "unknown option '-%s'", shown(name, &letter, 1));
	} else {
		unknown_long(bad, err, errlen);
	}
}

enum config_result config_parse(struct config *c, int argc, char **argv, unsigned ncpus,
				char *err, size_t errlen)
{
	bool seen[sizeof options / sizeof options[0]] = {false};
	int opt, longindex;

	set_defaults(c, ncpus);
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then also forgets a half-read "-abc" */
	while ((opt = getopt_long(argc, argv, shortopts, options, &longindex)) != -1) {
		if (opt == 'h')
			return CONFIG_HELP;
		if (opt == 'V')
			return CONFIG_VERSION;
		if (opt == '?' || opt == ':') {
			bad_option(opt, argv[optind - 1], err, errlen);
			return CONFIG_ERROR;
		}
		if (seen[option_index(opt)] && once_only(opt)) {
			escape_message(err, errlen, "--%s given twice", long_name(opt));
			return CONFIG_ERROR;
		}
		seen[option_index(opt)] = true;
		if (apply(c, opt, optarg, ncpus, err, errlen) < 0)
			return CONFIG_ERROR;
	}
	if (optind >= argc) {
		escape_message(err, errlen, "missing COMMAND");
		return CONFIG_ERROR;
	}
	c->argv = argv + optind;
	return validate(c, seen, err, errlen) < 0 ? CONFIG_ERROR : CONFIG_RUN;
}

void config_free(struct config *c)
{
	free((void *)c->arg_files);
	free((void *)c->sshlogins);
	free((void *)c->sshloginfiles);
	c->arg_files = c->sshlogins = c->sshloginfiles = NULL;
	c->narg_files = c->nsshlogins = c->nsshloginfiles = 0;
}
