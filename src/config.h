/* config: the command line, parsed and validated into a plain struct.
 *
 * Pure apart from getopt_long's own globals: no I/O, no exit. Errors come
 * back as -1 with a one-line message (without the program name) in err.
 * Values are pointers into argv, which must outlive the struct. */
#ifndef PROCPOOL_CONFIG_H
#define PROCPOOL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wire { WIRE_LINE, WIRE_BASE64 };
enum halt_mode { HALT_NEVER, HALT_SOON, HALT_NOW };

struct config {
	const char **arg_files; /* -a FILE..., in order, "-" for stdin */
	unsigned narg_files;    /* 0: read stdin */
	char sep;             /* record separator on input and output */
	bool base64_io;       /* -b: input lines and results are base64 */
	enum wire wire;
	bool keep_order, tag;
	bool json;               /* --json: each ended task as a JSON object */
	const char *error_prefix; /* an answer starting with it fails its task */
	const char *answer_end;  /* answers end with a line equal to it */
	int verbose;
	unsigned jobs, min;  /* with jobs_auto, jobs is --max-jobs */
	bool jobs_auto;      /* -j auto: the pool's size follows its throughput */
	unsigned max_jobs;   /* --max-jobs */
	int64_t idle_timeout; /* ns */
	unsigned depth;       /* tasks in flight per worker; 0: auto */
	size_t max_record;

	unsigned retries;
	int64_t timeout;    /* ns per task; 0: none */
	int64_t kill_grace; /* ns between SIGTERM and SIGKILL */
	int64_t start_timeout; /* ns a worker may take to be ready; 0: no bound */
	const char *ready_line; /* --ready: the line a worker writes when ready */
	int64_t stop_timeout;  /* ns a stopping run waits for tasks; 0: no bound */
	uint64_t max_tasks; /* 0: unlimited */
	uint64_t max_tasks_jitter; /* up to this many more, per worker */
	bool pin_slots;     /* slot k on the k-th CPU of --cpus */
	int nice;           /* added to the workers' niceness */
	const char *cpus;   /* CPU list for the workers, validated */
	uint64_t mem_limit; /* bytes of address space per worker; 0: none */

	enum halt_mode halt;
	unsigned halt_fail;  /* failures (or percent) that trigger --halt */
	bool halt_percent;
	const char *joblog;
	bool resume, resume_failed;

	bool no_hints;         /* --no-hints: no advice about workers */
	bool keep_buffering;   /* --no-unbuffered-env: leave PYTHONUNBUFFERED alone */

	bool progress;
	uint64_t total; /* 0: unknown */
	bool stats;
	const char *stats_json;

	/* Other hosts: validated here, read and parsed again at set-up. */
	const char **sshlogins;     /* -S LIST..., in order */
	unsigned nsshlogins;
	const char **sshloginfiles; /* --sshloginfile FILE..., in order */
	unsigned nsshloginfiles;
	const char *ssh;            /* --ssh CMD (default "ssh") */
	int64_t host_retry;         /* ns before a host that is down is tried again */

	bool bench;
	unsigned bench_jobs[16];
	unsigned nbench_jobs;
	unsigned bench_runs;
	const char *bench_json;

	char **argv; /* COMMAND ARG..., NULL-terminated */
};

enum config_result { CONFIG_RUN, CONFIG_HELP, CONFIG_VERSION, CONFIG_ERROR };

/* Parse argv. ncpus is the number of online CPUs (for -j defaults and %).
 * Whatever it returns, config_free(c) releases what it holds. */
enum config_result config_parse(struct config *c, int argc, char **argv, unsigned ncpus,
				char *err, size_t errlen);
void config_free(struct config *c);

/* Value parsers, exposed for the unit tests. 0 or -1. */
int config_duration(const char *s, int64_t *ns);
int config_size(const char *s, uint64_t *bytes);
int config_count(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int config_cpu_list(const char *s, unsigned *highest);

/* The --help text. */
extern const char config_usage[];

#endif
