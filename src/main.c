/* procpool: run tasks from stdin on a self-scaling pool of long-lived
 * workers. main reads as a list of calls: options in, the run, statistics
 * out, and the result mapped to an exit status (see log.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "config.h"
#include "log.h"
#include "os.h"
#include "pool.h"
#include "sig.h"
#include "stats.h"
#include "util.h"

static int exit_status(const struct pool_result *r, const struct stats *st)
{
	if (r->fatal)
		return r->fatal;
	if (r->signal)
		return 128 + r->signal;
	if (st->failed)
		return st->failed > 100 ? EXIT_FAILED_MAX : (int)st->failed;
	return 0;
}

static int open_input(const struct config *c)
{
	if (!c->arg_file)
		return 0;
	int fd = open(c->arg_file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		fd = -1;
		errno = EISDIR;
	}
	if (fd < 0)
		log_die(EXIT_FATAL, "cannot read '%s': %s", c->arg_file, strerror(errno));
	return fd;
}

/* Total tasks for --progress: --total, or the records of a regular -a FILE. */
static uint64_t count_total(const struct config *c, int fd)
{
	struct stat st;
	if (c->total || !c->progress || !c->arg_file || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return c->total;
	char b[65536];
	uint64_t n = 0;
	ssize_t r;
	char last = c->sep;
	char sep = c->base64_io ? '\n' : c->sep;
	while ((r = read_retry(fd, b, sizeof b)) > 0) {
		for (ssize_t i = 0; i < r; i++)
			n += b[i] == sep;
		last = b[r - 1];
	}
	if (last != sep)
		n++;
	lseek(fd, 0, SEEK_SET);
	return n;
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

static void report_end(const struct config *c, struct stats *st, const struct pool_result *r)
{
	if (st->not_run && !r->broken_pipe)
		log_warn("%llu tasks read but not run", (unsigned long long)st->not_run);
	st->wall_ns = r->wall_ns;
	usage_at_end(st);
	if (c->stats)
		stats_print(st, 2, 0, true);
	if (c->stats_json && stats_write_json(st, c->stats_json) < 0)
		log_warn("cannot write '%s': %s", c->stats_json, strerror(errno));
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

int main(int argc, char **argv)
{
	struct config c;
	char err[256];

	open_std_fds();

	switch (config_parse(&c, argc, argv, os_online_cpus(), err, sizeof err)) {
	case CONFIG_HELP:
		fputs(config_usage, stdout);
		return fflush(stdout) == 0 ? 0 : EXIT_FATAL;
	case CONFIG_VERSION:
		printf("procpool %s\n", PROCPOOL_VERSION);
		return fflush(stdout) == 0 ? 0 : EXIT_FATAL;
	case CONFIG_ERROR:
		log_warn("%s", err);
		fputs("Try 'procpool --help' for more information.\n", stderr);
		return EXIT_USAGE;
	case CONFIG_RUN:
		break;
	}
	log_verbose = c.verbose;
	int in_fd = open_input(&c);
	if (c.bench)
		return bench_run(&c, in_fd);

	struct stats st;
	stats_init(&st, now_ns(), count_total(&c, in_fd));
	struct pool_result r = pool_run(&c, in_fd, 1, &st);
	report_end(&c, &st, &r);
	if (r.broken_pipe) {
		/* Die of SIGPIPE as a reader that left expects. */
		sig_default(SIGPIPE);
		raise(SIGPIPE);
	}
	return exit_status(&r, &st);
}
