/* pace: refills of a worker's pipe; see pace.h. */
#include "pace.h"

#define PACE_FIRST_NS 100000LL /* 100 us: half a 1 MiB pipe at 5 GB/s */

int64_t pace_woken(struct pace *pc, int64_t now, long full)
{
	if (!pc->wait_ns)
		pc->wait_ns = PACE_FIRST_NS;
	pc->full = full;
	return now + pc->wait_ns;
}

void pace_refilled(struct pace *pc, long unread)
{
	int64_t w = pc->wait_ns;
	if (unread <= pc->full / 8)
		w /= 2; /* nearly drained, or drained and waiting: too late */
	else if (unread > pc->full / 2)
		w += w / 2; /* less than half gone: early */
	pc->wait_ns = w < PACE_MIN_NS ? PACE_MIN_NS : w > PACE_MAX_NS ? PACE_MAX_NS : w;
}
