/* upper: line worker that upper-cases the ASCII letters of each task.
 * One answer line per task, flushed at once; exits at stdin EOF.
 * It is the reference W of the core property: procpool -k -- upper == upper. */
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
		for (ssize_t i = 0; i < n; i++)
			if (line[i] >= 'a' && line[i] <= 'z')
				line[i] = (char)(line[i] - 'a' + 'A');
		fwrite(line, 1, (size_t)n, stdout);
		putchar('\n');
		if (fflush(stdout) == EOF)
			return 1;
	}
	free(line);
	return 0;
}
