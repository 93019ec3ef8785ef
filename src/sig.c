/* sig: self-pipe signal delivery; see sig.h. */
#include "sig.h"

#include <errno.h>
#include <string.h>
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
	SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGUSR1,
#ifdef SIGINFO
	SIGINFO,
#endif
};

static void on_signal(int sig)
{
	int e = errno;
	unsigned char b = (unsigned char)sig;
	/* A full pipe drops the byte: SIGCHLD reaping loops anyway, and a
	 * backlog of 64 KiB of signals says enough already. */
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
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
		if (sigaction(caught[i], &sa, NULL) < 0)
			return -1;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
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

void sig_default(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
}
