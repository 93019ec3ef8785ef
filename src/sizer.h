/* sizer: the -j auto controller. Pure: fed samples, it answers with the pool
 * size it wants, between min and max; the pool acts on the answer.
 *
 * Feeding: at sizer_due() (every SIZER_INTERVAL_NS) call sizer_sample()
 * with the tasks completed so far and the workers in use (running and
 * ready: one still starting does no work yet), while tasks wait or run
 * (an idle pool measures its input, not itself).
 *
 * How it decides: it climbs the measured curve of throughput against pool
 * size, as the .NET thread pool's hill climbing does, but by plain tries
 * rather than a wave, since a worker here is a process that takes time to
 * start.
 * - A measurement is the throughput over a few samples during which the
 *   size in use held still; the interval in which it last changed is not
 *   counted (new workers are starting). Its noise comes from the spread of
 *   the samples, smoothed over the run, and is never taken to be below the
 *   Poisson noise of the counts. It lasts as many samples (2 to 16) as it
 *   takes to tell the step being tried from that noise.
 * - Between sizes a < b the marginal gain
 *       e = ((T(b) - T(a)) / T(a)) / ((b - a) / a)
 *   is 1 where throughput grows in proportion to workers and 0 where it is
 *   flat. More workers pay when e is above 1/2 by twice its standard error;
 *   fewer do as well when it is below 1/2 by as much. Anything nearer keeps
 *   the size it holds, so noise alone does not move it (hysteresis). A try
 *   that is not clear is made again, once, measured for longer; a try may
 *   stop short of its planned length only when it is clear by three
 *   standard errors.
 * - From the size it holds it tries a step up, measures, and keeps the new
 *   size if it paid, else goes back and tries the step down. A step that
 *   worked is doubled for the next try in the same direction, so from its
 *   start it doubles while doubling pays (at most doubling or halving in
 *   one try); when both directions fail the step is halved, and when it is
 *   below a sixteenth of the size, or below what the noise lets 16 samples
 *   tell, the search ends.
 * - Then it holds, trying an eighth (or the least step the noise allows)
 *   up and down after 4 s, then 8 s, up to 64 s while such tries fail, so
 *   workers that are no longer needed are given back. A held throughput
 *   that moves by a quarter, and by four standard errors, starts a new
 *   search.
 * sizer_reason() says in a few words why it wants what it wants. */
#ifndef PROCPOOL_SIZER_H
#define PROCPOOL_SIZER_H

#include <stdbool.h>
#include <stdint.h>

#define SIZER_INTERVAL_NS (200 * 1000000LL)

/* Throughput at one size in use. */
struct sizer_meas {
	double rate; /* tasks per second */
	double se2;  /* its relative variance */
	unsigned size;
};

struct sizer {
	unsigned min, max;
	unsigned cur;  /* the size it holds */
	unsigned want; /* what it asks for: cur, or a size it tries */
	int64_t due;   /* when it wants the next sample */

	/* the interval under way */
	bool started;
	int64_t t0;
	uint64_t done0;
	unsigned size0;
	unsigned still; /* samples since the size in use or want changed */

	/* the measurement under way */
	unsigned k;
	double tasks, secs, sum_r, sum_r2;
	double noise2; /* relative variance of one sample, smoothed */

	struct sizer_meas base; /* at cur */
	bool have_base;

	/* the search */
	int dir;       /* +1 or -1: the way the next try goes */
	unsigned step; /* workers added or taken by the next try */
	bool turned;   /* this step has been tried the other way too */
	bool again;    /* this try was not clear once: it is being made again */
	bool holding;
	int64_t try_at, hold_ns;

	char why[96];
};

/* Start at start (clamped to [min, max], min >= 1), at monotonic time now. */
void sizer_init(struct sizer *s, unsigned min, unsigned max, unsigned start, int64_t now);
/* A sample: done tasks completed so far, size workers in use. Returns the
 * size wanted; a sample before sizer_due() changes nothing. */
unsigned sizer_sample(struct sizer *s, int64_t now, uint64_t done, unsigned size);

static inline int64_t sizer_due(const struct sizer *s)
{
	return s->due;
}

static inline unsigned sizer_want(const struct sizer *s)
{
	return s->want;
}

/* Why it wants sizer_want(), e.g. "16 -> 32 paid: +96% for +100% workers;
 * trying 64". */
static inline const char *sizer_reason(const struct sizer *s)
{
	return s->why;
}

#endif
