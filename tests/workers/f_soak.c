/* f_soak DIR: line worker for randomized soak runs. What it does with a
 * task depends on h, the 32-bit FNV-1a hash of the task's bytes (tests
 * compute the same hash to predict each outcome):
 *   h % 100 == 0   crash (SIGSEGV) every time
 *   h % 400 == 7   hang until killed (for --timeout)
 *   h % 60 == 1    crash the first time only: before crashing it creates
 *                  DIR/HASH, and a later try finds it and answers
 *   h % 7 == 3     sleep 2 ms first
 * and otherwise answers "ok TASK". */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static uint32_t fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static void crash(void)
{
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
}

int main(int argc, char **argv)
{
	struct rlimit nocore = {0, 0};
	const char *dir = argc > 1 ? argv[1] : ".";
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	setrlimit(RLIMIT_CORE, &nocore);
	while ((n = getline(&line, &cap, stdin)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		uint32_t h = fnv1a(line, (size_t)n);

		if (h % 100 == 0)
			crash();
		if (h % 400 == 7)
			for (;;)
				pause();
		if (h % 60 == 1) {
			char path[4096];
			int fd;

			snprintf(path, sizeof path, "%s/%08x", dir, h);
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
			if (fd >= 0) {
				close(fd);
				crash();
			}
		}
		if (h % 7 == 3) {
			struct timespec ts = {0, 2000000};

			nanosleep(&ts, NULL);
		}
		fputs("ok ", stdout);
		fwrite(line, 1, (size_t)n, stdout);
		putchar('\n');
		if (fflush(stdout) == EOF)
			return 1;
	}
	free(line);
	return 0;
}
