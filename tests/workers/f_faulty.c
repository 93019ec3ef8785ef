/* f_faulty [-p DIR] [-T]: line worker whose tasks say how to misbehave.
 * A task is echoed unless its text is one of:
 *   crash     raise SIGSEGV (no core file)
 *   exit N    exit with status N at once
 *   hang      sleep until killed (with -T, SIGTERM is ignored from the start)
 *   twice     answer "twice" two times
 *   quiet     exit 0 without answering
 *   nonl      write "nonl" without a newline and exit 0
 * -p DIR records this worker's pid as the file DIR/PID (see pidfile.sh), so
 * a test can check afterwards that no worker outlived procpool. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void record_pid(const char *dir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%ld", dir, (long)getpid());
	f = fopen(path, "w");
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	struct rlimit nocore = {0, 0};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int opt;

	setrlimit(RLIMIT_CORE, &nocore);
	while ((opt = getopt(argc, argv, "p:T")) != -1) {
		if (opt == 'p')
			record_pid(optarg);
		else if (opt == 'T')
			signal(SIGTERM, SIG_IGN);
		else
			return 2;
	}
	while ((n = getline(&line, &cap, stdin)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (!strcmp(line, "crash")) {
			signal(SIGSEGV, SIG_DFL);
			raise(SIGSEGV);
		} else if (!strncmp(line, "exit ", 5)) {
			exit(atoi(line + 5));
		} else if (!strcmp(line, "hang")) {
			for (;;)
				pause();
		} else if (!strcmp(line, "twice")) {
			fputs("twice\ntwice\n", stdout);
		} else if (!strcmp(line, "quiet")) {
			exit(0);
		} else if (!strcmp(line, "nonl")) {
			fputs("nonl", stdout);
			fflush(stdout);
			exit(0);
		} else {
			fwrite(line, 1, (size_t)n, stdout);
			putchar('\n');
		}
		if (fflush(stdout) == EOF)
			return 1;
	}
	free(line);
	return 0;
}
