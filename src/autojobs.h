/* autojobs: -j auto, the pool's side: samples for the sizer, and its answer
 * acted on (see autojobs.c). Without -j auto, the cap is -j and nothing
 * else happens. */
#ifndef PROCPOOL_AUTOJOBS_H
#define PROCPOOL_AUTOJOBS_H

#include <stdint.h>

struct pool;

void autojobs_init(struct pool *p);
/* The most workers scaling may start now. */
unsigned autojobs_cap(const struct pool *p);
/* Sample when due and act on the answer; returns the next deadline (-1:
 * none). */
int64_t autojobs_timer(struct pool *p);

#endif
