/* f_midcrash MARKER K M: line worker that echoes each task, except that
 * the first worker to create MARKER dies by SIGSEGV part way through its
 * K-th task, once it has read M bytes of it (having written none back). Reads with read(2), a few KiB
 * at a time, so it really has read only that much; every other worker
 * (the replacement) echoes everything. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void put(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(1, p, n);
		if (w <= 0)
			exit(1);
		p += w;
		n -= (size_t)w;
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: f_midcrash MARKER K M\n");
		return 2;
	}
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore);
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL, 0600);
	long k = strtol(argv[2], NULL, 10), m = strtol(argv[3], NULL, 10), task = 1, got = 0;
	char buf[4096];
	ssize_t n;
	if (fd >= 0)
		close(fd);
	while ((n = read(0, buf, sizeof buf)) > 0) {
		for (char *p = buf, *end = buf + n, *nl; p < end; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
			got += (long)len;
			if (fd >= 0 && task == k && got >= m) {
				signal(SIGSEGV, SIG_DFL);
				raise(SIGSEGV);
			}
			if (fd < 0 || task != k) /* nothing of the task it dies on */
				put(p, len);
			if (!nl)
				break;
			task++;
			got = 0;
		}
	}
	return n < 0;
}
