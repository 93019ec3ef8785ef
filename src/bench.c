/* bench: compare ways of running COMMAND; see bench.h.
 *
 * The input is copied once to an unlinked temporary file. Each
 * configuration first times probes on the input's first records and from
 * them picks how many records its runs take: all of them, or the first N
 * when a whole run would take much longer than RUN_BUDGET_NS (one process
 * per task takes PER_TASK_MAX at most). A run calls pool_run() in this
 * process and writes its results, always in input order, to another
 * temporary file; the workers' CPU time is the growth of RUSAGE_CHILDREN
 * across the run. In input order the results of the first N records are
 * the first bytes of a longer run's, so every run is checked against the
 * reference (the first run of the first configuration) on the records both
 * ran. A signal that stops a run stops the benchmark, and the table shows
 * what had completed. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hist.h"
#include "input.h"
#include "log.h"
#include "pool.h"
#include "stats.h"
#include "util.h"

#define MAX_CONFIGS 20
#define MAX_RUNS 1000
#define RUN_BUDGET_NS NS_PER_SEC  /* what a sampled run aims to take */
#define PER_TASK_MAX 300          /* records at most in a per-task run */
#define JITTER_NS (20 * NS_PER_MS) /* timing noise a probe allows for */
#define CMD_SHOWN 100             /* bytes of the command in the header */

struct run {
	int64_t wall_ns, cpu_ns;
	uint64_t p50, p99, failed;
	bool same; /* agrees with the reference on the records both ran */
};

struct bench_config {
	char name[48];
	unsigned jobs;
	bool per_task;
	uint64_t tasks;   /* records each run takes: the input's first ones */
	bool interrupted; /* a signal stopped one of its runs or probes */
	struct run runs[MAX_RUNS];
	unsigned nruns;
};

struct bench {
	const struct config *c;
	char sep;         /* ends an input record */
	int in;           /* the copy of the input */
	uint64_t records; /* in it */
	int ref;          /* the reference run's results; -1 until it ran */
	uint64_t ref_tasks;
	int signal;       /* that stopped the benchmark, else 0 */
	struct bench_config bcs[MAX_CONFIGS];
	unsigned n;
};

/* ---- options ------------------------------------------------------------ */

/* Options about one run of the tasks, which mean nothing across the many
 * runs of --bench: refused rather than silently ignored. */
