/* lineecho: line worker that answers each task with the task itself.
 * One answer line per task, flushed at once; exits at stdin EOF. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		fwrite(line, 1, (size_t)n, stdout);
		putchar('\n');
		if (fflush(stdout) == EOF)
			return 1;
	}
	free(line);
	return 0;
}
