/* Unit tests for pace.c: the wait from a worker's read of its full pipe to
 * the refill, learned from what the pipe still held at each refill. */
#include "pace.h"
#include "test.h"

enum { FULL = 1 << 20 };

/* The first wake-up waits 100 us; a pipe found nearly empty halves the
 * wait, down to PACE_MIN_NS; one found more than half full waits half as
 * long again, up to PACE_MAX_NS; in between, the wait stays. */
static void test_learns_the_wait(void)
{
	struct pace pc = {0, 0};
	CHECK_INT(1000 + 100000, pace_woken(&pc, 1000, FULL));
	pace_refilled(&pc, 0);
	CHECK_INT(50000, pc.wait_ns);
	pace_refilled(&pc, FULL / 8);
	CHECK_INT(25000, pc.wait_ns);
	for (int i = 0; i < 5; i++)
		pace_refilled(&pc, 0);
	CHECK_INT(PACE_MIN_NS, pc.wait_ns);
	pace_refilled(&pc, FULL / 3);
	CHECK_INT(PACE_MIN_NS, pc.wait_ns);
	pace_refilled(&pc, FULL / 2 + 1);
	CHECK_INT(30000, pc.wait_ns);
	for (int i = 0; i < 20; i++)
		pace_refilled(&pc, FULL);
	CHECK_INT(PACE_MAX_NS, pc.wait_ns);
	CHECK_INT(5 + PACE_MAX_NS, pace_woken(&pc, 5, FULL));
}

/* What counts as nearly empty or half full is what the pipe held at the
 * wake-up, not a fixed size: a 64 KiB pipe learns as a 1 MiB one does. */
static void test_relative_to_the_pipe(void)
{
	struct pace pc = {0, 0};
	pace_woken(&pc, 0, 65536);
	pace_refilled(&pc, 40000); /* over half of 64 KiB */
	CHECK_INT(150000, pc.wait_ns);
	pace_woken(&pc, 0, 65536);
	pace_refilled(&pc, 4096); /* an eighth or less */
	CHECK_INT(75000, pc.wait_ns);
}

int main(void)
{
	TEST_RUN(test_learns_the_wait);
	TEST_RUN(test_relative_to_the_pipe);
	return TEST_REPORT();
}
