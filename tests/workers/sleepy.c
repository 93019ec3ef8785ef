/* sleepy SECONDS: line worker that sleeps SECONDS (a decimal, e.g. 0.3)
 * before echoing each task. Makes tasks slow enough to force scaling. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 0.0;
	struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		nanosleep(&ts, NULL);
		fwrite(line, 1, (size_t)n, stdout);
		if (fflush(stdout) == EOF)
			return 1;
	}
	free(line);
	return 0;
}
