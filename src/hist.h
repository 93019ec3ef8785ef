/* hist: a fixed-memory histogram of durations with log-linear buckets, in
 * the manner of HdrHistogram: 32 linear sub-buckets per power of two, so any
 * reported percentile is within about 3% of the true sample. Pure. */
#ifndef PROCPOOL_HIST_H
#define PROCPOOL_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS (HIST_SUB + (64 - HIST_SUB_BITS) * HIST_SUB)

struct hist {
	uint64_t count, sum, min, max;
	uint64_t n[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t v);
/* The value at percentile p (0..100): the middle of the bucket holding the
 * sample of that rank, clamped to [min, max]. 0 when empty. */
uint64_t hist_percentile(const struct hist *h, double p);
/* Bucket index of v, and the smallest value of a bucket (for the tests). */
unsigned hist_index(uint64_t v);
uint64_t hist_bucket_low(unsigned idx);

#endif
