/* selfinfo: line worker that answers each task with what it inherited:
 * "fds=0,1,2 SigBlk=HEX SigIgn=HEX" (its open fds in ascending order, and
 * the blocked and ignored signal masks from /proc/self/status).
 * Proves the pool leaks no fds and no signal dispositions into workers. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	const char *sep = "";

	printf("fds=");
	if (!d)
		return;
	for (int fd = 0; fd < 1024; fd++) {
		char name[16];

		snprintf(name, sizeof name, "%d", fd);
		rewinddir(d);
		while ((e = readdir(d)) != NULL)
			if (!strcmp(e->d_name, name) && fd != dirfd(d)) {
				printf("%s%d", sep, fd);
				sep = ",";
			}
	}
	closedir(d);
}

static void print_masks(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char buf[256], name[16], val[64];

	if (!f)
		return;
	while (fgets(buf, sizeof buf, f))
		if (sscanf(buf, "%15[^:]:%63s", name, val) == 2 &&
		    (!strcmp(name, "SigBlk") || !strcmp(name, "SigIgn")))
			printf(" %s=%s", name, val);
	fclose(f);
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, stdin) != -1) {
		print_fds();
		print_masks();
		putchar('\n');
		if (fflush(stdout) == EOF)
			return 1;
	}
	free(line);
	return 0;
}
