/* f_crashk K [STATUS]: line worker that echoes each task, except that on
 * the K-th task it receives it dies: killed by SIGSEGV, or exiting with
 * STATUS when given. The count is per worker, so a replacement worker
 * starts counting from 1 again. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
	struct rlimit nocore = {0, 0};
	long k = argc > 1 ? strtol(argv[1], NULL, 10) : 1, seen = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	setrlimit(RLIMIT_CORE, &nocore);
	while ((n = getline(&line, &cap, stdin)) != -1) {
		if (++seen == k) {
			if (argc > 2)
				exit(atoi(argv[2]));
			signal(SIGSEGV, SIG_DFL);
			raise(SIGSEGV);
		}
		fwrite(line, 1, (size_t)n, stdout);
		if (fflush(stdout) == EOF)
			return 1;
	}
	free(line);
	return 0;
}
