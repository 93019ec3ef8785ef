/* bench: compare ways of running COMMAND; see bench.h.
 *
 * The input is copied once to an unlinked temporary file and each run reads
 * it from the start, writing its results (always in input order, so runs
 * compare byte for byte) to another temporary file that is hashed. Runs call
 * pool_run() in this process; the workers' CPU time is the growth of
 * RUSAGE_CHILDREN across a run. */
#include "bench.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "hist.h"
#include "log.h"
#include "pool.h"
#include "stats.h"
#include "util.h"

#define MAX_CONFIGS 20

struct run {
	int64_t wall_ns, cpu_ns;
	uint64_t p50, p99, failed;
	uint64_t hash;
};

struct bench_config {
	char name[48];
	unsigned jobs;
	bool per_task;
	struct run runs[1000];
	unsigned nruns;
};

/* An unlinked temporary file in $TMPDIR (tmpfile() ignores TMPDIR). */
static FILE *temp_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/procpool-bench.XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		log_die(EXIT_FATAL, "--bench: cannot make a temporary file in '%s': %s",
			dir && *dir ? dir : "/tmp", strerror(errno));
	unlink(path);
	FILE *f = fdopen(fd, "w+");
	if (!f)
		log_die(EXIT_FATAL, "--bench: %s", strerror(errno));
	return f;
}

static int64_t children_cpu(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_CHILDREN, &ru) < 0)
		return 0;
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * NS_PER_SEC +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* FNV-1a over the whole file. */
static uint64_t hash_file(FILE *f)
{
	uint64_t h = 1469598103934665603ull;
	char b[65536];
	size_t n;
	rewind(f);
	while ((n = fread(b, 1, sizeof b, f)) > 0)
		for (size_t i = 0; i < n; i++)
			h = (h ^ (unsigned char)b[i]) * 1099511628211ull;
	return h;
}

static FILE *copy_input(int in_fd, uint64_t *records, char sep)
{
	FILE *f = temp_file();
	char b[65536];
	ssize_t n;
	char last = sep;
	*records = 0;
	while ((n = read_retry(in_fd, b, sizeof b)) > 0) {
		if (fwrite(b, 1, (size_t)n, f) != (size_t)n)
			log_die(EXIT_FATAL, "--bench: cannot copy the input: %s", strerror(errno));
		for (ssize_t i = 0; i < n; i++)
			*records += b[i] == sep;
		last = b[n - 1];
	}
	if (n < 0)
		log_die(EXIT_FATAL, "cannot read input: %s", strerror(errno));
	if (last != sep)
		++*records;
	if (fflush(f) != 0)
		log_die(EXIT_FATAL, "--bench: cannot copy the input: %s", strerror(errno));
	return f;
}

