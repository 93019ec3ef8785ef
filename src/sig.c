/* sig: self-pipe signal delivery; see sig.h. */
#include "sig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* NSIG is not POSIX; 65 covers Linux and the BSDs. */
#ifdef NSIG
#define SIG_COUNT NSIG
#else
#define SIG_COUNT 65
#endif

static int pipe_fds[2] = {-1, -1};
static sigset_t ignored_at_start; /* handed on to workers, as nohup expects */

static const int caught[] = {
	SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGCONT,
#ifdef SIGINFO
	SIGINFO,
#endif
};
static const int job_stops[] = {SIGTSTP, SIGTTIN, SIGTTOU};

static struct sigaction handler, stop_handler;

/* The workers' process groups, for the job-control handler: changed only
 * with every signal blocked. */
static pid_t *groups;
static size_t ngroups, groups_cap;
static volatile int64_t paused_ns; /* time spent stopped, written by the handler */

static void on_signal(int sig)
{
	int e = errno;
	unsigned char b = (unsigned char)sig;
	/* A full pipe drops the byte: SIGCHLD reaping loops anyway, and a
	 * backlog of 64 KiB of signals says enough already. */
	(void)!write(pipe_fds[1], &b, 1);
	errno = e;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ^Z (or a background read or write on the terminal): the workers live in
 * process groups of their own, which the terminal does not stop, so stop
 * them here, then stop procpool as the signal would, and on SIGCONT
 * continue them. This is done inside the handler, not in the loop: a read
 * or write on the terminal that raised SIGTTIN/SIGTTOU is restarted when
 * the handler returns, and must find procpool stopped and back in the
 * foreground, not raise the signal again and again. Only async-signal-safe
 * calls. */
static void on_job_stop(int sig)
{
	int e = errno;
	int64_t t0 = mono_ns();
	for (size_t i = 0; i < ngroups; i++)
		kill(-groups[i], SIGSTOP);
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	raise(sig); /* stopped here until SIGCONT */
	sigprocmask(SIG_BLOCK, &one, NULL);
	sigaction(sig, &stop_handler, NULL);
	for (size_t i = 0; i < ngroups; i++)
		kill(-groups[i], SIGCONT);
	paused_ns += mono_ns() - t0;
	unsigned char b = SIGCONT; /* the loop recomputes its deadlines */
	(void)!write(pipe_fds[1], &b, 1);
	errno = e;
}

int sig_init(void)
{
	if (pipe_fds[0] >= 0)
		return pipe_fds[0]; /* --bench runs the pool many times */
	sigemptyset(&ignored_at_start);
	for (int s = 1; s < SIG_COUNT; s++) {
		struct sigaction old;
		if (sigaction(s, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			sigaddset(&ignored_at_start, s);
	}
	if (pipe_cloexec(pipe_fds) < 0 || fd_set_nonblock(pipe_fds[0]) < 0 ||
	    fd_set_nonblock(pipe_fds[1]) < 0)
		return -1;
	memset(&handler, 0, sizeof handler);
	handler.sa_handler = on_signal;
	sigfillset(&handler.sa_mask);
	handler.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++) {
		/* A signal ignored when procpool started stays ignored by it too
		 * (nohup, or a script's '&' that ignores SIGINT): but for SIGCHLD,
		 * without which no worker would be reaped. */
		if (caught[i] != SIGCHLD && sigismember(&ignored_at_start, caught[i]) == 1)
			continue;
		if (sigaction(caught[i], &handler, NULL) < 0)
			return -1;
	}
	stop_handler = handler;
	stop_handler.sa_handler = on_job_stop;
	for (size_t i = 0; i < sizeof job_stops / sizeof job_stops[0]; i++)
		if (sigismember(&ignored_at_start, job_stops[i]) != 1 &&
		    sigaction(job_stops[i], &stop_handler, NULL) < 0)
			return -1;
	struct sigaction ign;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &ign, NULL) < 0)
		return -1;
	return pipe_fds[0];
}

int sig_next(void)
{
	unsigned char b;
	return read_retry(pipe_fds[0], &b, 1) == 1 ? b : 0;
}

void sig_block_all(sigset_t *old)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, old);
}

void sig_restore(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

void sig_reset_child(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	/* Ignored signals survive exec: the worker must not inherit the ones
	 * procpool ignores for itself (SIGPIPE), but keeps those it was started
	 * with ignored (nohup procpool ...), as a command run directly would. */
	for (int s = 1; s < SIG_COUNT; s++) {
		sa.sa_handler = sigismember(&ignored_at_start, s) == 1 ? SIG_IGN : SIG_DFL;
		sigaction(s, &sa, NULL);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int sig_track_group(pid_t pgid)
{
	sigset_t old;
	int rc = 0;
	sig_block_all(&old);
	if (ngroups == groups_cap) {
		size_t cap = groups_cap ? groups_cap * 2 : 64;
		pid_t *g = realloc(groups, cap * sizeof *g);
		if (g) {
			groups = g;
			groups_cap = cap;
		}
	}
	if (ngroups < groups_cap)
		groups[ngroups++] = pgid;
	else
		rc = -1;
	sig_restore(&old);
	return rc;
}

void sig_untrack_group(pid_t pgid)
{
	sigset_t old;
	sig_block_all(&old);
	for (size_t i = 0; i < ngroups; i++)
		if (groups[i] == pgid) {
			groups[i] = groups[--ngroups];
			break;
		}
	sig_restore(&old);
}

int64_t sig_paused_ns(void)
{
	return paused_ns;
}

void sig_default(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
}
