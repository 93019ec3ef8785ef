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
	unsigned jobs;      /* -j, for PROCPOOL_JOBS */
	bool slot_args;     /* some argument holds {%}, the slot */
	bool pin_slots;     /* pin slot k to the k-th CPU of cpus, not all of them */
	const char *error_prefix; /* --error-prefix, for PROCPOOL_ERROR_PREFIX */
};

/* Whether some argument holds {%}, the slot (spawn_opts.slot_args). */
bool spawn_args_hold_slot(char **argv);

/* Which step of starting a worker failed in the child. */
enum spawn_step { SPAWN_OK, SPAWN_SETUP, SPAWN_NICE, SPAWN_CPUS, SPAWN_MEM_LIMIT, SPAWN_EXEC };

struct spawn_error {
	enum spawn_step step;
	int err;
};

/* Start a worker for slot in its own process group, with PROCPOOL_SLOT and
 * PROCPOOL_JOBS in its environment and {%} in its arguments replaced by the
 * slot. Its stdin reads from *to_fd and its stdout writes to *from_fd (both
 * non-blocking, close-on-exec). Returns the pid; -1 with errno when the
 * pipes or fork failed (e->step SPAWN_OK), or when a step in the child
 * failed (e says which; the child is reaped). */
pid_t spawn_worker(const struct spawn_opts *o, unsigned slot, int *to_fd, int *from_fd,
		   struct spawn_error *e);

#endif
