/* Unit tests for slot.c: lowest free slot, reuse, against brute force. */
#include <stdbool.h>

#include "slot.h"
#include "test.h"

static void test_lowest_free(void)
{
	struct slots s;
	slots_init(&s);
	CHECK_INT(0, slots_take(&s));
	CHECK_INT(1, slots_take(&s));
	CHECK_INT(2, slots_take(&s));
	slots_give(&s, 1);
	CHECK(!slots_taken(&s, 1));
	CHECK_INT(1, slots_take(&s)); /* a replacement takes the freed slot */
	CHECK_INT(3, slots_take(&s));
	slots_give(&s, 0);
	slots_give(&s, 2);
	CHECK_INT(0, slots_take(&s));
	CHECK_INT(2, slots_take(&s));
	slots_give(&s, 7); /* not taken: no effect */
	CHECK_INT(4, slots_take(&s));
	slots_free(&s);
}

static void test_many(void)
{
	struct slots s;
	slots_init(&s);
	for (int k = 0; k < 1000; k++)
		CHECK_INT(k, slots_take(&s));
	slots_give(&s, 999);
	slots_give(&s, 64);
	slots_give(&s, 63);
	CHECK_INT(63, slots_take(&s));
	CHECK_INT(64, slots_take(&s));
	CHECK_INT(999, slots_take(&s));
	CHECK_INT(1000, slots_take(&s));
	slots_free(&s);
}

static void test_random_against_brute_force(void)
{
	struct slots s;
	bool used[300] = {false};
	slots_init(&s);
	test_seed(42);
	for (int i = 0; i < 100000; i++) {
		if (test_below(2)) {
			int k = slots_take(&s), want = 0;
			while (used[want])
				want++;
			CHECK_INT(want, k);
			if (k >= 0 && k < 300)
				used[k] = true;
		} else {
			int k = (int)test_below(300);
			slots_give(&s, (unsigned)k);
			used[k] = false;
		}
		if (i % 1000 == 0)
			for (unsigned k = 0; k < 300; k++)
				CHECK(used[k] == slots_taken(&s, k));
		/* keep the table below 300 */
		for (int k = 299; k > 250; k--)
			if (used[k]) {
				slots_give(&s, (unsigned)k);
				used[k] = false;
			}
	}
	slots_free(&s);
}

int main(void)
{
	TEST_RUN(test_lowest_free);
	TEST_RUN(test_many);
	TEST_RUN(test_random_against_brute_force);
	return TEST_REPORT();
}
