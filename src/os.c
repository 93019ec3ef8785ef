/* os: platform seam; see os.h. */
#define _GNU_SOURCE
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

#ifdef __linux__
/* The CPUs of a validated list like "0-3,6". */
static void cpu_list(const char *list, cpu_set_t *set)
{
	CPU_ZERO(set);
	const char *s = list;
	do {
		char *end;
		unsigned long lo = strtoul(s, &end, 10), hi = lo;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		for (unsigned long c = lo; c <= hi && c < CPU_SETSIZE; c++)
			CPU_SET(c, set);
		s = end;
	} while (*s++ == ',');
}
#endif

int os_pin_cpus(const char *list)
{
#ifdef __linux__
	cpu_set_t set;
	cpu_list(list, &set);
	return sched_setaffinity(0, sizeof set, &set);
#else
	(void)list;
	errno = ENOSYS;
	return -1;
#endif
}

int os_pin_nth_cpu(const char *list, unsigned n)
{
#ifdef __linux__
	cpu_set_t set, one;
	cpu_list(list, &set);
	int count = CPU_COUNT(&set), k = (int)(n % (unsigned)(count ? count : 1)), cpu;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set) && k-- == 0)
			break;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof one, &one);
#else
	(void)list;
	(void)n;
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
	int now = fcntl(fd, F_GETPIPE_SZ); /* fails for what is no pipe */
	if (now >= 0 && now < size)
		(void)fcntl(fd, F_SETPIPE_SZ, size);
#else
	(void)fd;
	(void)size;
#endif
}

void os_let_go(void *p, size_t n)
{
#ifdef MADV_DONTNEED
	(void)madvise(p, n, MADV_DONTNEED);
#else
	(void)posix_madvise(p, n, POSIX_MADV_DONTNEED);
#endif
}

void os_read_ahead(void *p, size_t n)
{
	(void)posix_madvise(p, n, POSIX_MADV_SEQUENTIAL);
}

void os_map_in(void *p, size_t n)
{
#ifdef MADV_POPULATE_READ
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = (uintptr_t)p / page * page; /* madvise wants a page's start */
	/* an older kernel: EINVAL, faults as before */
	(void)madvise((void *)from, (uintptr_t)p + n - from, MADV_POPULATE_READ);
#else
	(void)p;
	(void)n;
#endif
}

ssize_t os_splice_file(int fd, off_t off, int pipe_fd, size_t n)
{
#ifdef __linux__
	loff_t at = off;
	return splice(fd, &at, pipe_fd, NULL, n, SPLICE_F_NONBLOCK);
#else
	(void)fd;
	(void)off;
	(void)pipe_fd;
	(void)n;
	errno = ENOSYS;
	return -1;
#endif
}

long os_pipe_unread(int fd)
{
#ifdef FIONREAD
	int n;
	if (ioctl(fd, FIONREAD, &n) == 0)
		return n;
#else
	(void)fd;
#endif
	return -1;
}

#ifdef __linux__
/* Whether fd of process pid is the pipe with inode ino. */
static bool fd_is_pipe(int pid, long fd, unsigned long ino)
{
	char path[64], link[64], want[40];
	snprintf(path, sizeof path, "/proc/%d/fd/%ld", pid, fd);
	ssize_t n = readlink(path, link, sizeof link - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	snprintf(want, sizeof want, "pipe:[%lu]", ino);
	return strcmp(link, want) == 0;
}

static int reads_pipe(int pid, unsigned long ino, int depth)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/syscall", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	long nr = -1;
	unsigned long fd = 0;
	int got = fscanf(f, "%ld %lx", &nr, &fd);
	fclose(f);
	if (got == 0)
		return 0; /* "running" */
	if (got < 2)
		return -1; /* not ours to read */
	if ( (nr == SYS_read || nr == SYS_readv) && fd_is_pipe(pid, (long)fd, ino))
		return 1;
	if (depth == 0)
		return 0;
	/* A wrapper (sh -c, env) waits for the child that does the reading. */
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
	if (!(f = fopen(path, "re")))
		return 0;
	int child, r = 0;
	for (int k = 0; k < 16 && fscanf(f, "%d", &child) == 1 && r != 1; k++)
		if (reads_pipe(child, ino, depth - 1) == 1)
			r = 1;
	fclose(f);
	return r;
}
#endif

int os_reads_pipe(int pid, unsigned long ino)
{
#ifdef __linux__
	return reads_pipe(pid, ino, 3);
#else
	(void)pid;
	(void)ino;
	return -1;
#endif
}

int os_open_stdin_of(int pid, unsigned long ino)
{
#ifdef __linux__
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/fd/0", pid);
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	/* Only our pipe: a worker that put something else on its fd 0
	 * would give a count of that. */
	if (fd >= 0 && (fstat(fd, &st) < 0 || (unsigned long)st.st_ino != ino)) {
		close(fd);
		fd = -1;
	}
	return fd;
#else
	(void)pid;
	(void)ino;
	return -1;
#endif
}

bool os_pipe_unread_by_all(int fd)
{
	struct pollfd pfd = {fd, POLLOUT, 0};
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR);
}
