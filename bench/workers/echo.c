/*
 * echo: the cheapest possible procpool worker.
 *
 * Line protocol: each line read from stdin is written back unchanged on
 * stdout, and stdout is flushed after every answer, so a coordinator waiting
 * for the answer to task N never waits on a buffer.  Exits 0 at stdin EOF.
 *
 * "echo -a TASK..." answers each argument as one task and exits; it is how
 * the per-task configurations (xargs, parallel) pass one task per process.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "-a") == 0) {
		for (int i = 2; i < argc; i++)
			printf("%s\n", argv[i]);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: echo [-a TASK...]\n");
		return 2;
	}

	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, stdin)) > 0) {
		fwrite(line, 1, (size_t)len, stdout);
		/* A last line without its newline still gets a full answer line. */
		if (line[len - 1] != '\n')
			putchar('\n');
		if (fflush(stdout) != 0)
			return 1;
	}
	free(line);
	return ferror(stdin) ? 1 : 0;
}
