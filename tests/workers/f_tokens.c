/* f_tokens DIR K: a line worker whose tasks share something that serves K
 * at once (a licence server, a database with K connections): each task
 * takes one of K lock files in DIR (flock), holds it 10 ms, then answers.
 * Throughput grows with workers up to K and no further. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* flock */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* Take a free token; returns its fd. */
static int take(const char *dir, int k)
{
	struct timespec ms = {0, 1000000L};
	char path[4096];
	for (;;) {
		for (int i = 0; i < k; i++) {
			snprintf(path, sizeof path, "%s/token.%d", dir, i);
			int fd = open(path, O_RDWR | O_CREAT, 0600);
			if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
				return fd;
			if (fd >= 0)
				close(fd);
		}
		nanosleep(&ms, NULL);
	}
}

int main(int argc, char **argv)
{
	struct timespec ten_ms = {0, 10000000L};
	const char *dir = argc > 1 ? argv[1] : ".";
	int k = argc > 2 ? atoi(argv[2]) : 1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		int fd = take(dir, k);
		nanosleep(&ten_ms, NULL);
		close(fd); /* gives the token back */
		fwrite(line, 1, (size_t)n, stdout);
		if (fflush(stdout) == EOF)
			return 1;
	}
	free(line);
	return 0;
}
