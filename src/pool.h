/* pool: the set of workers and the tasks they run: reading input into the
 * task window, dispatch, scaling, idle and task timeouts, failures and
 * retries, signals, and shutdown. */
#ifndef PROCPOOL_POOL_H
#define PROCPOOL_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct stats;

/* How a run ended; the task counts are in struct stats. */
struct pool_result {
	int fatal;        /* exit status of a fatal error, else 0 */
	int signal;       /* signal that stopped the run, else 0 */
	bool broken_pipe; /* the reader of stdout went away */
	int64_t wall_ns;  /* from start to the last worker reaped */
};

/* Run the whole job described by c, reading input from the n_in fds in_fds
 * in turn (see input.h) and writing results to out_fd, counting into st. */
struct pool_result pool_run(const struct config *c, const int *in_fds, unsigned n_in, int out_fd,
			    struct stats *st);

/* The exit status of a run (see the table in procpool(1)). */
int pool_exit_status(const struct pool_result *r, const struct stats *st);

#endif
