/* f_many DIR: a line worker for runs of a thousand workers. Each task is
 * echoed after 10 ms, except:
 *   crash:ID  dies by SIGSEGV the first time any worker sees ID
 *   hang:ID   sleeps for a minute the first time any worker sees ID
 * ("first time": DIR/ID did not exist yet; the worker creates it), so that
 * a retry of the same record, on any worker, is answered. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Whether this is the first sight of the record named after the prefix. */
static int first_sight(const char *dir, const char *line, const char *prefix)
{
	size_t plen = strlen(prefix);
	char path[4096];
	if (strncmp(line, prefix, plen) != 0)
		return 0;
	snprintf(path, sizeof path, "%s/%.*s", dir, (int)strcspn(line + plen, "\n"), line + plen);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

int main(int argc, char **argv)
{
	struct rlimit nocore = {0, 0};
	struct timespec ten_ms = {0, 10000000L}, minute = {60, 0};
	const char *dir = argc > 1 ? argv[1] : ".";
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	setrlimit(RLIMIT_CORE, &nocore);
	while ((n = getline(&line, &cap, stdin)) != -1) {
		if (first_sight(dir, line, "crash:")) {
			signal(SIGSEGV, SIG_DFL);
			raise(SIGSEGV);
		}
		nanosleep(first_sight(dir, line, "hang:") ? &minute : &ten_ms, NULL);
		fwrite(line, 1, (size_t)n, stdout);
		if (fflush(stdout) == EOF)
			return 1;
	}
	free(line);
	return 0;
}
