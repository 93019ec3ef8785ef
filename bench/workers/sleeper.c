/*
 * sleeper: a worker that spends its time asleep, for measuring how a
 * coordinator copes with many workers that are each nearly idle.
 *
 * Line protocol: for each stdin line, nanosleep 10 ms (-m MS to change it),
 * then write the line back unchanged and flush.  Exits 0 at stdin EOF.
 *
 * -s: after flushing its first answer, write one line to stderr,
 * "sleeper: first answer at SECONDS.MICROSECONDS" (CLOCK_REALTIME, the clock
 * of bash's $EPOCHREALTIME), so the bench can tell when the last of J workers
 * answered for the first time: the start-up of the whole pool, taken where it
 * happens instead of inferred from the coordinator's per-worker figures.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: sleeper [-m MS] [-s]\n");
	exit(2);
}

/* Sleeps the whole interval, resuming after a signal. */
static void nap(long ms)
{
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void stamp(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "sleeper: first answer at %lld.%06ld\n", (long long)ts.tv_sec,
		ts.tv_nsec / 1000);
}

int main(int argc, char **argv)
{
	long ms = 10;
	int want_stamp = 0, opt;
	while ((opt = getopt(argc, argv, "m:s")) != -1) {
		if (opt == 'm') {
			char *end;
			ms = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || ms < 0 || ms > 3600000)
				usage();
		} else if (opt == 's') {
			want_stamp = 1;
		} else {
			usage();
		}
	}
	if (optind != argc)
		usage();

	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, stdin)) > 0) {
		nap(ms);
		fwrite(line, 1, (size_t)len, stdout);
		if (line[len - 1] != '\n')
			putchar('\n');
		if (fflush(stdout) != 0)
			return 1;
		if (want_stamp) {
			stamp();
			want_stamp = 0;
		}
	}
	free(line);
	return ferror(stdin) ? 1 : 0;
}
