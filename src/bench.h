/* bench: --bench, the same input through COMMAND several ways (one process
 * per task, one reused worker, the pool at each --bench-jobs), repeated, with
 * one table of medians and a check that every way answered the same. A
 * configuration that would be slow runs a sample: the input's first
 * records. */
#ifndef PROCPOOL_BENCH_H
#define PROCPOOL_BENCH_H

#include "config.h"

/* Run the benchmark on the tasks of the n_in fds in_fds (read in turn, as
 * input.h says); print the table on
 * stdout. Dies with EXIT_USAGE on an option --bench cannot apply. Returns
 * the exit status: 0 when every configuration wrote the same results with
 * no failed task, 1 otherwise, 128+N when signal N stopped it (the table
 * then shows what had completed). */
int bench_run(const struct config *c, const int *in_fds, unsigned n_in);

#endif