static void refuse_options(const struct config *c)
{
	const char *skips = "it skips tasks, and every configuration must run the same ones";
	const struct { bool set; const char *name, *why; } refused[] = {
		{c->resume, "--resume", skips},
		{c->resume_failed, "--resume-failed", skips},
		{c->joblog, "--joblog", "--bench runs every task many times "
					"(--bench-json FILE records every run)"},
		{c->halt != HALT_NEVER, "--halt",
		 "a configuration stopped early cannot be compared with the others"},
		{c->progress, "--progress",
		 "--bench makes many short runs (-v names each configuration as it starts)"},
		{c->total, "--total", "it is for --progress, and --bench counts its input itself"},
		{c->stats, "--stats", "the --bench table shows the statistics of every configuration"},
		{c->stats_json, "--stats-json", "--bench-json FILE writes the measurements of every run"},
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (refused[i].set)
			log_die(EXIT_USAGE, "%s cannot be used with --bench: %s", refused[i].name,
				refused[i].why);
}

/* ---- files -------------------------------------------------------------- */

/* An unlinked temporary file in $TMPDIR (tmpfile() ignores TMPDIR). */
static int temp_fd(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	char path[4096];
	snprintf(path, sizeof path, "%s/procpool-bench.XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0)
		log_die(EXIT_FATAL, "--bench: cannot make a temporary file in '%s': %s", dir,
			strerror(errno));
	unlink(path);
	fd_set_cloexec(fd);
	return fd;
}

static void copy_out(int fd, const char *b, size_t n)
{
	if (write_all(fd, b, n) < 0)
		log_die(EXIT_FATAL, "--bench: cannot copy the input: %s", strerror(errno));
}

/* The input, every record ending with its separator (see input.h). */
static void copy_input(struct bench *b, const int *in_fds, unsigned n_in)
{
	char buf[65536];
	struct input in;
	input_init(&in, in_fds, n_in, b->sep, 1, 0);
	b->in = temp_fd();
	while (!in.eof) {
		ssize_t n = input_read(&in, buf, sizeof buf);
		if (n < 0)
			log_die(EXIT_FATAL, "cannot read input: %s", strerror(errno));
		copy_out(b->in, buf, (size_t)n);
		for (ssize_t i = 0; i < n; i++)
			b->records += buf[i] == b->sep;
	}
	input_close(&in);
}

/* The input's first n records: the copy itself when that is all of it,
 * else a new temporary file (which the caller closes). */
static int head_records(const struct bench *b, uint64_t n)
{
	if (n >= b->records)
		return b->in;
	int fd = temp_fd();
	char buf[65536];
	off_t off = 0;
	ssize_t got = 0;
	while (n > 0 && (got = pread(b->in, buf, sizeof buf, off)) > 0) {
		size_t k = 0;
		while (k < (size_t)got && n > 0)
			n -= buf[k++] == b->sep;
		copy_out(fd, buf, k);
		off += got;
	}
	if (got < 0)
		log_die(EXIT_FATAL, "--bench: cannot read the input copy: %s", strerror(errno));
	return fd;
}

static void close_head(const struct bench *b, int fd)
{
	if (fd != b->in)
		close(fd);
}

static off_t file_size(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? st.st_size : -1;
}

/* The first n bytes of the files a and b are the same. */
static bool same_start(int a, int b, off_t n)
{
	static char x[65536], y[65536];
	for (off_t off = 0; off < n;) {
		size_t want = n - off < (off_t)sizeof x ? (size_t)(n - off) : sizeof x;
		if (pread(a, x, want, off) != (ssize_t)want || pread(b, y, want, off) != (ssize_t)want ||
		    memcmp(x, y, want) != 0)
			return false;
		off += (off_t)want;
	}
	return true;
}

/* Two runs' results, of the first na and nb records, agree on the records
 * both ran: those of the fewer begin those of the more. */
static bool agree(int a, uint64_t na, int b, uint64_t nb)
{
	if (na > nb)
		return agree(b, nb, a, na);
	off_t sa = file_size(a), sb = file_size(b);
	if (sa < 0 || sa > sb || (na == nb && sa != sb))
		return false;
	return same_start(a, b, sa);
}

/* ---- runs --------------------------------------------------------------- */

static int64_t children_cpu(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_CHILDREN, &ru) < 0)
		return 0;
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * NS_PER_SEC +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* One run of bc on in_fd, its results to out_fd, measured into r. A fatal
 * error ends procpool; a signal is noted in b and bc, and returns false. */
static bool run_once(struct bench *b, struct bench_config *bc, int in_fd, int out_fd,
		     struct run *r)
{
	const struct config *base = b->c;
	struct config c = *base;
	c.jobs = bc->jobs;
	c.min = base->min < bc->jobs ? base->min : bc->jobs;
	c.keep_order = true;
	c.max_tasks = bc->per_task ? 1 : base->max_tasks;
	lseek(in_fd, 0, SEEK_SET);
	struct stats st;
	stats_init(&st, now_ns(), 0);
	int64_t cpu0 = children_cpu();
	struct pool_result pr = pool_run(&c, &in_fd, 1, out_fd, &st);
	if (pr.fatal)
		exit(pr.fatal);
	*r = (struct run){
		.wall_ns = pr.wall_ns,
		.cpu_ns = children_cpu() - cpu0,
		.p50 = hist_percentile(&st.latency, 50),
		.p99 = hist_percentile(&st.latency, 99),
		.failed = st.failed + st.not_run,
	};
	stats_free(&st);
	if (pr.signal) {
		b->signal = pr.signal;
		bc->interrupted = true;
	}
	return !pr.signal;
}

/* Wall time of bc on the first q records; -1 when a signal stopped it. */
static int64_t probe(struct bench *b, struct bench_config *bc, uint64_t q)
{
	int in = head_records(b, q);
	int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (out < 0)
		log_die(EXIT_FATAL, "--bench: cannot open /dev/null: %s", strerror(errno));
	struct run r;
	bool done = run_once(b, bc, in, out, &r);
	close(out);
	close_head(b, in);
	return done ? r.wall_ns : -1;
}

/* After a probe of q records that took t (the first, of one record, took
 * t1): the next probe's record count, or q when the probes have seen
 * enough. The time beyond t1, over the records beyond the first, is what
 * one more record costs; a worker's start-up, which a reused worker pays
 * once, stays in t1. Each probe is sized to keep that extra time within
 * half the budget, allowing for jitter, and to grow at most 64 times. */
static uint64_t next_probe(const struct bench_config *bc, uint64_t q, int64_t t1, int64_t t)
{
	int64_t extra = t - t1;
	if (q == 1) {
		/* One process per task has no start-up to set apart. */
		if (bc->per_task && t1 >= RUN_BUDGET_NS / 4)
			return q;
		uint64_t next = 1 + (uint64_t)(RUN_BUDGET_NS / 2 / (t1 + JITTER_NS));
		/* A record more than there are workers: one of them runs two,
		 * so the extra time is not hidden by running in parallel. */
		return next > 1 + bc->jobs ? next : 1 + bc->jobs;
	}
	if (extra >= RUN_BUDGET_NS / 4)
		return q;
	int64_t per = (extra + JITTER_NS) / (int64_t)(q - 1);
	uint64_t next = q + (uint64_t)((RUN_BUDGET_NS / 2 - extra) / (per > 0 ? per : 1));
	return next < 64 * q ? next : 64 * q;
}

/* How many of the input's first records each run of bc takes: as many as
 * the probes say cost about RUN_BUDGET_NS beyond the first record's time,
 * and at most the input (PER_TASK_MAX for one process per task). 0 with
 * bc->interrupted when a signal stopped a probe. */
static uint64_t sample_size(struct bench *b, struct bench_config *bc)
{
	uint64_t cap = b->records;
	if (bc->per_task && cap > PER_TASK_MAX)
		cap = PER_TASK_MAX;
	if (cap <= 1)
		return cap;
	uint64_t q = 1, next;
	int64_t t1 = probe(b, bc, 1), t = t1;
	while (t >= 0 && q < cap && (next = next_probe(bc, q, t1, t)) > q) {
		q = next < cap ? next : cap;
		t = probe(b, bc, q);
	}
	if (t < 0)
		return 0;
	int64_t per = q > 1 ? (t - t1) / (int64_t)(q - 1) : t1;
	uint64_t n = per > 0 ? (uint64_t)(RUN_BUDGET_NS / per) : cap;
	return n >= cap ? cap : n ? n : 1;
}

/* The --bench-runs runs of bc on its first bc->tasks records. */
static void measure(struct bench *b, struct bench_config *bc)
{
	int in = head_records(b, bc->tasks);
	for (unsigned k = 0; k < b->c->bench_runs; k++) {
		int out = temp_fd();
		struct run *r = &bc->runs[bc->nruns];
		if (!run_once(b, bc, in, out, r)) {
			close(out);
			break;
		}
		bc->nruns++;
		if (b->ref < 0) {
			b->ref = out;
			b->ref_tasks = bc->tasks;
			r->same = true;
			continue;
		}
		r->same = agree(out, bc->tasks, b->ref, b->ref_tasks);
		close(out);
	}
	close_head(b, in);
}

static void run_config(struct bench *b, struct bench_config *bc)
{
	if (log_verbose)
		log_warn("bench: %s", bc->name);
	bc->tasks = sample_size(b, bc);
	if (bc->interrupted)
		return;
	if (log_verbose)
		log_warn("bench: %s: %llu of %llu tasks per run", bc->name,
			 (unsigned long long)bc->tasks, (unsigned long long)b->records);
	measure(b, bc);
}

static void add_config(struct bench *b, unsigned jobs, bool per_task)
{
	if (b->n == MAX_CONFIGS)
		return;
	struct bench_config *bc = &b->bcs[b->n++];
	bc->jobs = jobs;
	bc->per_task = per_task;
	if (per_task)
		snprintf(bc->name, sizeof bc->name, "process per task, -j%u", jobs);
	else if (jobs == 1)
		snprintf(bc->name, sizeof bc->name, "one reused worker, -j1");
	else
		snprintf(bc->name, sizeof bc->name, "pool, -j%u", jobs);
}

static void plan(struct bench *b)
{
	const struct config *c = b->c;
	unsigned most = 1;
	for (unsigned i = 0; i < c->nbench_jobs; i++)
		if (c->bench_jobs[i] > most)
			most = c->bench_jobs[i];
	add_config(b, 1, true);
	if (most > 1)
		add_config(b, most, true);
	for (unsigned i = 0; i < c->nbench_jobs; i++)
		add_config(b, c->bench_jobs[i], false);
}

/* ---- the command in the header ------------------------------------------ */

/* The command on one line. Tokens (a byte or an escape) go in whole or not
 * at all, so a cut never splits an escape. */
struct line {
	char s[CMD_SHOWN + 1];
	size_t len;
	bool full;
};

static void put(struct line *l, const char *tok, size_t n)
{
	if (l->full || l->len + n > CMD_SHOWN - 3) {
		l->full = true;
		return;
	}
	memcpy(l->s + l->len, tok, n);
	l->len += n;
}

static bool is_control(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

/* Needs no quotes: not empty, only letters, digits and a few marks ('='
 * would make a first word an assignment). */
static bool is_plain(const char *a, bool first)
{
	if (!*a)
		return false;
	for (; *a; a++)
		if (!(*a >= 'a' && *a <= 'z') && !(*a >= 'A' && *a <= 'Z') &&
		    !(*a >= '0' && *a <= '9') && !strchr(first ? "_@%+:,./-" : "_@%+=:,./-", *a))
			return false;
	return true;
}

/* One argument as a shell needs it: bare when plain, else in '...', or in
 * $'...' with C escapes when it holds control bytes. */
static void put_arg(struct line *l, const char *a, bool first)
{
	bool plain = is_plain(a, first), ansi = false;
	for (const char *q = a; *q; q++)
		ansi = ansi || is_control((unsigned char)*q);
	if (!plain)
		put(l, ansi ? "$'" : "'", ansi ? 2 : 1);
	for (const unsigned char *p = (const unsigned char *)a; *p; p++) {
		char esc[8];
		if (*p == '\'')
			put(l, ansi ? "\\'" : "'\\''", ansi ? 2 : 4);
		else if (ansi && *p == '\\')
			put(l, "\\\\", 2);
		else if (ansi && *p == '\n')
			put(l, "\\n", 2);
		else if (ansi && *p == '\t')
			put(l, "\\t", 2);
		else if (ansi && is_control(*p))
			put(l, esc, (size_t)snprintf(esc, sizeof esc, "\\x%02x", *p));
		else
			put(l, (const char *)p, 1);
	}
	if (!plain)
		put(l, "'", 1);
}

static void shell_line(char **argv, struct line *l)
{
	for (char **a = argv; *a; a++) {
		if (a != argv)
			put(l, " ", 1);
		put_arg(l, *a, a == argv);
	}
	if (l->full) {
		/* Nor leave half a UTF-8 character. */
		while (l->len && ((unsigned char)l->s[l->len - 1] & 0xc0) == 0x80)
			l->len--;
		if (l->len && (unsigned char)l->s[l->len - 1] >= 0xc0)
			l->len--;
		memcpy(l->s + l->len, "...", 3);
		l->len += 3;
	}
	l->s[l->len] = '\0';
}

/* ---- the table ---------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Index of the run with the median wall time. */
static unsigned median_run(const struct bench_config *bc)
{
	int64_t t[MAX_RUNS];
	for (unsigned i = 0; i < bc->nruns; i++)
		t[i] = bc->runs[i].wall_ns;
	qsort(t, bc->nruns, sizeof t[0], cmp_i64);
	int64_t med = t[(bc->nruns - 1) / 2];
	for (unsigned i = 0; i < bc->nruns; i++)
		if (bc->runs[i].wall_ns == med)
			return i;
	return 0;
}

static double rate(uint64_t tasks, int64_t wall_ns)
{
	return wall_ns > 0 ? (double)tasks * 1e9 / (double)wall_ns : 0;
}

#define ROW_FORMAT "%-26s %8s %20s %9s %9s %9s %8s  %s\n"

static double median_rate(const struct bench_config *bc)
{
	return bc->nruns ? rate(bc->tasks, bc->runs[median_run(bc)].wall_ns) : 0;
}

/* One row of the table; sets *bad when its results are not all the
 * reference's. */
static void print_row(const struct bench_config *bc, bool reference, double base_rate,
		      bool *bad)
{
	if (bc->nruns == 0) {
		printf(ROW_FORMAT, bc->name, "-", "-", "-", "-", "-", "-", "interrupted");
		return;
	}
	const struct run *m = &bc->runs[median_run(bc)];
	int64_t lo = INT64_MAX, hi = 0;
	bool same = true;
	uint64_t failed = 0;
	for (unsigned k = 0; k < bc->nruns; k++) {
		const struct run *r = &bc->runs[k];
		lo = r->wall_ns < lo ? r->wall_ns : lo;
		hi = r->wall_ns > hi ? r->wall_ns : hi;
		same = same && r->same;
		failed += r->failed;
	}
	double med = median_rate(bc);
	char tasks[24], range[64], p50[16], p99[16], cpu[16], speedup[16] = "-";
	snprintf(tasks, sizeof tasks, "%llu", (unsigned long long)bc->tasks);
	snprintf(range, sizeof range, "%.0f (%.0f-%.0f)", med, rate(bc->tasks, hi),
		 rate(bc->tasks, lo));
	format_duration(p50, sizeof p50, (int64_t)m->p50);
	format_duration(p99, sizeof p99, (int64_t)m->p99);
	format_duration(cpu, sizeof cpu, bc->tasks ? m->cpu_ns / (int64_t)bc->tasks : 0);
	if (base_rate > 0)
		snprintf(speedup, sizeof speedup, "%.1fx", med / base_rate);
	printf(ROW_FORMAT, bc->name, tasks, range, p50, p99, cpu, speedup,
	       bc->interrupted ? "interrupted" : failed ? "TASKS FAILED" : reference ? "reference"
	       : same ? "identical" : "DIFFERENT");
	*bad = *bad || failed || !same;
}

/* The table of the configurations that ran; 0, or 1 when some results
 * differ from the reference's or tasks failed. */
static int print_table(const struct bench *b)
{
	const struct config *c = b->c;
	struct line cmd = {.len = 0};
	shell_line(c->argv, &cmd);
	printf("procpool --bench: %llu tasks, %u run%s each; median (min-max)\ncommand: %s\n\n",
	       (unsigned long long)b->records, c->bench_runs, c->bench_runs == 1 ? "" : "s", cmd.s);
	printf(ROW_FORMAT, "configuration", "tasks", "tasks/s", "p50", "p99", "cpu/task",
	       "speedup", "results");
	double base_rate = median_rate(b->bcs);
	bool bad = false, sampled = false;
	const struct bench_config *stopped = NULL;
	for (const struct bench_config *bc = b->bcs; bc < b->bcs + b->n && !stopped; bc++) {
		print_row(bc, bc == b->bcs, base_rate, &bad);
		sampled = sampled || (bc->nruns && bc->tasks < b->records);
		stopped = bc->interrupted ? bc : NULL;
	}
	if (sampled)
		printf("\nsampled: a row with fewer tasks than the input ran only its first ones "
		       "(a whole run would be slow);\nresults are compared with the reference "
		       "on the tasks both ran\n");
	if (bad)
		printf("\nnot every configuration wrote the same results: a worker that answers "
		       "differently when reused, or tasks that failed, is worth a look\n");
	if (stopped)
		printf("\ninterrupted by %s during '%s': the table shows what had completed\n",
		       signal_name(b->signal), stopped->name);
	if (fflush(stdout) != 0)
		log_die(EXIT_FATAL, "cannot write results: %s", strerror(errno));
	return bad ? 1 : 0;
}

static void write_json(const char *path, const struct bench *b)
{
	FILE *f = fopen(path, "we");
	if (!f) {
		log_warn("cannot write '%s': %s", path, strerror(errno));
		return;
	}
	fprintf(f, "{\"tasks\": %llu, \"configurations\": [", (unsigned long long)b->records);
	for (const struct bench_config *bc = b->bcs; bc < b->bcs + b->n; bc++) {
		if (bc->nruns == 0 && !bc->interrupted)
			break;
		fprintf(f, "%s\n  {\"name\": \"%s\", \"jobs\": %u, \"per_task\": %s, \"tasks\": %llu, "
			   "\"interrupted\": %s, \"runs\": [",
			bc == b->bcs ? "" : ",", bc->name, bc->jobs, bc->per_task ? "true" : "false",
			(unsigned long long)bc->tasks, bc->interrupted ? "true" : "false");
		for (unsigned k = 0; k < bc->nruns; k++) {
			const struct run *r = &bc->runs[k];
			fprintf(f, "%s{\"wall_ns\": %lld, \"cpu_ns\": %lld, \"p50_ns\": %llu, "
				   "\"p99_ns\": %llu, \"failed\": %llu, \"identical\": %s}",
				k ? ", " : "", (long long)r->wall_ns, (long long)r->cpu_ns,
				(unsigned long long)r->p50, (unsigned long long)r->p99,
				(unsigned long long)r->failed, r->same ? "true" : "false");
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n]}\n");
	if (fclose(f) != 0)
		log_warn("cannot write '%s': %s", path, strerror(errno));
}

int bench_run(const struct config *c, const int *in_fds, unsigned n_in)
{
	static struct bench b;
	refuse_options(c);
	b.c = c;
	b.sep = c->base64_io ? '\n' : c->sep;
	b.ref = -1;
	copy_input(&b, in_fds, n_in);
	plan(&b);
	for (unsigned i = 0; i < b.n && !b.signal; i++)
		run_config(&b, &b.bcs[i]);
	int status = print_table(&b);
	if (c->bench_json)
		write_json(c->bench_json, &b);
	close_fd(&b.ref);
	close_fd(&b.in);
	return b.signal ? 128 + b.signal : status;
}
