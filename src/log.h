/* log: messages on stderr, each one line prefixed with the program name.
 *
 * Exit statuses live here too, so every module names them the same way. */
#ifndef PROCPOOL_LOG_H
#define PROCPOOL_LOG_H

#include <stdnoreturn.h>

/* Exit statuses (README, procpool(1)). Tasks failed: their count, 1..100,
 * and 101 for more, as GNU parallel does. The rest sit above xargs's 123
 * so that a count can never be mistaken for them. */
enum {
	EXIT_FAILED_MAX = 101, /* more than 100 tasks failed */
	EXIT_FATAL = 124,      /* procpool could not go on: I/O error, crash loop */
	EXIT_USAGE = 125,      /* bad option or value */
	EXIT_NOEXEC = 126,     /* COMMAND found but not executable */
	EXIT_NOTFOUND = 127,   /* COMMAND not found */
};

extern int log_verbose;

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn, then exit with status. */
noreturn void log_die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A lifecycle event, shown with -v: "procpool: HH:MM:SS.mmm <text>". */
void log_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
