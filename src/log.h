/* log: messages on stderr, each one line prefixed with the program name,
 * and the status line (--progress on a terminal): one line kept at the foot
 * of the terminal. While there is one, every write procpool makes to that
 * terminal goes through log_write, which clears the line first and draws it
 * again after, so messages and results get lines of their own.
 *
 * Exit statuses live here too, so every module names them the same way. */
#ifndef PROCPOOL_LOG_H
#define PROCPOOL_LOG_H

#include <stddef.h>
#include <stdnoreturn.h>

/* Exit statuses (README, procpool(1)). Tasks failed: their count, 1..100,
 * and 101 for more, as GNU parallel does. The rest sit above xargs's 123
 * so that a count can never be mistaken for them. */
enum {
	EXIT_FAILED_MAX = 101, /* more than 100 tasks failed */
	EXIT_WORKER_FAILED = 102, /* every task done, but a worker failed as it exited */
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

/* The longest status line kept, in bytes. */
#define LOG_STATUS_MAX 320

/* Set the status line on terminal fd to len bytes of text (one line, no
 * newline, at most LOG_STATUS_MAX - 1), and draw it in place of the last. */
void log_status(int fd, const char *text, size_t len);
/* Leave the status line on the screen as an ordinary line, and forget it. */
void log_status_end(void);
/* write_all() of n bytes to fd, around the status line when fd writes to its
 * terminal. 0, or -1 with errno. */
int log_write(int fd, const void *p, size_t n);

#endif
