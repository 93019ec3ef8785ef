/* procpool: run tasks from stdin on a self-scaling pool of long-lived
 * workers. main reads as a list of calls: options in, the run, statistics
 * out, and the result mapped to an exit status (see log.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "config.h"
#include "escape.h"
#include "log.h"
#include "os.h"
#include "pool.h"
#include "sig.h"
#include "stats.h"
#include "util.h"

/* fds procpool keeps besides its workers' (stdio, the signal pipe, the
 * joblog, --stats-json, --bench's temporary files, fds it inherited), and
 * a worker's: 2 while it lives, 4 more while it starts. */
#define FDS_OWN 16
#define FDS_PER_WORKER 2
#define FDS_STARTING 4

/* A low ulimit -n would cap the pool without a word: raise the soft limit
 * as far as -j needs (workers get theirs back, see os.h), and if the hard
 * limit stops short, say so and keep -j to what fits. */
static void fit_fd_limit(struct config *c)
{
	unsigned jobs = c->jobs;
	for (unsigned i = 0; c->bench && i < c->nbench_jobs; i++)
		if (c->bench_jobs[i] > jobs)
			jobs = c->bench_jobs[i];
	uint64_t own = FDS_OWN + c->narg_files + FDS_STARTING;
	uint64_t have = os_raise_nofile(own + (uint64_t)FDS_PER_WORKER * jobs);
	if (have >= own + (uint64_t)FDS_PER_WORKER * jobs)
		return;
	uint64_t fit = have > own + FDS_PER_WORKER ? (have - own) / FDS_PER_WORKER : 1;
	log_warn("ulimit -n %llu allows about %llu workers; -j %u cannot be reached",
		 (unsigned long long)have, (unsigned long long)fit, jobs);
	if (c->jobs > fit)
		c->jobs = (unsigned)fit;
	if (c->min > c->jobs)
		c->min = c->jobs;
}

/* "cannot VERB 'FILE': why", the name escaped, errno the why. */
static void warn_file(const char *verb, const char *path)
{
	char shown[ESCAPE_SIZE(ESCAPE_NAME)];
	log_warn("cannot %s '%s': %s", verb, escape_name(shown, path), strerror(errno));
}

/* One -a FILE, "-" for stdin; dies naming it if it cannot be read. */
static int open_arg_file(const char *path)
{
	if (strcmp(path, "-") == 0)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		fd = -1;
		errno = EISDIR;
	}
	if (fd < 0) {
		warn_file("read", path);
		exit(EXIT_FATAL);
	}
	return fd;
}

/* The input fds: every -a file opened now, so that one that cannot be read
 * stops the run before any task; stdin without -a. The caller frees it. */
static int *open_inputs(const struct config *c, unsigned *n)
{
	*n = c->narg_files ? c->narg_files : 1;
	int *fds = malloc(*n * sizeof *fds);
	if (!fds)
		log_die(EXIT_FATAL, "out of memory");
	fds[0] = 0;
	for (unsigned i = 0; i < c->narg_files; i++)
		fds[i] = open_arg_file(c->arg_files[i]);
	return fds;
}

/* The records of fd from where it stands, read with pread so the input is
 * left where it was; -1 if fd is not a regular file. */
