/*
 * loop: what one turn of procpool's event loop costs, by backend.
 *
 *   bench_loop [WATCHES [READY [TURNS]]]        (defaults 1024 1 200000)
 *   bench_loop_poll ...                         the same on poll
 *
 * Opens WATCHES pipes, watches each read end for POLLIN, writes one byte
 * into READY of them (spread out), then times TURNS calls of loop_once:
 * level-triggered, those stay ready, so every turn waits, finds READY fds
 * and makes READY callbacks. Prints the backend and ns per turn (median of
 * 5 runs). CMake builds both binaries beside procpool (build/bench_loop*).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

static void on_ready(void *ctx, int fd, short revents)
{
	(void)fd;
	(void)revents;
	++*(long *)ctx;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static long arg(int argc, char **argv, int i, long dflt)
{
	return argc > i ? strtol(argv[i], NULL, 10) : dflt;
}

int main(int argc, char **argv)
{
	long n = arg(argc, argv, 1, 1024), ready = arg(argc, argv, 2, 1);
	long turns = arg(argc, argv, 3, 200000);
	if (n < 1 || ready < 0 || ready > n || turns < 1) {
		fprintf(stderr, "usage: %s [WATCHES [READY [TURNS]]]\n", argv[0]);
		return 2;
	}
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
		r.rlim_cur = r.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &r);
	}
	struct loop *l = loop_new(0);
	long calls = 0;
	for (long i = 0; i < n; i++) {
		int p[2];
		if (pipe(p) < 0 || loop_add(l, p[0], POLLIN, on_ready, &calls) < 0) {
			perror("bench_loop: pipe or loop_add (ulimit -n?)");
			return 1;
		}
		if (ready && i % (n / ready) == 0 && i / (n / ready) < ready &&
		    write(p[1], "x", 1) != 1)
			return 1;
	}
	int64_t ns[5];
	for (int run = 0; run < 5; run++) {
		calls = 0;
		int64_t t0 = now_ns();
		for (long t = 0; t < turns; t++)
			if (loop_once(l, 0) < 0) {
				perror("bench_loop: loop_once");
				return 1;
			}
		ns[run] = (now_ns() - t0) / turns;
		if (calls != ready * turns) {
			fprintf(stderr, "bench_loop: %ld callbacks, expected %ld\n", calls,
				ready * turns);
			return 1;
		}
	}
	qsort(ns, 5, sizeof *ns, cmp_i64);
	printf("%s\t%ld watches\t%ld ready\t%lld ns/turn\n", loop_backend(l), n, ready,
	       (long long)ns[2]);
	loop_free(l);
	return 0;
}
