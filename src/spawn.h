/* spawn: start one worker process with its two pipes. Child-side setup only;
 * the parent's bookkeeping lives in worker.c. */
#ifndef PROCPOOL_SPAWN_H
#define PROCPOOL_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct spawn_opts {
	char **argv;        /* COMMAND ARG..., run through PATH like execvp */
	int nice;           /* added niceness, 0: unchanged */
	const char *cpus;   /* CPU list, NULL: unchanged */
	uint64_t mem_limit; /* RLIMIT_AS bytes, 0: unchanged */
	bool unbuffered_env; /* PYTHONUNBUFFERED=1 unless the environment sets it */
};

/* Which step of starting a worker failed in the child. */
enum spawn_step { SPAWN_OK, SPAWN_SETUP, SPAWN_NICE, SPAWN_CPUS, SPAWN_MEM_LIMIT, SPAWN_EXEC };

struct spawn_error {
	enum spawn_step step;
	int err;
};

/* Start a worker in its own process group. Its stdin reads from *to_fd and
 * its stdout writes to *from_fd (both non-blocking, close-on-exec). Returns
 * the pid; -1 with errno when the pipes or fork failed (e->step SPAWN_OK),
 * or when a step in the child failed (e says which; the child is reaped). */
pid_t spawn_worker(const struct spawn_opts *o, int *to_fd, int *from_fd, struct spawn_error *e);

#endif
