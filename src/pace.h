/* pace: when to refill a worker's stdin pipe while a long task goes in.
 *
 * A pipe wakes its writer whenever a reader takes a page from it while it
 * is full. A worker that reads its task 4 KiB at a time (C stdio, Python)
 * from a pipe kept full so wakes procpool every few pages, and on a busy
 * machine each wake-up takes a CPU from a worker: ~70 of them for every
 * 1.4 MB record. Paced, a wake-up only says that the worker reads again;
 * the refill waits until about half of the pipe has gone, the time that
 * takes learned from how much was left at the last refills. So a refill
 * costs two wake-ups, each moving half a pipe. Pure: no I/O. */
#ifndef PROCPOOL_PACE_H
#define PROCPOOL_PACE_H

#include <stdint.h>

#define PACE_MIN_NS 20000LL   /* 20 us: sooner, and the wake-up was as good */
#define PACE_MAX_NS 2000000LL /* 2 ms: a reader that slow leaves time to spare */

struct pace {
	int64_t wait_ns; /* from a wake-up to the refill; 0: not learned yet */
	long full;       /* bytes in the pipe at that wake-up */
};

/* The worker read from its full pipe, which then held full bytes: when to
 * refill it (now + the learned wait). */
int64_t pace_woken(struct pace *pc, int64_t now, long full);
/* At the refill the pipe held unread bytes: learn from it (none left: the
 * worker may have waited, so sooner; more than half: later). */
void pace_refilled(struct pace *pc, long unread);

#endif
