/* f_counter: line worker that answers each task with how many tasks this
 * worker has seen so far and the task: "N TASK". Run one process per task
 * it always says 1; reused, it counts up: a worker whose answers depend on
 * its history. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	long seen = 0;

	while (getline(&line, &cap, stdin) != -1) {
		printf("%ld %s", ++seen, line);
		if (fflush(stdout) == EOF)
			return 1;
	}
	free(line);
	return 0;
}
