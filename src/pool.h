/* pool: the set of workers and the tasks they run: reading input into the
 * task window, dispatch, scaling, idle and task timeouts, failures and
 * retries, signals, and shutdown. */
#ifndef PROCPOOL_POOL_H
#define PROCPOOL_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct stats;

struct pool_result {
	uint64_t read;    /* records read */
	uint64_t ok;      /* tasks that produced a result */
	uint64_t failed;  /* tasks reported failed */
	uint64_t skipped; /* tasks skipped by --resume */
	uint64_t not_run; /* tasks dropped by a signal or --halt */
	int fatal;        /* exit status of a fatal error, else 0 */
	int signal;       /* signal that stopped the run, else 0 */
	bool broken_pipe; /* the reader of stdout went away */
	int64_t wall_ns;  /* from start to the last worker reaped */
};

/* Run the whole job described by c, reading input and writing results to
 * the fds given. Statistics go to st when it is not NULL. */
struct pool_result pool_run(const struct config *c, int in_fd, int out_fd, struct stats *st);

#endif
