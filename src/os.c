/* os: platform seam; see os.h. */
#define _GNU_SOURCE
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#ifdef __linux__
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

unsigned os_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

void os_close_from(int lowfd, int keep)
{
#if defined(__linux__) && defined(SYS_close_range)
	if (keep >= lowfd) {
		if (keep > lowfd && syscall(SYS_close_range, lowfd, keep - 1, 0) < 0)
			goto slow;
		if (syscall(SYS_close_range, keep + 1, ~0U, 0) < 0)
			goto slow;
		return;
	}
	if (syscall(SYS_close_range, lowfd, ~0U, 0) == 0)
		return;
slow:
#endif
	;
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = lowfd; fd < max; fd++)
		if (fd != keep)
			close(fd);
}

int os_die_with_parent(void)
{
#ifdef __linux__
	pid_t parent = getppid();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return -1;
	/* The parent may have died before the prctl took effect. */
	if (getppid() != parent)
		_exit(1);
#endif
	return 0;
}

int os_pin_cpus(const char *list)
{
#ifdef __linux__
	cpu_set_t set;
	CPU_ZERO(&set);
	const char *s = list;
	do {
		char *end;
		unsigned long lo = strtoul(s, &end, 10), hi = lo;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		for (unsigned long c = lo; c <= hi && c < CPU_SETSIZE; c++)
			CPU_SET(c, &set);
		s = end;
	} while (*s++ == ',');
	return sched_setaffinity(0, sizeof set, &set);
#else
	(void)list;
	errno = ENOSYS;
	return -1;
#endif
}

/* The soft limit procpool started with, for its children: the limit is the
 * process's, so its saved value is too. */
static struct rlimit nofile_start;
static bool nofile_raised;

uint64_t os_raise_nofile(uint64_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return want; /* cannot tell: assume enough */
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return want;
	nofile_start = rl;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		want = rl.rlim_max;
	rl.rlim_cur = (rlim_t)want;
	if (want > nofile_start.rlim_cur && setrlimit(RLIMIT_NOFILE, &rl) == 0) {
		nofile_raised = true;
		return want;
	}
	return nofile_start.rlim_cur;
}

int os_restore_nofile(void)
{
	return nofile_raised ? setrlimit(RLIMIT_NOFILE, &nofile_start) : 0;
}

void os_grow_pipe(int fd, int size)
{
#if defined(__linux__) && defined(F_SETPIPE_SZ)
	(void)fcntl(fd, F_SETPIPE_SZ, size);
#else
	(void)fd;
	(void)size;
#endif
}
