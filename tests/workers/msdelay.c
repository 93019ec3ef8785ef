/* msdelay: line worker whose tasks say how long they take: a task
 * "MS TEXT" sleeps MS milliseconds, then is echoed. Orders completions. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		long ms = strtol(line, NULL, 10);
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
		fwrite(line, 1, (size_t)n, stdout);
		if (fflush(stdout) == EOF)
			return 1;
	}
	free(line);
	return 0;
}
