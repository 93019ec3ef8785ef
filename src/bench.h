/* bench: --bench, the same input through COMMAND several ways (one process
 * per task, one reused worker, the pool at each --bench-jobs), repeated, with
 * one table of medians and a check that every way answered the same. */
#ifndef PROCPOOL_BENCH_H
#define PROCPOOL_BENCH_H

#include "config.h"

/* Run the benchmark on the tasks readable from in_fd; print the table on
 * stdout. Returns the exit status: 0 when every configuration wrote the same
 * results with no failed task, 1 otherwise. */
int bench_run(const struct config *c, int in_fd);

#endif
