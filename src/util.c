/* util: system helpers; see util.h. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int fd_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int fd_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	return fl < 0 ? -1 : fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

int pipe_cloexec(int fds[2])
{
	if (pipe(fds) < 0)
		return -1;
	if (fd_set_cloexec(fds[0]) < 0 || fd_set_cloexec(fds[1]) < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		errno = e;
		return -1;
	}
	return 0;
}

int write_all(int fd, const void *p, size_t n)
{
	struct iovec v = {(void *)p, n};
	return writev_all(fd, &v, 1);
}

int writev_all(int fd, struct iovec *v, int cnt)
{
	while (cnt > 0) {
		ssize_t w = writev(fd, v, cnt);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				/* Someone else made the fd non-blocking (a shared
				 * stdout): wait until it takes more. */
				struct pollfd pfd = {fd, POLLOUT, 0};
				if (poll(&pfd, 1, -1) >= 0 || errno == EINTR)
					continue;
			}
			return -1;
		}
		for (; cnt > 0 && (size_t)w >= v->iov_len; v++, cnt--)
			w -= (ssize_t)v->iov_len;
		if (cnt > 0) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return 0;
}

ssize_t read_retry(int fd, void *p, size_t n)
{
	ssize_t r;
	do
		r = read(fd, p, n);
	while (r < 0 && errno == EINTR);
	return r;
}

void close_fd(int *fd)
{
	if (*fd < 0)
		return;
	int e = errno;
	close(*fd);
	errno = e;
	*fd = -1;
}

const char *signal_name(int sig)
{
	static const struct { int sig; const char *name; } names[] = {
		{SIGHUP, "SIGHUP"}, {SIGINT, "SIGINT"}, {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
		{SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"}, {SIGFPE, "SIGFPE"},
		{SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"},
		{SIGUSR2, "SIGUSR2"}, {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"},
		{SIGTERM, "SIGTERM"}, {SIGCHLD, "SIGCHLD"}, {SIGCONT, "SIGCONT"},
		{SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"}, {SIGXCPU, "SIGXCPU"},
		{SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"},
	};
	static char other[32];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].sig == sig)
			return names[i].name;
	snprintf(other, sizeof other, "signal %d", sig);
	return other;
}

void format_duration(char *dst, size_t len, int64_t ns)
{
	if (ns >= 100 * NS_PER_SEC)
		snprintf(dst, len, "%.0fs", (double)ns / 1e9);
	/* Thresholds at 999.5 of the smaller unit: %.3g would print 1e+03. */
	else if (ns >= NS_PER_SEC - NS_PER_MS / 2)
		snprintf(dst, len, "%.3gs", (double)ns / 1e9);
	else if (ns >= NS_PER_MS - 500)
		snprintf(dst, len, "%.3gms", (double)ns / 1e6);
	else
		snprintf(dst, len, "%.3gus", (double)ns / 1e3);
}

void format_duration_coarse(char *dst, size_t len, int64_t ns)
{
	/* Each form is rounded to its last unit, so 59.6s is 1m00s, never 60s. */
	long long s = ns > 0 ? ns / NS_PER_SEC + (ns % NS_PER_SEC >= NS_PER_SEC / 2) : 0;
	long long m = (s + 30) / 60, h = (s + 1800) / 3600;
	if (s < 60)
		snprintf(dst, len, "%llds", s);
	else if (s < 3600)
		snprintf(dst, len, "%lldm%02llds", s / 60, s % 60);
	else if (m < 24 * 60)
		snprintf(dst, len, "%lldh%02lldm", m / 60, m % 60);
	else
		snprintf(dst, len, "%lldd%02lldh", h / 24, h % 24);
}

unsigned term_columns(int fd)
{
	struct winsize ws;
	return ioctl(fd, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}
