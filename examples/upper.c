/* upper.c: a procpool worker in C that upper-cases each task.
 *
 *   cc -O2 -o upper examples/upper.c
 *   printf 'a\nb\n' | procpool -k -- ./upper
 *
 * The worker protocol (procpool(1)): one task per line on stdin, exactly one
 * answer line per task on stdout, in order, flushed; exit at end of input.
 * C stdio block-buffers stdout when it is a pipe, which would hold answers
 * back until the buffer fills and deadlock the protocol, so stdout is made
 * line-buffered first. getline() takes lines of any length. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((n = getline(&line, &cap, stdin)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			line[i] = (char)toupper((unsigned char)line[i]);
		if (line[n - 1] != '\n')
			line[n++] = '\n'; /* getline left room for the NUL */
		if (fwrite(line, 1, (size_t)n, stdout) != (size_t)n || fflush(stdout) != 0)
			return 1; /* procpool is gone */
	}
	free(line);
	return 0;
}
