/* sig: signals become bytes on a pipe that the event loop watches (the
 * self-pipe trick), so no real work happens inside a handler. This file holds
 * the only state a handler touches. */
#ifndef PROCPOOL_SIG_H
#define PROCPOOL_SIG_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

/* Install handlers for SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2,
 * the job-control stops and SIGCONT (and SIGINFO where it exists), but for
 * those ignored when procpool started; ignore SIGPIPE. Returns the fd to
 * watch, or -1. */
int sig_init(void);
/* Next pending signal number, or 0 when none is pending. */
int sig_next(void);
/* Block every signal, saving the old mask (around fork). */
void sig_block_all(sigset_t *old);
void sig_restore(const sigset_t *old);
/* In a child before exec: default dispositions (but for the signals that
 * were ignored when procpool started, which stay ignored), empty mask. */
void sig_reset_child(void);
/* The workers' process groups, which a job-control stop (^Z, SIGTTIN,
 * SIGTTOU) stops before procpool and continues after. track: 0 or -1. */
int sig_track_group(pid_t pgid);
void sig_untrack_group(pid_t pgid);
/* Monotonic time procpool has spent stopped by job control so far. */
int64_t sig_paused_ns(void);
/* Back to the default action for sig (to die of it as a parent expects). */
void sig_default(int sig);

#endif
