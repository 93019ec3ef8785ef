/*
 * spin: a CPU-bound procpool worker, about 100 us of arithmetic per task.
 *
 * The answer to a task is a 64-bit FNV-1a hash of the line, then mixed
 * ITERS times (a dependent multiply/xor-shift chain the compiler cannot
 * shorten), printed as 16 hex digits and flushed.  ITERS is fixed on the
 * command line, so the answer depends only on the line and ITERS: every
 * configuration of a run must produce the same bytes.
 *
 *   spin -n ITERS              line protocol on stdin/stdout
 *   spin -n ITERS -a TASK...   answer each argument as one task, exit
 *   spin -c MICROSECONDS       print the ITERS that take that long here
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

static uint64_t spin(const char *s, size_t len, unsigned long iters)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3u;
	}
	for (unsigned long i = 0; i < iters; i++) {
		h ^= h >> 31;
		h *= 0xbf58476d1ce4e5b9u;
	}
	return h;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Best of several timed rounds: the least disturbed one is the real cost. */
static int calibrate(double target_us)
{
	const unsigned long probe = 2000000;
	double best = 0;
	volatile uint64_t sink = 0;
	for (int round = 0; round < 7; round++) {
		double t0 = now_ns();
		sink += spin("calibrate", 9, probe);
		double ns = (now_ns() - t0) / (double)probe;
		if (round == 0 || ns < best)
			best = ns;
	}
	(void)sink;
	printf("%lu\n", (unsigned long)(target_us * 1000.0 / best + 0.5));
	return 0;
}

static int parse_ulong(const char *s, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: spin -n ITERS [-a TASK...] | spin -c MICROSECONDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long iters;

	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		return parse_ulong(argv[2], &iters) == 0 ? calibrate((double)iters) : usage();
	if (argc < 3 || strcmp(argv[1], "-n") != 0 || parse_ulong(argv[2], &iters) != 0)
		return usage();

	if (argc >= 4) {
		if (strcmp(argv[3], "-a") != 0)
			return usage();
		for (int i = 4; i < argc; i++)
			printf("%016" PRIx64 "\n", spin(argv[i], strlen(argv[i]), iters));
		return fflush(stdout) == 0 ? 0 : 1;
	}

	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, stdin)) > 0) {
		if (line[len - 1] == '\n')
			len--;
		printf("%016" PRIx64 "\n", spin(line, (size_t)len, iters));
		if (fflush(stdout) != 0)
			return 1;
	}
	free(line);
	return ferror(stdin) ? 1 : 0;
}