static void one_run(const struct config *base, struct bench_config *bc, FILE *in, struct run *r)
{
	struct config c = *base;
	c.jobs = bc->jobs;
	c.min = 1;
	c.keep_order = true;
	c.max_tasks = bc->per_task ? 1 : base->max_tasks;
	c.progress = c.stats = false;
	c.stats_json = NULL;
	c.joblog = NULL;
	c.resume = c.resume_failed = false;
	FILE *out = temp_file();
	lseek(fileno(in), 0, SEEK_SET);
	struct stats st;
	stats_init(&st, now_ns(), 0);
	int64_t cpu0 = children_cpu();
	struct pool_result pr = pool_run(&c, fileno(in), fileno(out), &st);
	r->cpu_ns = children_cpu() - cpu0;
	r->wall_ns = pr.wall_ns;
	r->p50 = hist_percentile(&st.latency, 50);
	r->p99 = hist_percentile(&st.latency, 99);
	r->failed = st.failed + st.not_run;
	r->hash = hash_file(out);
	fclose(out);
	if (pr.fatal || pr.signal)
		exit(pr.fatal ? pr.fatal : 128 + pr.signal);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Index of the run with the median wall time. */
static unsigned median_run(const struct bench_config *bc)
{
	int64_t t[1000];
	for (unsigned i = 0; i < bc->nruns; i++)
		t[i] = bc->runs[i].wall_ns;
	qsort(t, bc->nruns, sizeof t[0], cmp_i64);
	int64_t med = t[(bc->nruns - 1) / 2];
	for (unsigned i = 0; i < bc->nruns; i++)
		if (bc->runs[i].wall_ns == med)
			return i;
	return 0;
}

static unsigned plan(const struct config *c, struct bench_config *bcs)
{
	unsigned n = 0, most = 1;
	for (unsigned i = 0; i < c->nbench_jobs; i++)
		if (c->bench_jobs[i] > most)
			most = c->bench_jobs[i];
	bcs[n] = (struct bench_config){.jobs = 1, .per_task = true};
	snprintf(bcs[n++].name, sizeof bcs[0].name, "process per task, -j1");
	if (most > 1) {
		bcs[n] = (struct bench_config){.jobs = most, .per_task = true};
		snprintf(bcs[n++].name, sizeof bcs[0].name, "process per task, -j%u", most);
	}
	for (unsigned i = 0; i < c->nbench_jobs && n < MAX_CONFIGS; i++) {
		bcs[n] = (struct bench_config){.jobs = c->bench_jobs[i]};
		snprintf(bcs[n++].name, sizeof bcs[0].name,
			 c->bench_jobs[i] == 1 ? "one reused worker, -j1" : "pool, -j%u",
			 c->bench_jobs[i]);
	}
	return n;
}

static void print_table(const struct config *c, struct bench_config *bcs, unsigned n,
			uint64_t records, int *status)
{
	uint64_t ref = bcs[0].runs[0].hash;
	double base_rate = 0;
	char cmd[80];
	size_t o = 0;
	for (char **a = c->argv; *a && o + 4 < sizeof cmd; a++)
		o += (size_t)snprintf(cmd + o, sizeof cmd - o, "%s%s", o ? " " : "", *a);
	if (o >= sizeof cmd - 4)
		memcpy(cmd + sizeof cmd - 4, "...", 4);
	printf("procpool --bench: %llu tasks through '%s', %u runs each; median (min-max)\n\n",
	       (unsigned long long)records, cmd, c->bench_runs);
	printf("%-26s %20s %9s %9s %9s %8s  %s\n", "configuration", "tasks/s", "p50", "p99",
	       "cpu", "speedup", "results");
	for (unsigned i = 0; i < n; i++) {
		struct bench_config *bc = &bcs[i];
		const struct run *m = &bc->runs[median_run(bc)];
		int64_t lo = INT64_MAX, hi = 0;
		bool same = true;
		uint64_t failed = 0;
		for (unsigned k = 0; k < bc->nruns; k++) {
			const struct run *r = &bc->runs[k];
			lo = r->wall_ns < lo ? r->wall_ns : lo;
			hi = r->wall_ns > hi ? r->wall_ns : hi;
			same = same && r->hash == ref;
			failed += r->failed;
		}
		double rate = m->wall_ns > 0 ? (double)records * 1e9 / (double)m->wall_ns : 0;
		if (i == 0)
			base_rate = rate;
		char range[64], p50[16], p99[16], cpu[16];
		snprintf(range, sizeof range, "%.0f (%.0f-%.0f)", rate,
			 hi ? (double)records * 1e9 / (double)hi : 0,
			 lo ? (double)records * 1e9 / (double)lo : 0);
		format_duration(p50, sizeof p50, (int64_t)m->p50);
		format_duration(p99, sizeof p99, (int64_t)m->p99);
		format_duration(cpu, sizeof cpu, m->cpu_ns);
		const char *verdict = failed ? "TASKS FAILED" : i == 0 ? "reference"
						 : same ? "identical" : "DIFFERENT";
		printf("%-26s %20s %9s %9s %9s %7.1fx  %s\n", bc->name, range, p50, p99, cpu,
		       base_rate > 0 ? rate / base_rate : 0, verdict);
		if (failed || !same)
			*status = 1;
	}
	if (*status)
		printf("\nnot every configuration wrote the same results: a worker that answers "
		       "differently when reused, or tasks that failed, is worth a look\n");
}

static void write_json(const char *path, const struct bench_config *bcs, unsigned n,
		       uint64_t records)
{
	FILE *f = fopen(path, "we");
	if (!f) {
		log_warn("cannot write '%s': %s", path, strerror(errno));
		return;
	}
	fprintf(f, "{\"tasks\": %llu, \"configurations\": [", (unsigned long long)records);
	for (unsigned i = 0; i < n; i++) {
		const struct bench_config *bc = &bcs[i];
		fprintf(f, "%s\n  {\"name\": \"%s\", \"jobs\": %u, \"per_task\": %s, \"runs\": [",
			i ? "," : "", bc->name, bc->jobs, bc->per_task ? "true" : "false");
		for (unsigned k = 0; k < bc->nruns; k++) {
			const struct run *r = &bc->runs[k];
			fprintf(f, "%s{\"wall_ns\": %lld, \"cpu_ns\": %lld, \"p50_ns\": %llu, "
				   "\"p99_ns\": %llu, \"failed\": %llu, \"identical\": %s}",
				k ? ", " : "", (long long)r->wall_ns, (long long)r->cpu_ns,
				(unsigned long long)r->p50, (unsigned long long)r->p99,
				(unsigned long long)r->failed,
				r->hash == bcs[0].runs[0].hash ? "true" : "false");
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n]}\n");
	if (fclose(f) != 0)
		log_warn("cannot write '%s': %s", path, strerror(errno));
}

int bench_run(const struct config *c, int in_fd)
{
	uint64_t records;
	FILE *in = copy_input(in_fd, &records, c->base64_io ? '\n' : c->sep);
	static struct bench_config bcs[MAX_CONFIGS];
	unsigned n = plan(c, bcs);
	int status = 0;
	for (unsigned i = 0; i < n; i++) {
		if (log_verbose)
			log_warn("bench: %s", bcs[i].name);
		for (unsigned k = 0; k < c->bench_runs; k++)
			one_run(c, &bcs[i], in, &bcs[i].runs[bcs[i].nruns++]);
	}
	print_table(c, bcs, n, records, &status);
	if (c->bench_json)
		write_json(c->bench_json, bcs, n, records);
	fclose(in);
	return status;
}