static int count_records(int fd, char sep, uint64_t *n)
{
	struct stat st;
	off_t off = lseek(fd, 0, SEEK_CUR);
	if (off < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	char b[65536], last = sep;
	ssize_t r;
	*n = 0;
	while ((r = pread(fd, b, sizeof b, off)) > 0) {
		for (ssize_t i = 0; i < r; i++)
			*n += b[i] == sep;
		last = b[r - 1];
		off += r;
	}
	*n += last != sep;
	return r < 0 ? -1 : 0;
}

/* Total tasks for --progress: --total, or the records of the -a files when
 * every one is a regular file; 0, unknown, otherwise. */
static uint64_t count_total(const struct config *c, const int *fds, unsigned n)
{
	if (c->total || !c->progress || !c->narg_files)
		return c->total;
	uint64_t total = 0, records;
	for (unsigned i = 0; i < n; i++) {
		if (count_records(fds[i], c->base64_io ? '\n' : c->sep, &records) < 0)
			return 0;
		total += records;
	}
	return total;
}

/* --stats-json FILE, opened at start as the joblog is, so that a path that
 * cannot be written stops the run before any task; emptied only when the
 * statistics are written, so the last run's stay until then. -1: none. */
static int open_stats_json(const struct config *c)
{
	if (!c->stats_json)
		return -1;
	int fd = open(c->stats_json, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		warn_file("write", c->stats_json);
		exit(EXIT_FATAL);
	}
	return fd;
}

/* The statistics into the --stats-json file; a failure is fatal (124). */
static void write_stats_json(const struct config *c, const struct stats *st, int fd,
			     struct pool_result *r)
{
	struct stat sb;
	bool emptied = fstat(fd, &sb) == 0 && (!S_ISREG(sb.st_mode) || ftruncate(fd, 0) == 0);
	if (emptied && stats_write_json(st, fd) == 0)
		return;
	warn_file("write", c->stats_json);
	if (!emptied)
		close(fd);
	if (!r->fatal)
		r->fatal = EXIT_FATAL;
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * NS_PER_SEC + (uint64_t)tv.tv_usec * 1000;
}

/* CPU time of the workers (reaped children), and procpool's own CPU time and
 * peak RSS apart from theirs, so the coordinator's cost can be read alone. */
static void usage_at_end(struct stats *st)
{
	struct rusage ru;
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0) {
		st->cpu_user_ns = tv_ns(ru.ru_utime);
		st->cpu_sys_ns = tv_ns(ru.ru_stime);
	}
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		st->self_user_ns = tv_ns(ru.ru_utime);
		st->self_sys_ns = tv_ns(ru.ru_stime);
		st->self_maxrss_kib = (uint64_t)ru.ru_maxrss; /* KiB on Linux */
	}
}

static void report_end(const struct config *c, struct stats *st, int json_fd,
		       struct pool_result *r)
{
	if (st->not_run && !r->broken_pipe)
		log_warn("%llu tasks read but not run", (unsigned long long)st->not_run);
	st->wall_ns = r->wall_ns;
	usage_at_end(st);
	if (c->stats)
		stats_print(st, 2, 0, true);
	if (json_fd >= 0)
		write_stats_json(c, st, json_fd, r);
}

/* Started with fd 0, 1 or 2 closed, the first pipe would take its number and
 * a worker's stdin or stdout would be lost at exec: fill the gaps first. A
 * closed stdin reads as empty; results with nowhere to go are an error. */
static void open_std_fds(void)
{
	bool no_stdout = fcntl(1, F_GETFD) < 0;
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd ? O_WRONLY : O_RDONLY) < 0)
			_exit(EXIT_FATAL);
	if (no_stdout)
		log_die(EXIT_FATAL, "cannot write results: stdout is closed");
}

/* The run itself, from the opened input to its exit status. */
static int run(const struct config *c, const int *in_fds, unsigned n_in)
{
	int json_fd = open_stats_json(c);
	struct stats st;
	stats_init(&st, now_ns(), count_total(c, in_fds, n_in));
	struct pool_result r = pool_run(c, in_fds, n_in, 1, &st);
	report_end(c, &st, json_fd, &r);
	stats_free(&st);
	if (r.broken_pipe) {
		/* Die of SIGPIPE as a reader that left expects. */
		sig_default(SIGPIPE);
		raise(SIGPIPE);
	}
	return pool_exit_status(&r, &st);
}

/* Options in: true to run them; false after help, version or a usage error
 * (reported), with the exit status in *status. */
static bool parse(struct config *c, int argc, char **argv, int *status)
{
	char err[512];
	switch (config_parse(c, argc, argv, os_online_cpus(), err, sizeof err)) {
	case CONFIG_HELP:
		fputs(config_usage, stdout);
		break;
	case CONFIG_VERSION:
		printf("procpool %s\n", PROCPOOL_VERSION);
		break;
	case CONFIG_ERROR:
		log_warn("%s", err);
		fputs("Try 'procpool --help' for more information.\n", stderr);
		*status = EXIT_USAGE;
		return false;
	case CONFIG_RUN:
		return true;
	}
	*status = fflush(stdout) == 0 ? 0 : EXIT_FATAL;
	return false;
}

int main(int argc, char **argv)
{
	struct config c;
	int status;

	open_std_fds();
	if (parse(&c, argc, argv, &status)) {
		log_verbose = c.verbose;
		fit_fd_limit(&c);
		unsigned n_in;
		int *in_fds = open_inputs(&c, &n_in);
		status = c.bench ? bench_run(&c, in_fds, n_in) : run(&c, in_fds, n_in);
		free(in_fds);
	}
	config_free(&c);
	return status;
}
