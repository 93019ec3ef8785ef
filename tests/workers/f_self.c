/* f_self: line worker that answers each task with facts about itself:
 * "pid=PID nice=N cpus=LIST" (its niceness from getpriority, its CPU
 * affinity from Cpus_allowed_list in /proc/self/status; "?" if unknown). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void cpus(char *dst, size_t len)
{
	FILE *f = fopen("/proc/self/status", "r");
	char buf[512];

	snprintf(dst, len, "?");
	if (!f)
		return;
	while (fgets(buf, sizeof buf, f))
		if (!strncmp(buf, "Cpus_allowed_list:", 18)) {
			char *v = buf + 18;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(dst, len, "%s", v);
		}
	fclose(f);
}

int main(void)
{
	char *line = NULL, list[256];
	size_t cap = 0;
	int prio;

	errno = 0;
	prio = getpriority(PRIO_PROCESS, 0);
	cpus(list, sizeof list);
	while (getline(&line, &cap, stdin) != -1) {
		printf("pid=%ld nice=%d cpus=%s\n", (long)getpid(), prio, list);
		if (fflush(stdout) == EOF)
			return 1;
	}
	free(line);
	return 0;
}
