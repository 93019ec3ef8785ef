/* f_blockbuf: line worker that echoes each task with printf and never
 * flushes: on a pipe, stdout is block-buffered, so nothing reaches procpool
 * until the buffer fills or the worker exits. The classic mistake procpool
 * hints at. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, stdin) != -1)
		printf("%s", line);
	free(line);
	return 0;
}
