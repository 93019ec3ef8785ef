/* advice: what to tell a user about the program a worker runs. COMMAND is
 * often a wrapper (env, stdbuf, nice, timeout, ...) or a shell script; the
 * program that buffers its output is the one it runs. Pure: no I/O. */
#ifndef PROCPOOL_ADVICE_H
#define PROCPOOL_ADVICE_H

#include <stddef.h>

struct advice {
	char program[64]; /* the program's name, without its directory */
	const char *fix;  /* how to make it flush each line, or NULL if unknown */
};

/* The program argv runs once wrappers are looked through, and how to make it
 * flush each answer. */
void advice_for(char *const argv[], struct advice *a);

#endif
