/* hist: log-linear histogram; see hist.h. */
#include "hist.h"

#include <math.h>
#include <string.h>

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof *h);
	h->min = UINT64_MAX;
}

unsigned hist_index(uint64_t v)
{
	if (v < HIST_SUB)
		return (unsigned)v;
	unsigned k = 63u - (unsigned)__builtin_clzll(v); /* v in [2^k, 2^(k+1)) */
	unsigned sub = (unsigned)(v >> (k - HIST_SUB_BITS)) - HIST_SUB;
	return HIST_SUB + (k - HIST_SUB_BITS) * HIST_SUB + sub;
}

uint64_t hist_bucket_low(unsigned idx)
{
	if (idx < HIST_SUB)
		return idx;
	unsigned k = HIST_SUB_BITS + (idx - HIST_SUB) / HIST_SUB;
	uint64_t sub = (idx - HIST_SUB) % HIST_SUB;
	return (HIST_SUB + sub) << (k - HIST_SUB_BITS);
}

static uint64_t bucket_width(unsigned idx)
{
	if (idx < HIST_SUB)
		return 1;
	unsigned k = HIST_SUB_BITS + (idx - HIST_SUB) / HIST_SUB;
	return (uint64_t)1 << (k - HIST_SUB_BITS);
}

void hist_add(struct hist *h, uint64_t v)
{
	h->n[hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	if (h->count == 0)
		return 0;
	double r = ceil(p / 100.0 * (double)h->count);
	uint64_t rank = r < 1 ? 1 : (uint64_t)r;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->n[i];
		if (seen >= rank) {
			uint64_t v = hist_bucket_low(i) + bucket_width(i) / 2;
			return v < h->min ? h->min : v > h->max ? h->max : v;
		}
	}
	return h->max;
}
